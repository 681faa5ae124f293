"""Which revisions a local review compares, checked up front so a mistake names the option that made it.

``--head nope`` must say that the head is unknown, not that no base could be found for it; in a shallow
clone, missing history must come with the command that fetches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reviewkit import diff as diffs
from reviewkit.errors import InputError
from reviewkit.git import git_text, resolve_rev, shallow_hint


def review_base(repo: Path, base: str | None, head: str) -> str:
    """The base to review ``head`` against: ``base`` (``--base``) or the merge-base with upstream.

    Both revisions are resolved here first; an unknown one is an InputError naming its option.
    """
    resolve_rev(repo, head, flag="--head")
    if base is not None:
        resolve_rev(repo, base, flag="--base")
        return base
    try:
        return diffs.default_base(repo, head)
    except InputError as exc:
        raise InputError(f"{exc}{shallow_hint(repo)}") from exc


def whole_tree_base(repo: Path) -> str:
    """A commit with an empty tree, to review a whole revision as if every file were added.

    The commit is built deterministically (fixed author and date), so repeated runs write the same one
    loose object into the repository; nothing references it, and ``git gc`` removes it in time.
    """
    empty_tree = git_text(repo, ["hash-object", "-t", "tree", "-w", "--stdin"], input=b"")
    env = {
        "GIT_AUTHOR_NAME": "reviewkit",
        "GIT_AUTHOR_EMAIL": "reviewkit@localhost",
        "GIT_AUTHOR_DATE": "1970-01-01T00:00:00Z",
        "GIT_COMMITTER_NAME": "reviewkit",
        "GIT_COMMITTER_EMAIL": "reviewkit@localhost",
        "GIT_COMMITTER_DATE": "1970-01-01T00:00:00Z",
    }
    return git_text(repo, ["commit-tree", empty_tree, "-m", "reviewkit: the empty tree"], env=env)


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
