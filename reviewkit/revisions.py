"""Which revisions a local review compares, checked up front so a mistake names the option that made it.

``--head nope`` must say that the head is unknown, not that no base could be found for it; in a shallow
clone, missing history must come with the command that fetches it.
"""

from __future__ import annotations

from pathlib import Path

from reviewkit import diff as diffs
from reviewkit.errors import InputError
from reviewkit.git import resolve_rev, shallow_hint


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
