"""The text-editor tool bound to a workspace: it edits inside, and every escape attempt is refused."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from conftest import GitRepo

from reviewkit.editor_tool import EDITOR_TOOL_NAME, RUN_TESTS_TOOL_NAME, WorkspaceEditor, editor_for
from reviewkit.sandbox import run_sandboxed
from reviewkit.workspace import BACKENDS, WorkspaceFactory, can_mount


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(params=BACKENDS)
def sandbox(request, repo: GitRepo, tmp_path: Path):
    """A workspace over a repository that commits symbolic links pointing outside, and the outside."""
    if request.param == "overlay" and not can_mount(str(tmp_path)):
        pytest.skip("this process may not mount an overlay (needs root or a user namespace)")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside secret\n")
    os.symlink(outside, repo.root / "linkdir")
    os.symlink(outside / "secret.txt", repo.root / "linkfile")
    repo.commit("base", **{"app.py": "a = 1\nb = 2\n", ".agents__config.toml": "[code_review]\n"})
    factory = WorkspaceFactory(repo.root, "HEAD", parent=tmp_path / "ws", backends=(request.param,))
    (tmp_path / "ws").mkdir()
    workspace = factory.create()
    gate = lambda: run_sandboxed("grep -c '' app.py", workspace.root, timeout_s=30)  # noqa: E731
    yield WorkspaceEditor(workspace.files, run_tests=gate), workspace, outside, repo
    factory.close()


def _edit(editor: WorkspaceEditor, **tool_input: object) -> str:
    return editor.call(EDITOR_TOOL_NAME, tool_input)


def test_the_editor_views_creates_replaces_and_inserts(sandbox):
    editor, workspace, _, repo = sandbox
    assert _edit(editor, command="view", path="app.py") == "     1\ta = 1\n     2\tb = 2"
    assert _edit(editor, command="view", path="app.py", view_range=[2, -1]) == "     2\tb = 2"
    assert "app.py" in _edit(editor, command="view", path=".").splitlines()
    assert _edit(editor, command="str_replace", path="app.py", old_str="a = 1", new_str="a = 10") == "Edited app.py"
    assert _edit(editor, command="insert", path="app.py", insert_line=0, insert_text="# top").startswith("Inserted")
    assert _edit(editor, command="create", path="pkg/new.py", file_text="c = 3\n") == "Created pkg/new.py"
    assert _edit(editor, command="str_replace", path="app.py", old_str="zzz", new_str="y").startswith("Error: old_str")
    assert "tests passed (exit code 0" in editor.call(RUN_TESTS_TOOL_NAME, {})

    diff = workspace.diff()
    assert "+# top" in diff and "+a = 10" in diff and "+c = 3" in diff
    assert (repo.root / "app.py").read_text() == "a = 1\nb = 2\n"


ESCAPES = [
    {"command": "create", "path": "../x", "file_text": "escaped"},
    {"command": "create", "path": "pkg/../../x", "file_text": "escaped"},
    {"command": "create", "path": "/tmp/reviewkit-escape-x", "file_text": "escaped"},
    {"command": "view", "path": "/etc/passwd"},
    {"command": "create", "path": "linkdir/new.txt", "file_text": "escaped"},
    {"command": "view", "path": "linkdir/secret.txt"},
    {"command": "create", "path": "linkfile", "file_text": "escaped"},
    {"command": "str_replace", "path": "linkfile", "old_str": "outside", "new_str": "escaped"},
    {"command": "insert", "path": "linkfile", "insert_line": 0, "insert_text": "escaped"},
    {"command": "view", "path": "linkfile"},
    {"command": "create", "path": ".git/hooks/pre-commit", "file_text": "#!/bin/sh\necho pwned\n"},
    {"command": "create", "path": "sub/.git/config", "file_text": "escaped"},
    {"command": "str_replace", "path": ".agents/config.toml", "old_str": "[code_review]", "new_str": "x"},
    {"command": "create", "path": "app.py\x00.txt", "file_text": "escaped"},
    {"command": "create", "path": "", "file_text": "escaped"},
    # Issue 10 item 6: .git is not even readable (actions/checkout keeps an auth header in .git/config),
    # and what CI and git read is not a fixer's to write.
    {"command": "view", "path": ".git/config"},
    {"command": "view", "path": ".GIT/HEAD"},
    {"command": "view", "path": ".git"},
    {"command": "create", "path": ".github/workflows/release.yml", "file_text": "on: push\n"},
    {"command": "create", "path": ".gitattributes", "file_text": "*.py -diff\n"},
    {"command": "create", "path": "src/.gitattributes", "file_text": "* binary\n"},
    {"command": "create", "path": ".gitmodules", "file_text": "[submodule]\n"},
    {"command": "create", "path": ".pre-commit-config.yaml", "file_text": "repos: []\n"},
]


@pytest.mark.parametrize("attempt", ESCAPES, ids=lambda a: f"{a['command']}:{a['path']!r}")
def test_every_escape_attempt_is_refused_and_nothing_outside_changes(sandbox, tmp_path, attempt):
    editor, workspace, outside, repo = sandbox
    before_outside, before_repo = _snapshot(outside), _snapshot(repo.root)
    result = _edit(editor, **attempt)

    assert result.startswith("Error:"), result
    assert "outside secret" not in result
    assert _snapshot(outside) == before_outside and _snapshot(repo.root) == before_repo
    assert not (tmp_path / "x").exists() and not Path("/tmp/reviewkit-escape-x").exists()
    assert not (workspace.root / ".git" / "hooks" / "pre-commit").exists()


def test_a_hardlink_to_an_outside_file_is_neither_read_nor_written(sandbox):
    editor, workspace, outside, _ = sandbox
    try:
        os.link(outside / "secret.txt", workspace.root / "hard.txt")
    except OSError as exc:  # an overlay cannot link across filesystems: nothing to escape through
        assert exc.errno == errno.EXDEV
        pytest.skip("hardlinks across this backend's filesystem boundary are impossible")
    for attempt in (
        {"command": "view", "path": "hard.txt"},
        {"command": "str_replace", "path": "hard.txt", "old_str": "outside", "new_str": "escaped"},
        {"command": "create", "path": "hard.txt", "file_text": "escaped"},
    ):
        result = _edit(editor, **attempt)
        assert result.startswith("Error:") and "hard links" in result, result
    assert (outside / "secret.txt").read_text() == "outside secret\n"


def test_bad_tool_calls_come_back_as_text(sandbox):
    editor = sandbox[0]
    assert editor.call("rm_rf", {}).startswith("Error: unknown tool")
    assert _edit(editor, command="undo_edit", path="app.py").startswith("Error: unknown command")
    assert _edit(editor, command="view", path="missing.py") == "Error: 'missing.py' does not exist"
    assert _edit(editor, command="insert", path="app.py", insert_line=99, insert_text="x").startswith("Error:")
    assert _edit(editor, command="view", path="app.py", view_range=[5, 9]).startswith("Error:")


def test_calls_beyond_the_budget_are_refused(sandbox):
    _, workspace, _, _ = sandbox
    editor = WorkspaceEditor(workspace.files, max_calls=1)
    assert _edit(editor, command="create", path="one.py", file_text="1\n") == "Created one.py"
    assert _edit(editor, command="create", path="two.py", file_text="2\n").startswith("Error: the budget")
    assert workspace.read_text("two.py") is None


def test_the_run_tests_tool_reports_a_failure_the_model_can_read(sandbox):
    _, workspace, _, _ = sandbox
    editor = editor_for(workspace, test_command="echo broken >&2; exit 4", test_timeout_s=30)
    assert [tool["name"] for tool in editor.tools()] == [EDITOR_TOOL_NAME, RUN_TESTS_TOOL_NAME]
    result = editor.call(RUN_TESTS_TOOL_NAME, {})
    assert result.startswith("tests failed (exit code 4") and "broken" in result
    without = editor_for(workspace, test_command=None, test_timeout_s=30)
    assert [tool["name"] for tool in without.tools()] == [EDITOR_TOOL_NAME]
    assert without.call(RUN_TESTS_TOOL_NAME, {}).startswith("Error: no test_command")
