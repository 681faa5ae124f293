"""Workspaces on real repositories: each backend isolates, diffs, never hardlinks, and cleans up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import GitRepo

from reviewkit.workspace import BACKENDS, WorkspaceFactory, can_mount


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    repo.commit(
        "base",
        **{
            "src__app.py": "x = 1\n",
            "src__util.py": "y = 2\n",
            "docs__guide.md": "# guide\n",
            ".gitignore": "*.log\n",
            "run.sh": "#!/bin/sh\necho hi\n",
        },
    )
    (repo.root / "run.sh").chmod(0o755)
    repo.commit("exec bit")
    return repo


def _backend(backend: str, parent: Path) -> None:
    if backend == "overlay" and not can_mount(str(parent)):
        pytest.skip("this process may not mount an overlay (needs root or a user namespace)")


def _left_behind(repo: GitRepo, parent: Path) -> list[str]:
    problems = [str(p) for p in parent.glob("reviewkit-ws-*")]
    problems += [line for line in Path("/proc/mounts").read_text().splitlines() if str(parent) in line]
    problems += repo.git("worktree", "list").splitlines()[1:]
    return problems


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_workspace_is_an_isolated_copy_of_the_commit(backend, project, tmp_path):
    _backend(backend, tmp_path)
    (project.root / "src/app.py").write_text("x = 'uncommitted edit'\n")  # the checkout differs from HEAD
    with WorkspaceFactory(project.root, "HEAD", parent=tmp_path, backends=(backend,)) as factory:
        workspace = factory.create()
        assert workspace.read_text("src/app.py") == "x = 1\n"  # the commit, not the working tree
        workspace.files.write("src/app.py", b"x = 3\n")
        workspace.files.write("src/new.py", b"z = 4\n")
        workspace.files.remove("docs/guide.md")
        workspace.files.write("debug.log", b"ignored by .gitignore\n")
        diff = workspace.diff()
        assert workspace.backend == backend and workspace.info.setup_s > 0

    assert "+x = 3" in diff and "+z = 4" in diff and "deleted file mode" in diff and "debug.log" not in diff
    assert (project.root / "src/app.py").read_text() == "x = 'uncommitted edit'\n"
    assert not (project.root / "src/new.py").exists() and (project.root / "docs/guide.md").exists()
    assert _left_behind(project, tmp_path) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_workspace_never_shares_an_inode_with_the_checkout(backend, project, tmp_path):
    _backend(backend, tmp_path)
    with WorkspaceFactory(project.root, "HEAD", parent=tmp_path, backends=(backend,)) as factory:
        workspace = factory.create()
        workspace.files.write("src/app.py", b"x = 5\n")
        for path in ("src/app.py", "src/util.py", "run.sh"):
            mine, theirs = os.stat(workspace.root / path), os.stat(project.root / path)
            assert (mine.st_dev, mine.st_ino) != (theirs.st_dev, theirs.st_ino)
            assert mine.st_nlink == 1
        assert os.access(workspace.root / "run.sh", os.X_OK)
    assert (project.root / "src/app.py").read_text() == "x = 1\n"


def test_a_sparse_worktree_holds_the_changed_files_and_what_the_reviewer_asks_for(project, tmp_path):
    with WorkspaceFactory(project.root, "HEAD", parent=tmp_path, backends=("worktree",)) as factory:
        workspace = factory.create(sparse=["src/app.py"])
        files = sorted(
            str(p.relative_to(workspace.root))
            for p in workspace.root.rglob("*")
            if p.is_file() and ".git" not in p.parts
        )
        assert files == ["src/app.py"]
        workspace.include(["docs/guide.md"])
        assert workspace.read_text("docs/guide.md") == "# guide\n"
        workspace.files.write("src/app.py", b"x = 6\n")
        diff = workspace.diff()
    assert diff.count("diff --git") == 1 and "+x = 6" in diff  # files left out are not deletions
    assert _left_behind(project, tmp_path) == []


def test_a_workspace_can_start_from_earlier_fixes(project, tmp_path):
    with WorkspaceFactory(project.root, "HEAD", parent=tmp_path) as factory:
        first = factory.create()
        first.files.write("src/app.py", b"x = 7\n")
        second = factory.create(start=first.tree())
        assert second.read_text("src/app.py") == "x = 7\n"
        second.files.write("src/util.py", b"y = 8\n")
        diff = second.diff()  # always against the reviewed commit
    assert "+x = 7" in diff and "+y = 8" in diff
    assert _left_behind(project, tmp_path) == []


def test_an_unknown_backend_in_the_environment_is_one_clear_error(project, cli, monkeypatch):
    monkeypatch.setenv("REVIEWKIT_WORKSPACE_BACKEND", "hardlinks")
    from reviewkit.workspace import WorkspaceError

    with pytest.raises(WorkspaceError, match="REVIEWKIT_WORKSPACE_BACKEND='hardlinks': use one of overlay"):
        WorkspaceFactory(project.root, "HEAD")
