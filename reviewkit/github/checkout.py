"""The commits a review needs, fetched into Actions' shallow checkout, and the range they make.

Actions' checkout is shallow (depth 1) by default: base and head are fetched here when missing, then
deepened until their merge-base is known, since GitHub reviews a pull request as merge-base..head (and
a push as what it added since the commit it replaced). Configuration and prompt files come from the
base revision (reviewkit.config.config_at): a change must not be able to rewrite the rules it is
reviewed by.

A checkout made with ``persist-credentials: false`` (as it should be: the change's code must not find
a token in ``.git/config``) cannot fetch from a private repository. A fetch that fails is then tried
once more with the token in the environment of that one git process (an ``http.<server>/.extraheader``,
as actions/checkout sends it): never on a command line, never written to a file, and before anything
from the change runs.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
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


def fetch_auth(server_url: str, token: str) -> dict[str, str]:
    """The environment that lets one git process authenticate to ``server_url`` with ``token``."""
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{server_url.rstrip('/')}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def resolve_range(
    repo: Path, target: Target, *, remote: str = "origin", auth: Mapping[str, str] | None = None
) -> Range:
    """Fetch what ``target`` needs and return the commits to review."""
    fetcher = _Fetcher(repo, remote, auth)
    head = resolve_commit(repo, target.head, fetcher=fetcher)
    if target.parent_only:
        parent = _parent(repo, head, fetcher=fetcher)
        return Range(base=parent, head=head, config=parent)
    if target.base is None:
        base = fetch_branch(repo, target.default_branch, fetcher=fetcher)
    else:
        base = resolve_commit(repo, target.base, fetcher=fetcher)
    return Range(base=prepare_commits(repo, base, head, fetcher=fetcher), head=head, config=base)


def resolve_commit(repo: Path, rev: str, *, fetcher: _Fetcher | None = None) -> str:
    """The commit id of ``rev`` (a commit id or a branch), fetched when it is missing."""
    _check_rev(rev)
    found = _commit_of(repo, rev)
    if found:
        return found
    fetcher = fetcher or _Fetcher(repo)
    try:
        fetcher.fetch([rev], depth=_DEPTHS[0])
    except InputError as exc:
        raise InputError(f"cannot find {rev!r} in {repo}, nor fetch it from {fetcher.remote}: {exc}") from exc
    return _commit_of(repo, rev if _SHA.fullmatch(rev) else "FETCH_HEAD")


def fetch_branch(repo: Path, branch: str, *, fetcher: _Fetcher | None = None) -> str:
    """The tip of ``branch`` on the remote, fetched now (a remote-tracking ref could be stale)."""
    _check_rev(branch)
    fetcher = fetcher or _Fetcher(repo)
    try:
        fetcher.fetch([f"refs/heads/{branch}"], depth=_DEPTHS[0])
    except InputError as exc:
        raise InputError(f"cannot fetch the default branch {branch!r} from {fetcher.remote}: {exc}") from exc
    return _commit_of(repo, "FETCH_HEAD")


def prepare_commits(repo: Path, base: str, head: str, *, fetcher: _Fetcher | None = None) -> str:
    """Make sure ``base`` and ``head`` are present and return their merge-base."""
    fetcher = fetcher or _Fetcher(repo)
    missing = [sha for sha in (base, head) if not _commit_of(repo, sha)]
    if missing:
        fetcher.fetch(missing, depth=_DEPTHS[0])
    for depth in (*_DEPTHS, None):
        merge_base = git_text(repo, ["merge-base", base, head], check=False)
        if merge_base:
            return merge_base
        if not _is_shallow(repo):
            break
        fetcher.fetch([base, head], depth=depth)
    raise InputError(f"base {base[:12]} and head {head[:12]} have no common ancestor in {repo}")


class _Fetcher:
    """``git fetch`` from one remote; a failed fetch is tried once more with ``auth`` (see the docstring)."""

    def __init__(self, repo: Path, remote: str = "origin", auth: Mapping[str, str] | None = None) -> None:
        self.repo = repo
        self.remote = remote
        self.auth = dict(auth or {})

    def fetch(self, revs: list[str], *, depth: int | None) -> None:
        depth_args = [f"--depth={depth}"] if depth else (["--unshallow"] if _is_shallow(self.repo) else [])
        args = ["fetch", "--no-tags", "--quiet", *depth_args, self.remote, *revs]
        try:
            run_git(self.repo, args)
        except InputError:
            if not self.auth:
                raise
            run_git(self.repo, args, env=self.auth)


def _check_rev(rev: str) -> None:
    # Revisions can come from workflow_dispatch inputs: never let one be read as a git option.
    if not _REV.fullmatch(rev) or rev.startswith("-") or ".." in rev:
        raise InputError(f"{rev!r} is not a commit id or branch name reviewkit can fetch")


def _parent(repo: Path, head: str, *, fetcher: _Fetcher) -> str:
    parent = _commit_of(repo, f"{head}^")
    if not parent and _is_shallow(repo):
        fetcher.fetch([head], depth=2)
        parent = _commit_of(repo, f"{head}^")
    if not parent:
        raise InputError(
            f"{head[:12]} is a root commit: there is nothing to compare it with; "
            "run 'reviewkit github --base REV' or 'reviewkit review --base REV'"
        )
    return parent


def _commit_of(repo: Path, rev: str) -> str:
    return git_text(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], check=False)


def _is_shallow(repo: Path) -> bool:
    return git_text(repo, ["rev-parse", "--is-shallow-repository"], check=False) == "true"
