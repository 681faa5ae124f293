"""Which revisions a local review compares.

Work that is not a commit yet is made into one, so that it gets the same review as a git range.

``--staged`` (the index), ``--worktree`` (the working tree, new untracked files included) and a patch
reviewed inside a repository (``--diff FILE``) become a pair of commits — base and head — written into the
repository's object store only (no ref, no index, no working-tree file is touched; git collects them as
garbage later). Every reviewer then reads real files at both sides, the fix stage has a commit to start
from, and nothing is reviewed from a patch's few context lines when the repository holds the whole file.

A git range's revisions are checked up front so that a mistake names the option that made it:
``--head nope`` says the head is unknown (not that no base could be found for it), and in a shallow
clone missing history comes with the command that fetches it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reviewkit import gitdiff
from reviewkit.errors import InputError
from reviewkit.git import IDENTITY, resolve_rev, run_git, shallow_hint

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
    if not patch.strip():  # an empty patch changes nothing: there is nothing to review
        return Revisions(base=head, head=head, source=name)
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


# --- git ranges ------------------------------------------------------------------------------------------


def review_base(repo: Path, base: str | None, head: str) -> str:
    """The base to review ``head`` against: ``base`` (``--base``) or the merge-base with upstream.

    Both revisions are resolved here first; an unknown one is an InputError naming its option.
    """
    resolve_rev(repo, head, flag="--head")
    if base is not None:
        resolve_rev(repo, base, flag="--base")
        return base
    try:
        return gitdiff.default_base(repo, head)
    except InputError as exc:
        raise InputError(f"{exc}{shallow_hint(repo)}") from exc


def whole_tree_base(repo: Path) -> str:
    """A commit of the empty tree, to review a whole revision as if every file were added (a baseline,
    a first push). Like the commits above it lives in the object store only."""
    return _commit(repo, EMPTY_TREE, None, "the empty tree")


def pre_push_range(repo: Path, environ: Mapping[str, str]) -> tuple[str, str]:
    """``--pre-push``: the range pre-commit's pre-push stage names, as (base, head).

    pre-commit sets ``PRE_COMMIT_FROM_REF``/``PRE_COMMIT_TO_REF`` to exactly what is being pushed (the
    remote's tip, or the parent of the first commit no remote has). It sets neither when the push
    carries a root commit (a first push): then the whole pushed tree is new and is reviewed as such.
    """
    base, head = environ.get("PRE_COMMIT_FROM_REF"), environ.get("PRE_COMMIT_TO_REF")
    if base and head:
        return base, head
    if base or head:
        raise InputError(
            "--pre-push: pre-commit set only one of PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF; "
            "set both, or pass --base and --head without --pre-push"
        )
    return whole_tree_base(repo), environ.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
