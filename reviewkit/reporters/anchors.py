"""Where a finding sits in the reviewed head, for formats that can only point at head lines.

Most findings cite the head. A finding on code the change deleted (a removed test, side ``base``) cites
a line of the base revision, which does not exist in the head; SARIF, rdjson and annotations would put
it on a wrong line or on no line at all. It is anchored instead on the nearest head line of the hunk
that removed it: the line that now stands where the removed code was. Its message says which base
line it is about (:func:`reviewkit.reporters.sarif.describe`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reviewkit.diff import FileChange, FileStatus, Hunk
from reviewkit.findings import Finding, Side


@dataclass(frozen=True, slots=True, kw_only=True)
class Anchor:
    """Head lines ``start..end`` of ``path``, the place a format can point at."""

    path: str
    start: int
    end: int


def head_anchor(finding: Finding, files: Iterable[FileChange]) -> Anchor | None:
    """The head place of ``finding``; None when the head has no line for it (its file was deleted, or the
    report no longer holds the hunks, as after ``reviewkit merge``)."""
    if finding.side is Side.HEAD:
        return Anchor(path=finding.path, start=finding.line, end=finding.last_line)
    file = next((f for f in files if (f.old_path or f.path) == finding.path), None)
    if file is None or file.status is FileStatus.DELETED:
        return None
    hunk = next((h for h in file.hunks if h.old_start <= finding.line < h.old_start + h.old_count), None)
    if hunk is None:
        return None
    line = _nearest_head_line(hunk, finding.line)
    return Anchor(path=file.path, start=line, end=line)


def _nearest_head_line(hunk: Hunk, old_line: int) -> int:
    """The first head line after the removed line, else the last one before it, else where the hunk sits."""
    before: int | None = None
    passed = False
    for line in hunk.lines:
        if line.old_number == old_line:
            if line.new_number is not None:  # an unchanged line: the same line in the head
                return line.new_number
            passed = True
        elif line.new_number is not None:
            if passed:
                return line.new_number
            before = line.new_number
    # A hunk that only removes lines starts (in the head) at the line before the removal.
    return before if before is not None else max(hunk.new_start, 1)
