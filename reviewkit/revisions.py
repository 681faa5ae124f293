"""Work that is not a commit yet, made into one, so that it gets the same review as a git range.

``--staged`` (the index), ``--worktree`` (the working tree, new untracked files included) and a patch
reviewed inside a repository (``--diff FILE``) become a pair of commits — base and head — written into the
repository's object store only (no ref, no index, no working-tree file is touched; git collects them as
garbage later). Every reviewer then reads real files at both sides, the fix stage has a commit to start
from, and nothing is reviewed from a patch's few context lines when the repository holds the whole file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reviewkit.errors import InputError
from reviewkit.git import IDENTITY, run_git

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@dataclass(frozen=True, slots=True, kw_only=True)
class Revisions:
    """The two commits a review of uncommitted work compares, and how to name the change."""

    base: str
    head: str
    source: str


def staged(repo: Path) -> Revisions:
    """The index against HEAD: what ``git commit`` would record now."""
    base = _head_commit(repo)
    with _scratch_index(repo, copy_index=True) as env:
        tree = _git(repo, ["write-tree"], env)
    return Revisions(base=base, head=_commit(repo, tree, base, "staged changes"), source="staged changes")


def worktree(repo: Path) -> Revisions:
    """The working tree against HEAD: tracked edits and new files that .gitignore does not exclude."""
    base = _head_commit(repo)
    with _scratch_index(repo, copy_index=True) as env:
        _git(repo, ["add", "--all", "--", "."], env)
        tree = _git(repo, ["write-tree"], env)
    return Revisions(base=base, head=_commit(repo, tree, base, "working tree"), source="working tree")


def patch_in_repository(repo: Path, patch: bytes, name: str) -> Revisions:
    """A patch made into base and head commits of ``repo``.

    Tried in order: the patch applies onto HEAD, onto the index, or it is already in the tree (it
    applies in reverse onto HEAD, or onto the working tree). The first that works gives the base;
    the head is the base with the patch applied, so the review sees exactly the patch's changes, in
    full files. A patch that fits none of them is refused: reviewing only its lines would be a review
    of less than the change.
    """
    head = _head_commit(repo)
    failures = []
    for where, forward in (("HEAD", True), ("the index", True), ("HEAD", False), ("the working tree", False)):
        with _scratch_index(repo, copy_index=where == "the index") as env:
            if where == "HEAD":
                _git(repo, ["read-tree", head], env)
            elif where == "the working tree":
                _git(repo, ["read-tree", head], env)
                _git(repo, ["add", "--all", "--", "."], env)
            start = _git(repo, ["write-tree"], env)
            applied = _apply(repo, patch, env, reverse=not forward)
            if applied:
                failures.append(f"{where}: {applied}")
                continue
            other = _git(repo, ["write-tree"], env)
        base_tree, head_tree = (start, other) if forward else (other, start)
        base = _commit(repo, base_tree, head, f"base of {name}")
        return Revisions(base=base, head=_commit(repo, head_tree, base, name), source=f"{name} (in {repo.name})")
    raise InputError(
        f"--diff {name}: the patch applies neither to HEAD, the index nor the working tree of {repo} "
        f"({failures[0]}); run outside the repository to review only its lines, or pass --base/--head"
    )


def _apply(repo: Path, patch: bytes, env: dict[str, str], *, reverse: bool) -> str:
    """Apply ``patch`` to the scratch index; '' on success, else git's reason."""
    args = ["apply", "--cached", "--whitespace=nowarn", *(["--reverse"] if reverse else []), "-"]
    try:
        run_git(repo, args, input=patch, env=env)
    except InputError as exc:
        return str(exc).rsplit(": ", 1)[-1]
    return ""


def _head_commit(repo: Path) -> str:
    """HEAD, or a commit of the empty tree in a repository without commits yet."""
    out = run_git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False).decode().strip()
    return out or _commit(repo, EMPTY_TREE, None, "empty")


def _commit(repo: Path, tree: str, parent: str | None, what: str) -> str:
    parents = ["-p", parent] if parent else []
    message = f"reviewkit: {what} (not a commit of yours; made to review it)"
    return _git(repo, ["commit-tree", tree, *parents, "-m", message], IDENTITY)


def _git(repo: Path, args: list[str], env: dict[str, str]) -> str:
    return run_git(repo, args, env=env).decode().strip()


@contextmanager
def _scratch_index(repo: Path, *, copy_index: bool) -> Iterator[dict[str, str]]:
    """An index file of our own, so the user's index (and any lock on it) is never touched."""
    folder = Path(tempfile.mkdtemp(prefix="reviewkit-index-"))
    try:
        index = folder / "index"
        if copy_index:
            real = Path(run_git(repo, ["rev-parse", "--path-format=absolute", "--git-path", "index"]).decode().strip())
            if real.is_file():
                shutil.copyfile(real, index)
        yield {"GIT_INDEX_FILE": str(index)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
