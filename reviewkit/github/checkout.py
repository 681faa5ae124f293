"""The commits a review needs, fetched into Actions' shallow checkout, and the range they make.

Actions' checkout is shallow (depth 1) by default: base and head are fetched here when missing, then
deepened until their merge-base is known, since GitHub reviews a pull request as merge-base..head (and
a push as what it added since the commit it replaced). Configuration and prompt files come from the
base revision (reviewkit.config.config_at): a change must not be able to rewrite the rules it is
reviewed by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reviewkit.errors import InputError
from reviewkit.git import git_text, run_git
from reviewkit.github.event import Target

_DEPTHS = (50, 500)
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_REV = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Range:
    """``base..head`` to review, and ``config`` (the base tip) whose configuration applies."""

    base: str
    head: str
    config: str


def resolve_range(repo: Path, target: Target, *, remote: str = "origin") -> Range:
    """Fetch what ``target`` needs and return the commits to review."""
    head = resolve_commit(repo, target.head, remote=remote)
    if target.parent_only:
        parent = _parent(repo, head, remote=remote)
        return Range(base=parent, head=head, config=parent)
    if target.base is None:
        base = fetch_branch(repo, target.default_branch, remote=remote)
    else:
        base = resolve_commit(repo, target.base, remote=remote)
    return Range(base=prepare_commits(repo, base, head, remote=remote), head=head, config=base)


def resolve_commit(repo: Path, rev: str, *, remote: str = "origin") -> str:
    """The commit id of ``rev`` (a commit id or a branch), fetched from ``remote`` when it is missing."""
    _check_rev(rev)
    found = _commit_of(repo, rev)
    if found:
        return found
    try:
        _fetch(repo, remote, [rev], depth=_DEPTHS[0])
    except InputError as exc:
        raise InputError(f"cannot find {rev!r} in {repo}, nor fetch it from {remote}: {exc}") from exc
    return _commit_of(repo, rev if _SHA.fullmatch(rev) else "FETCH_HEAD")


def fetch_branch(repo: Path, branch: str, *, remote: str = "origin") -> str:
    """The tip of ``branch`` on ``remote``, fetched now (a remote-tracking ref could be stale)."""
    _check_rev(branch)
    try:
        _fetch(repo, remote, [f"refs/heads/{branch}"], depth=_DEPTHS[0])
    except InputError as exc:
        raise InputError(f"cannot fetch the default branch {branch!r} from {remote}: {exc}") from exc
    return _commit_of(repo, "FETCH_HEAD")


def _check_rev(rev: str) -> None:
    # Revisions can come from workflow_dispatch inputs: never let one be read as a git option.
    if not _REV.fullmatch(rev) or rev.startswith("-") or ".." in rev:
        raise InputError(f"{rev!r} is not a commit id or branch name reviewkit can fetch")


def prepare_commits(repo: Path, base: str, head: str, *, remote: str = "origin") -> str:
    """Make sure ``base`` and ``head`` are present and return their merge-base."""
    missing = [sha for sha in (base, head) if not _has_commit(repo, sha)]
    if missing:
        _fetch(repo, remote, missing, depth=_DEPTHS[0])
    for depth in (*_DEPTHS, None):
        merge_base = git_text(repo, ["merge-base", base, head], check=False)
        if merge_base:
            return merge_base
        if not _is_shallow(repo):
            break
        _fetch(repo, remote, [base, head], depth=depth)
    raise InputError(f"base {base[:12]} and head {head[:12]} have no common ancestor in {repo}")


def _parent(repo: Path, head: str, *, remote: str) -> str:
    parent = _commit_of(repo, f"{head}^")
    if not parent and _is_shallow(repo):
        _fetch(repo, remote, [head], depth=2)
        parent = _commit_of(repo, f"{head}^")
    if not parent:
        raise InputError(
            f"{head[:12]} is a root commit: there is nothing to compare it with; "
            "run 'reviewkit github --base REV' or 'reviewkit review --base REV'"
        )
    return parent


def _commit_of(repo: Path, rev: str) -> str:
    return git_text(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], check=False)


def _has_commit(repo: Path, sha: str) -> bool:
    return bool(_commit_of(repo, sha))


def _is_shallow(repo: Path) -> bool:
    return git_text(repo, ["rev-parse", "--is-shallow-repository"], check=False) == "true"


def _fetch(repo: Path, remote: str, revs: list[str], *, depth: int | None) -> None:
    depth_args = [f"--depth={depth}"] if depth else (["--unshallow"] if _is_shallow(repo) else [])
    run_git(repo, ["fetch", "--no-tags", "--quiet", *depth_args, remote, *revs])
