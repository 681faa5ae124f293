"""bandit inside the security reviewer finds what bandit alone finds.

The reviewer drives bandit's tests over its own parse with a leaner visitor (see bandit_scan.py); these
tests hold it to bandit's own results on real modules, so that a bandit upgrade that changes how its
visitor works cannot quietly cost findings.
"""

from __future__ import annotations

import ast
import shutil
import sysconfig
from pathlib import Path

from reviewers.security import bandit_scan, parsing
from reviewers.security.common import Source

RISKY = """\
import hashlib, pickle, subprocess, tarfile, tempfile, yaml, ssl, requests, os
from xml.etree import ElementTree


def handler(data, name, user):
    subprocess.call("ls " + name, shell=True)
    os.system("rm -rf " + name)
    os.popen(name)
    value = pickle.loads(data)
    config = yaml.load(data)
    tarfile.open(name).extractall()
    hashlib.md5(data).hexdigest()
    requests.get("https://example.com", verify=False)
    ssl.wrap_socket(None, ssl_version=ssl.PROTOCOL_SSLv3)
    path = tempfile.mktemp()
    open("/tmp/reviewkit-cache", "w")
    exec(name)
    eval(name)
    tree = ElementTree.fromstring(data)
    password = "hunter2hunter2"
    assert user.is_admin
    try:
        os.chmod(path, 0o777)
    except Exception:
        pass
    query = "SELECT * FROM users WHERE name = '%s'" % name
    return value, config, tree, password, query
"""

STDLIB_MODULES = ("subprocess.py", "tarfile.py", "tempfile.py")


def _ours(paths: list[Path]) -> set[tuple[str, str, int, int]]:
    files = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        source = Source(path=path.name, text=text, added=frozenset(), untrusted=False, base_lines=frozenset())
        tree = parsing.parse(text, path.name).tree
        assert isinstance(tree, ast.Module)
        files.append((source, tree))
    return {
        (paths[index].name, str(result.test_id), int(result.lineno), int(result.col_offset))
        for index, result in bandit_scan._run_bandit(files, frozenset())
    }


def _bandits(paths: list[Path]) -> set[tuple[str, str, int, int]]:
    return {
        (Path(issue.fname).name, str(issue.test_id), int(issue.lineno), int(issue.col_offset))
        for issue in bandit_scan.run_default(paths)
    }


def test_every_bandit_test_finds_what_bandit_alone_finds(tmp_path: Path) -> None:
    risky = tmp_path / "risky.py"
    risky.write_text(RISKY, encoding="utf-8")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [risky]
    for name in STDLIB_MODULES:
        paths.append(tmp_path / name)
        shutil.copyfile(stdlib / name, paths[-1])

    ours, theirs = _ours(paths), _bandits(paths)

    assert ours == theirs
    found_in_risky = {test_id for name, test_id, _, _ in ours if name == "risky.py"}
    # the example exercises calls, imports, strings and statements, bandit's tests of every kind
    assert {"B602", "B605", "B301", "B506", "B202", "B324", "B501", "B502", "B306", "B108", "B102", "B307"} <= (
        found_in_risky
    )
    assert {"B105", "B101", "B103", "B110", "B608", "B403", "B314"} <= found_in_risky
    assert len(theirs) > 25
