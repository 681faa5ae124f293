"""Reviewing work that is not a commit: --staged, --worktree, and a patch inside a repository.

Issue 10 item 9 (a patch whose files the working tree lacks is still reviewed, or refused) and issue 12
item 2 (uncommitted work gets every reviewer's full analysis, not only line-level checks).
"""

from __future__ import annotations

from pathlib import Path

from conftest import GitRepo

SHELL_HANDLER = """\
import subprocess
from flask import request


def run():
    return subprocess.check_output(request.args["cmd"], shell=True)
"""
TEST_BASE = "from app import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n"
TEST_WEAK = "from app import total\n\n\ndef test_total():\n    assert total([1, 2]) is not None\n"


def _rules(result) -> set[str]:
    return {f["rule"] for v in result.json()["verdicts"] for f in v["findings"]}


def _project(repo: GitRepo) -> GitRepo:
    repo.commit("base", **{"app.py": "def total(xs):\n    return sum(xs)\n", "tests__test_app.py": TEST_BASE})
    return repo


def test_staged_reviews_the_index_not_the_working_tree(repo: GitRepo, cli) -> None:
    _project(repo)
    repo.write("server.py", SHELL_HANDLER)
    repo.git("add", "server.py")
    repo.write("other.py", SHELL_HANDLER)  # not staged: not part of this review
    result = cli("review", "--staged", "--format", "json", "--offline", cwd=repo.root)
    assert result.exit_code == 1, result.stderr
    report = result.json()
    assert [f["path"] for f in report["files"]] == ["server.py"]
    assert "security/command-injection" in _rules(result)
    assert repo.git("status", "--porcelain") == "A  server.py\n?? other.py".strip()  # index and tree untouched


def test_worktree_includes_new_files_and_gets_the_full_test_analysis(repo: GitRepo, cli) -> None:
    _project(repo)
    repo.write("tests/test_app.py", TEST_WEAK)  # a weakened assertion: needs base and head syntax trees
    repo.write("server.py", SHELL_HANDLER)  # untracked, new
    repo.write("build/junk.py", SHELL_HANDLER)
    repo.write(".gitignore", "build/\n")
    result = cli("review", "--worktree", "--format", "json", "--offline", cwd=repo.root)
    assert result.exit_code == 1, result.stderr
    paths = {f["path"] for f in result.json()["files"]}
    assert paths == {"tests/test_app.py", "server.py", ".gitignore"}  # ignored files stay out
    rules = _rules(result)
    assert "security/command-injection" in rules
    assert any(rule.startswith("test-integrity/") for rule in rules), rules


def test_git_diff_piped_in_gets_the_same_findings_as_the_range(repo: GitRepo, cli) -> None:
    _project(repo)
    repo.branch("feature")
    repo.commit("weaken", **{"tests__test_app.py": TEST_WEAK, "server.py": SHELL_HANDLER})
    ranged = cli("review", "--base", "main", "--format", "json", "--offline", cwd=repo.root)
    repo.git("checkout", "-q", "main")
    patch = repo.git("diff", "main", "feature") + "\n"
    patch_file = repo.root.parent / "change.patch"
    patch_file.write_text(patch)
    piped = cli("review", "--diff", str(patch_file), "--format", "json", "--offline", cwd=repo.root)
    assert (piped.exit_code, _rules(piped)) == (ranged.exit_code, _rules(ranged))
    assert "patch without a repository" not in piped.stdout


def test_a_patch_already_committed_is_reviewed(repo: GitRepo, cli) -> None:
    _project(repo)
    repo.write("tests/test_app.py", TEST_WEAK)
    patch_file = repo.root.parent / "wt.patch"
    patch_file.write_text(repo.git("diff") + "\n")
    repo.git("commit", "-qam", "weaken")  # committed now: it applies only in reverse, onto HEAD
    result = cli("review", "--diff", str(patch_file), "--format", "json", "--offline", cwd=repo.root)
    assert result.exit_code == 1, result.stderr
    assert any(rule.startswith("test-integrity/") for rule in _rules(result))


def test_a_patch_for_files_the_repository_lacks_is_refused(repo: GitRepo, cli, tmp_path: Path) -> None:
    _project(repo)
    patch = tmp_path / "elsewhere.patch"
    patch.write_text("--- a/lib/x.py\n+++ b/lib/x.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = eval(input())\n")
    result = cli("review", "--diff", str(patch), cwd=repo.root)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "applies neither" in result.stderr


def test_a_patch_naming_paths_outside_the_repository_is_refused(repo: GitRepo, cli, tmp_path: Path) -> None:
    _project(repo)
    for name in ("../escape.py", "/etc/evil.py"):
        patch = tmp_path / "out.patch"
        patch.write_text(f"--- /dev/null\n+++ {name}\n@@ -0,0 +1 @@\n+x = 1\n")
        result = cli("review", "--diff", str(patch), cwd=repo.root)
        assert result.exit_code == 2, name
        assert "inside the repository" in result.stderr


def test_uncommitted_sources_cannot_be_combined(repo: GitRepo, cli) -> None:
    _project(repo)
    result = cli("review", "--staged", "--worktree", cwd=repo.root)
    assert result.exit_code == 2 and "cannot be combined" in result.stderr


def test_a_patch_adding_code_the_repository_lacks_is_reviewed_not_waved_through(repo: GitRepo, cli, tmp_path) -> None:
    """Issue 10 item 9: the working tree lacks the patch's file; the patch's own content is what is reviewed."""
    _project(repo)
    body = "".join(f"+{line}\n" for line in SHELL_HANDLER.splitlines())
    patch = tmp_path / "change.patch"
    count = len(SHELL_HANDLER.splitlines())
    patch.write_text(f"--- /dev/null\n+++ b/web/run.py\n@@ -0,0 +1,{count} @@\n{body}")
    result = cli("review", "--diff", str(patch), "--offline", "--format", "json", cwd=repo.root)
    assert result.exit_code == 1, result.stderr
    assert "security/command-injection" in _rules(result)
    assert not (repo.root / "web").exists()  # reviewed from commits made for it; the checkout is untouched
