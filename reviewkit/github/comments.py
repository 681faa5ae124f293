"""Which findings and fixes can be review comments, and their text.

GitHub accepts a review comment only on lines inside the diff's hunks (a multi-line comment within one
hunk). Findings elsewhere, and fixes whose lines are not all in one hunk, go to the summary instead.
A fix becomes a ```suggestion block over exactly the lines it replaces. A finding on code the change
deleted becomes a comment on the LEFT (base) side of the deleted line.

Nothing invisible is posted: a file whose name holds characters a reader could not see (a bidi
override, a control character) gets no inline comment, which GitHub would show under the raw name;
its findings go to the summary with the name escaped. A fix whose code holds such characters is not
offered as a one-click suggestion (accepting it would commit what nobody could see); it stays in the
summary as an escaped diff.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewkit.diff import Change, FileChange, FileStatus
from reviewkit.display import is_visible, visible
from reviewkit.findings import Finding, Side
from reviewkit.github.suggestions import Suggestion, suggestion_block, suggestions_from
from reviewkit.report import Report
from reviewkit.reporters.markdown import COMMENT_LIMIT, code_span, escape
from reviewkit.reporters.sarif import line_hash
from reviewkit.verdict import Status

FINDING_MARKER = "<!-- reviewkit:finding:{} -->"


@dataclass(frozen=True, slots=True, kw_only=True)
class InlineComment:
    fingerprint: str
    path: str
    start_line: int
    line: int
    side: str  # RIGHT (head) or LEFT (base)
    body: str
    finding: Finding | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "line": self.line, "side": self.side, "body": self.body}
        if self.start_line != self.line:
            data.update(start_line=self.start_line, start_side=self.side)
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    inline: tuple[InlineComment, ...]
    outside: tuple[Finding, ...]  # findings on lines outside the diff
    unplaced_fixes: tuple[str, ...]  # reviewers with a fix that is not (all) shown as suggestions


def plan_comments(report: Report, change: Change) -> Plan:
    hunks = DiffLines(change)
    suggestions = suggestions_from(report.verdicts)
    placeable = [s for s in suggestions if _showable(s) and hunks.contains(s.path, s.start_line, s.end_line, Side.HEAD)]
    used: set[Suggestion] = set()
    inline, outside = [], []
    occurrences: Counter[str] = Counter()
    # Blocking findings first, worst first: if a review must be cut short, these are the ones to keep.
    for verdict in sorted(report.verdicts, key=lambda v: v.status is not Status.BLOCKING):
        for finding in sorted(verdict.findings, key=lambda f: -f.severity.rank):
            digest = line_hash(finding)[:20]
            occurrences[digest] += 1  # the same line of code twice in a file is two findings
            fingerprint = f"{digest}-{occurrences[digest]}"
            fix = next((s for s in placeable if s.reviewer == verdict.reviewer and _covers(s, finding)), None)
            if fix is not None:
                used.add(fix)
                inline.append(_finding_comment(verdict.reviewer, finding, fix, fingerprint))
            elif hunks.can_comment(finding):
                path = finding.path if finding.side is Side.HEAD else hunks.head_path(finding.path)
                inline.append(_finding_comment(verdict.reviewer, finding, None, fingerprint, path=path))
            else:
                outside.append(finding)
    inline += [_fix_comment(s) for s in placeable if s not in used]
    unplaced = {s.reviewer for s in suggestions if s not in placeable}
    unplaced |= {
        v.reviewer for v in report.verdicts if v.fix.patch and not any(s.reviewer == v.reviewer for s in suggestions)
    }
    return Plan(inline=tuple(inline), outside=tuple(outside), unplaced_fixes=tuple(sorted(unplaced)))


class DiffLines:
    """The line ranges of each file's hunks, on the head (RIGHT) and base (LEFT) sides."""

    def __init__(self, change: Change) -> None:
        self._ranges: dict[tuple[str, Side], list[tuple[int, int]]] = {}
        self._head_paths = {file.old_path: file.path for file in change.files if file.old_path}
        for file in change.files:
            self._add(file)

    def head_path(self, base_path: str) -> str:
        """The name GitHub files a base-side comment under: the head path of a renamed file."""
        return self._head_paths.get(base_path, base_path)

    def _add(self, file: FileChange) -> None:
        for hunk in file.hunks:
            if hunk.new_count and file.status is not FileStatus.DELETED:
                self._ranges.setdefault((file.path, Side.HEAD), []).append(
                    (hunk.new_start, hunk.new_start + hunk.new_count - 1)
                )
            if hunk.old_count:
                self._ranges.setdefault((file.old_path or file.path, Side.BASE), []).append(
                    (hunk.old_start, hunk.old_start + hunk.old_count - 1)
                )

    def add_range(self, path: str, side: Side, start: int, end: int) -> None:
        self._ranges.setdefault((path, side), []).append((start, end))

    def can_comment(self, finding: Finding) -> bool:
        """Whether ``finding`` can be an inline comment: on lines of one hunk, in a file named visibly."""
        return is_visible(finding.path) and self.contains(finding.path, finding.line, finding.last_line, finding.side)

    def contains(self, path: str, start: int, end: int, side: Side) -> bool:
        """Whether lines ``start..end`` lie inside one hunk of ``path`` on ``side``."""
        return any(low <= start and end <= high for low, high in self._ranges.get((path, side), ()))


def _showable(suggestion: Suggestion) -> bool:
    lines = (*suggestion.original, *suggestion.replacement)
    return is_visible(suggestion.path) and all(visible(line, keep="\t") == line for line in lines)


def _covers(suggestion: Suggestion, finding: Finding) -> bool:
    return (
        finding.side is Side.HEAD
        and suggestion.path == finding.path
        and suggestion.start_line <= finding.last_line
        and finding.line <= suggestion.end_line
    )


def _finding_comment(
    reviewer: str, finding: Finding, fix: Suggestion | None, fingerprint: str, *, path: str = ""
) -> InlineComment:
    start, end = (fix.start_line, fix.end_line) if fix else (finding.line, finding.last_line)
    lines = [
        FINDING_MARKER.format(fingerprint),
        f"**{finding.severity.value}** {code_span(finding.rule)} · {escape(reviewer)}"
        + (f" · {escape(finding.cwe)}" if finding.cwe else ""),
        "",
        escape(finding.message)
        + (" _(on the base revision: code this change removes)_" if finding.side is Side.BASE else ""),
    ]
    if fix is not None:
        lines += ["", suggestion_block(fix), "", _fix_note(fix)]
    return InlineComment(
        fingerprint=fingerprint,
        path=path or finding.path,
        start_line=start,
        line=end,
        side="RIGHT" if finding.side is Side.HEAD else "LEFT",
        body=_limit("\n".join(lines)),
        finding=finding,
    )


def _fix_comment(fix: Suggestion) -> InlineComment:
    digest = hashlib.sha256("\0".join([fix.reviewer, fix.path, *fix.original, "\0", *fix.replacement]).encode())
    fingerprint = "fix-" + digest.hexdigest()[:16]
    body = "\n".join(
        [
            FINDING_MARKER.format(fingerprint),
            f"Suggested fix from {escape(fix.reviewer)}:",
            "",
            suggestion_block(fix),
            "",
            _fix_note(fix),
        ]
    )
    return InlineComment(
        fingerprint=fingerprint,
        path=fix.path,
        start_line=fix.start_line,
        line=fix.end_line,
        side="RIGHT",
        body=_limit(body),
    )


def _fix_note(fix: Suggestion) -> str:
    if fix.merged:
        return "_This fix passed reviewkit's test gate._"
    return "_Proposed fix: not run through a test gate._"


def _limit(body: str) -> str:
    if len(body) <= COMMENT_LIMIT:
        return body
    # A suggestion cut short would replace code with half a fix: drop it rather than truncate it.
    marker, _, rest = body.partition("\n")
    text = rest[: COMMENT_LIMIT - len(marker) - 200].split("\n```")[0]
    return f"{marker}\n{text}\n\n_(cut to GitHub's comment size limit; the full text is in the summary)_"


def fingerprints_in(bodies: Sequence[str]) -> set[str]:
    """The fingerprints of comments reviewkit wrote: the marker is the first line of such a comment (a
    marker quoted further down someone else's text is not one)."""
    prefix, suffix = FINDING_MARKER.split("{}")
    found = set()
    for body in bodies:
        first = body.split("\n", 1)[0]
        if first.startswith(prefix) and first.endswith(suffix):
            found.add(first[len(prefix) : -len(suffix)])
    return found
