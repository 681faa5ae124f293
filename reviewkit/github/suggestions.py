"""Fixes as suggestions: a verdict's unified-diff patch cut into replacements of exact head line ranges.

A fix patch is made against the reviewed head, so its "old" line numbers are head line numbers: each run
of removed/added lines between context lines becomes one replacement of exactly the lines it removes.
A pure insertion has no line of its own to replace, so it is anchored on the context line before it
(or after it, at the top of a hunk) and repeats that line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from reviewkit.diff import FileStatus, Hunk, Line, parse_patch_text
from reviewkit.errors import ReviewkitError
from reviewkit.verdict import Verdict

_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion:
    """Replace head lines ``start_line..end_line`` of ``path`` with ``replacement``."""

    reviewer: str
    path: str
    start_line: int
    end_line: int
    original: tuple[str, ...]
    replacement: tuple[str, ...]
    merged: bool


def suggestions_from(verdicts: Iterable[Verdict]) -> list[Suggestion]:
    """Every suggestion the verdicts' fix patches hold; a patch that cannot be read yields none."""
    found: list[Suggestion] = []
    for verdict in verdicts:
        if verdict.fix.patch:
            found.extend(suggestions_for_patch(verdict.fix.patch, reviewer=verdict.reviewer, merged=verdict.fix.merged))
    return found


def suggestions_for_patch(patch: str, *, reviewer: str, merged: bool) -> list[Suggestion]:
    try:
        files = parse_patch_text(patch, source=f"{reviewer}'s fix")
    except ReviewkitError:
        return []  # the patch is still in the report; it just cannot be shown as suggestions
    found = []
    for file in files:
        # Suggestions edit lines of an existing head file; new, deleted, renamed or binary files cannot.
        if file.binary or file.status is not FileStatus.MODIFIED:
            continue
        for hunk in file.hunks:
            for start, end, original, replacement in _blocks(hunk):
                found.append(
                    Suggestion(
                        reviewer=reviewer,
                        path=file.path,
                        start_line=start,
                        end_line=end,
                        original=original,
                        replacement=replacement,
                        merged=merged,
                    )
                )
    return found


_Block = tuple[int, int, tuple[str, ...], tuple[str, ...]]


def _blocks(hunk: Hunk) -> Iterator[_Block]:
    removed: list[Line] = []
    added: list[str] = []
    before: Line | None = None
    for line in (*hunk.lines, None):
        if line is not None and line.kind != " ":
            if line.kind == "-":
                removed.append(line)
            else:
                added.append(line.text)
            continue
        if removed or added:
            block = _block(removed, added, before, line)
            if block is not None:
                yield block
            removed, added = [], []
        before = line


def _block(removed: list[Line], added: list[str], before: Line | None, after: Line | None) -> _Block | None:
    if removed:
        numbers = [line.old_number for line in removed if line.old_number is not None]
        return numbers[0], numbers[-1], tuple(line.text for line in removed), tuple(added)
    if before is not None and before.old_number is not None:
        return before.old_number, before.old_number, (before.text,), (before.text, *added)
    if after is not None and after.old_number is not None:
        return after.old_number, after.old_number, (after.text,), (*added, after.text)
    return None


def fence_for(text: str, minimum: int = 3) -> str:
    """A backtick fence longer than any backtick run inside ``text``, so the text cannot close it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(minimum, longest + 1)


def suggestion_block(suggestion: Suggestion) -> str:
    body = "".join(f"{line}\n" for line in suggestion.replacement)
    fence = fence_for(body)
    return f"{fence}suggestion\n{body}{fence}"
