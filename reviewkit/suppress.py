"""Suppressions, as a core ``modify_findings`` plugin: ``[[suppress]]`` entries from the config and
``# noqa: reviewkit`` (or ``# noqa: reviewkit[security/*,...]``) on the cited line.

In an untrusted review (``context.untrusted``) an inline suppression the change itself adds is a claim,
not an instruction: the finding stays, with a note. One on old code, or on a line the base of the same
file already had (re-indented or moved code), still counts. ``[[suppress]]`` comes from the base
configuration there already.
"""

from __future__ import annotations

import fnmatch
import re

import pathspec

from reviewkit.findings import Finding, Side
from reviewkit.hookspecs import hookimpl
from reviewkit.reviewer import ReviewContext

_INLINE = re.compile(r"noqa:\s*reviewkit(?:\[(?P<rules>[^\]]*)\])?", re.IGNORECASE)


@hookimpl
def modify_findings(context: ReviewContext, findings: list[Finding]) -> None:
    kept = []
    for finding in findings:
        if _config_suppressed(context, finding):
            continue
        claimed = _inline_claims(context, finding)
        if claimed and any(_trusted(context, finding.path, number, text) for number, text in claimed):
            continue
        for number, _ in claimed:
            finding = finding.with_note(f"suppression added by this change: # noqa on line {number} does not count")
        kept.append(finding)
    findings[:] = kept


def _config_suppressed(context: ReviewContext, finding: Finding) -> bool:
    for rule in context.config.suppressions:
        if not fnmatch.fnmatchcase(finding.rule, rule.rule):
            continue
        if not rule.paths or pathspec.GitIgnoreSpec.from_lines(rule.paths).match_file(finding.path):
            return True
    return False


def _inline_claims(context: ReviewContext, finding: Finding) -> list[tuple[int, str]]:
    """``(line, text)`` of each cited line whose ``# noqa: reviewkit`` covers the finding's rule."""
    if finding.side is not Side.HEAD:
        return []
    lines = context.head.lines(finding.path) or []
    claims = []
    for number in range(finding.line, min(finding.last_line, len(lines)) + 1):
        match = _INLINE.search(lines[number - 1])
        if match is None:
            continue
        rules = match.group("rules")
        if rules is None or any(fnmatch.fnmatchcase(finding.rule, r.strip()) for r in rules.split(",") if r.strip()):
            claims.append((number, lines[number - 1]))
    return claims


def _trusted(context: ReviewContext, path: str, number: int, text: str) -> bool:
    """Whether an inline suppression on ``path:number`` counts (see the module docstring)."""
    if not context.untrusted:
        return True
    changed = next((f for f in context.change.files if f.path == path), None)
    if changed is None or number not in changed.added_line_numbers():
        return True
    base = context.base.lines(changed.old_path or path) or []
    return text.strip() in {line.strip() for line in base}
