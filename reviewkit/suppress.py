"""Suppressions, as a core ``modify_findings`` plugin: ``[[suppress]]`` entries from the config and
``# noqa: reviewkit`` (or ``# noqa: reviewkit[security/*,...]``) on the cited line."""

from __future__ import annotations

import fnmatch
import re

import pathspec

from reviewkit.findings import Finding, Side
from reviewkit.hookspecs import hookimpl
from reviewkit.reviewer import ReviewContext

_INLINE = re.compile(r"noqa:\s*reviewkit(?:\[(?P<rules>[^\]]*)\])?", re.IGNORECASE)
# No rule name is longer; fnmatch's translation of a pattern takes time quadratic in its unclosed '['
# (seconds for a crafted 16,000-character one), and a longer pattern would match no rule anyway.
_MAX_RULE_PATTERN = 200


@hookimpl
def modify_findings(context: ReviewContext, findings: list[Finding]) -> None:
    findings[:] = [f for f in findings if not _suppressed(context, f)]


def _suppressed(context: ReviewContext, finding: Finding) -> bool:
    for rule in context.config.suppressions:
        if not fnmatch.fnmatchcase(finding.rule, rule.rule):
            continue
        if not rule.paths or pathspec.GitIgnoreSpec.from_lines(rule.paths).match_file(finding.path):
            return True
    return _inline_suppressed(context, finding)


def _inline_suppressed(context: ReviewContext, finding: Finding) -> bool:
    if finding.side is not Side.HEAD:
        return False
    lines = context.head.lines(finding.path)
    if not lines:
        return False
    for number in range(finding.line, min(finding.last_line, len(lines)) + 1):
        match = _INLINE.search(lines[number - 1])
        if match is None:
            continue
        rules = match.group("rules")
        if rules is None:
            return True
        patterns = [r.strip() for r in rules.split(",") if 0 < len(r.strip()) <= _MAX_RULE_PATTERN]
        if any(fnmatch.fnmatchcase(finding.rule, pattern) for pattern in patterns):
            return True
    return False
