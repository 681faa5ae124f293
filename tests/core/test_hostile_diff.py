"""Issue 10, items 1 and 2: what a hostile change does to the diff itself cannot hide its code.

Each test builds the attack as a real repository and runs the real command: a Flask handler that runs
request data through a shell, added under a `.gitattributes` that calls it binary, or under a file name
that holds a newline, a bidi control or bytes that are not UTF-8. Every one must end in exit 1.
"""

from __future__ import annotations

import pytest
from conftest import GitRepo

from reviewkit.gitdiff import from_git

SHELL_HANDLER = """\
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/run")
def run():
    return subprocess.check_output(request.args["cmd"], shell=True)
"""


def _assert_blocked(cli, repo: GitRepo, path: str) -> None:
    result = cli("review", "--base", "main", "--reviewer", "security", "--format", "json", cwd=repo.root)
    report = result.json()
    assert result.exit_code == 1, result.stderr
    (security,) = report["verdicts"]
    assert [(f["path"], f["rule"]) for f in security["findings"]] == [(path, "security/command-injection")]


@pytest.mark.parametrize("attributes", ["*.py -diff\n", "* binary\n", "*.py diff=evil\n", "* -text\n"])
def test_attributes_added_by_the_change_do_not_hide_code(feature_repo: GitRepo, cli, attributes: str) -> None:
    feature_repo.git("config", "diff.evil.textconv", "true")  # a textconv that prints nothing at all
    feature_repo.commit("feature", **{".gitattributes": attributes, "app.py": SHELL_HANDLER})
    _assert_blocked(cli, feature_repo, "app.py")


def test_attributes_in_the_base_do_not_hide_code_either(repo: GitRepo, cli) -> None:
    repo.commit("base", **{".gitattributes": "*.py binary\n", "README.md": "x\n"})
    repo.branch("feature")
    repo.commit("feature", **{"app.py": SHELL_HANDLER})
    _assert_blocked(cli, repo, "app.py")


def test_a_file_is_binary_only_when_its_bytes_are(feature_repo: GitRepo) -> None:
    feature_repo.commit(
        "feature",
        **{".gitattributes": "*.dat text\n*.py -diff\n", "blob.dat": b"PK\x00\x01" + b"x" * 100, "app.py": "x = 1\n"},
    )
    files = {f.path: f for f in from_git(feature_repo.root, "main", "HEAD").files}
    assert files["blob.dat"].binary and not files["blob.dat"].hunks
    assert not files["app.py"].binary and files["app.py"].added == 1


@pytest.mark.parametrize(
    "name",
    ["we\nird.py", "tab\there.py", "bidi\u202egnp.py", 'quote"and\\slash.py', "caf\xe9.py"],
    ids=["newline", "tab", "bidi-override", "quote-backslash", "latin1-name"],
)
def test_every_path_is_reviewed_whatever_its_name(feature_repo: GitRepo, cli, name: str) -> None:
    feature_repo.commit("feature", **{name: SHELL_HANDLER})
    _assert_blocked(cli, feature_repo, name)


def test_a_name_that_is_not_utf8_is_reviewed(feature_repo: GitRepo, cli) -> None:
    raw = b"bad\xff\xfename.py"
    (feature_repo.root / raw.decode("utf-8", "surrogateescape")).write_text(SHELL_HANDLER)
    feature_repo.commit("feature")
    result = cli("review", "--base", "main", "--reviewer", "security", cwd=feature_repo.root)
    assert result.exit_code == 1, result.stderr
    assert "security/command-injection" in result.stdout
    files = from_git(feature_repo.root, "main", "HEAD").files
    assert [f.path.encode("utf-8", "surrogateescape") for f in files] == [raw]
    as_json = cli("review", "--base", "main", "--reviewer", "security", "--format", "json", cwd=feature_repo.root)
    (finding,) = as_json.json()["verdicts"][0]["findings"]
    assert finding["path"].encode("utf-8", "surrogateescape") == raw  # JSON keeps the exact name


def test_a_file_turned_into_a_symbolic_link_is_two_changes_not_a_refusal(feature_repo: GitRepo) -> None:
    feature_repo.commit("base file", **{"test_a.py": "def test_a():\n    assert 1 == 1\n"})
    feature_repo.git("branch", "-f", "main", "HEAD")
    (feature_repo.root / "test_a.py").unlink()
    (feature_repo.root / "test_a.py").symlink_to("/etc/hostname")
    feature_repo.commit("link")
    files = from_git(feature_repo.root, "main", "HEAD").files
    assert [(f.path, f.status.value, f.is_symlink) for f in files] == [
        ("test_a.py", "deleted", False),
        ("test_a.py", "added", True),
    ]
