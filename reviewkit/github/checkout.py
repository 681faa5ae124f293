"""The commits a pull-request review needs, and the configuration as the base revision has it.

Actions' checkout is shallow (depth 1) by default: base and head are fetched here when missing, then
deepened until their merge-base is known, since GitHub reviews a pull request as merge-base..head.
Configuration and prompt files come from the base revision (reviewkit.config.config_at): a pull request
must not be able to rewrite the rules it is reviewed by.
"""

from __future__ import annotations

from pathlib import Path

from reviewkit.errors import InputError
from reviewkit.git import git_text, run_git

_DEPTHS = (50, 500)


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


def _has_commit(repo: Path, sha: str) -> bool:
    return bool(git_text(repo, ["rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}"], check=False))


def _is_shallow(repo: Path) -> bool:
    return git_text(repo, ["rev-parse", "--is-shallow-repository"], check=False) == "true"


def _fetch(repo: Path, remote: str, shas: list[str], *, depth: int | None) -> None:
    depth_args = [f"--depth={depth}"] if depth else (["--unshallow"] if _is_shallow(repo) else [])
    run_git(repo, ["fetch", "--no-tags", "--quiet", *depth_args, remote, *shas])
