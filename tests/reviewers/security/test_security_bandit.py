"""bandit inside the security reviewer finds what bandit alone finds.

The reviewer drives bandit's tests over its own parse with a leaner visitor (see bandit_scan.py) and asks
each call only the tests that could report it (bandit_calls.py); these tests hold it to bandit's own
results on real modules and on a module where every call test bandit_calls.py knows reports, so that a
bandit upgrade that changes how its visitor or a test works cannot quietly cost findings.
"""

from __future__ import annotations

import ast
import shutil
import sysconfig
from pathlib import Path

from reviewers.security import bandit_calls, bandit_scan, parsing
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

CALLS = """\
import logging.config
import os
import ssl
import subprocess

import jinja2
import paramiko
import requests
import tarfile
import torch
import transformers
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db.models.expressions import RawSQL
from flask import Flask
from mako.template import Template
from pysnmp.hlapi import CommunityData, UsmUserData

app = Flask(__name__)


def everything(user_input, client, queryset):
    exec(user_input)
    app.run(debug=True)
    tarfile.open(user_input).extractall()
    requests.get("https://example.com", verify=False)
    ssl.wrap_socket(None, ssl_version=ssl.PROTOCOL_SSLv3)
    ssl.wrap_socket(None)
    rsa.generate_private_key(public_exponent=65537, key_size=1024)
    yaml.load(user_input)
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    CommunityData("public", mpModel=0)
    UsmUserData("user")
    client.exec_command(user_input)
    subprocess.Popen(user_input, shell=True)
    run_it(user_input, shell=True)
    os.system(user_input)
    os.popen("chmod 777 *")
    subprocess.call("tar czf out.tgz *", shell=True)
    queryset.extra(where=[user_input])
    RawSQL(user_input, [])
    logging.config.listen(9999)
    torch.load(user_input)
    transformers.AutoModel.from_pretrained(user_input)
    jinja2.Environment(autoescape=False)
    Template(user_input)
    ssl._create_unverified_context()
    __import__("telnetlib").Telnet(user_input)
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
    risky, calls = tmp_path / "risky.py", tmp_path / "calls.py"
    risky.write_text(RISKY, encoding="utf-8")
    calls.write_text(CALLS, encoding="utf-8")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [risky, calls]
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
    assert len(theirs) > 50
    # every call test of bandit_calls.py reports a call of calls.py, bandit alone and through the reviewer
    assert len({test_id for name, test_id, _, _ in ours if name == "calls.py"}) >= 23


def test_a_call_test_it_has_not_read_runs_on_every_call() -> None:
    def b999_unknown(context):  # a plugin's test bandit_calls.py knows nothing of
        return None

    b999_unknown._test_id = "B999"  # type: ignore[attr-defined]
    yaml_load = next(t for t in _call_tests() if t[0]._test_id == "B506")
    tests = bandit_calls.CallTests([(b999_unknown, ()), yaml_load])

    # (another bandit version than the one read runs yaml_load on every call too: slower, never quieter)
    read = bandit_calls._as_read(yaml_load[0])
    assert [t[0] for t in tests.for_call("first", ("timeout",))] == [b999_unknown, *([] if read else [yaml_load[0]])]
    assert [t[0] for t in tests.for_call("load", ())] == [b999_unknown, yaml_load[0]]


def _call_tests() -> list[tuple[object, tuple[object, ...]]]:
    tests, _ = bandit_scan._bandit_tests(frozenset())
    return [(t, (t._config,) if hasattr(t, "_config") else ()) for t in tests.get_tests("Call")]
