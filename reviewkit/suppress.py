"""Suppressions, as a core ``modify_findings`` plugin: ``[[suppress]]`` entries from the config and
``# noqa: reviewkit`` (or ``# noqa: reviewkit[security/*,...]``) on the cited line.

In an untrusted review (``reviewkit github``, ``review --untrusted``) a suppression the change itself
adds is a claim, not an instruction: an inline ``# noqa`` on a line the change added (and the base of
the file did not already have: moved or re-indented code keeps its suppression) does not silence the
finding, which is reported with a note saying so. (Configuration is read from the base revision
there, so ``[[suppress]]`` entries the change adds never apply; :func:`note_config_claims` marks the
findings they would have silenced.) Suppressions already in the base keep working.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import replace

import pathspec

from reviewkit.config import Config
from reviewkit.findings import Finding, Side
from reviewkit.hookspecs import hookimpl
from reviewkit.reviewer import ReviewContext
from reviewkit.verdict import Verdict

_INLINE = re.compile(r"noqa:\s*reviewkit(?:\[(?P<rules>[^\]]*)\])?", re.IGNORECASE)
NOT_HONOURED = "not honoured in an untrusted review: the finding still counts"
# No rule name is longer; fnmatch's translation of a pattern takes time quadratic in its unclosed '['
# (seconds for a crafted 16,000-character one), and a longer pattern would match no rule anyway.
_MAX_RULE_PATTERN = 200
_MAX_PATH_PATTERN = 1000  # a gitignore pattern longer than any path a repository holds matches nothing


@hookimpl
def modify_findings(context: ReviewContext, findings: list[Finding]) -> None:
    kept = []
    for finding in findings:
        if _config_suppressed(context.config, finding):
            continue
        line = _inline_suppression(context, finding)
        if line is None:
            kept.append(finding)
        elif context.untrusted and _added_by_change(context, finding.path, line):
            kept.append(
                finding.with_note(
                    f"suppression added by this change: '# noqa: reviewkit' on line {line}; {NOT_HONOURED}"
                )
            )
    findings[:] = kept


def _config_suppressed(config: Config, finding: Finding) -> bool:
    for rule in config.suppressions:
        if not _glob(finding.rule, rule.rule):
            continue
        paths = [p for p in rule.paths if len(p) <= _MAX_PATH_PATTERN]
        if not rule.paths or (paths and pathspec.GitIgnoreSpec.from_lines(paths).match_file(finding.path)):
            return True
    return False


def _glob(rule: str, pattern: str) -> bool:
    """``fnmatch`` of a rule id, refusing patterns no rule id could need: the configuration read here may
    be an untrusted change's own (to say what it would have silenced), and fnmatch is quadratic in '['."""
    return len(pattern) <= _MAX_RULE_PATTERN and fnmatch.fnmatchcase(rule, pattern)


def _inline_suppression(context: ReviewContext, finding: Finding) -> int | None:
    """The line of a ``# noqa: reviewkit`` that covers ``finding``, or None."""
    if finding.side is not Side.HEAD:
        return None
    lines = context.head.lines(finding.path)
    if not lines:
        return None
    for number in range(finding.line, min(finding.last_line, len(lines)) + 1):
        match = _INLINE.search(lines[number - 1])
        if match is None:
            continue
        rules = match.group("rules")
        if rules is None:
            return number
        if any(_glob(finding.rule, r.strip()) for r in rules.split(",") if r.strip()):
            return number
    return None


def _added_by_change(context: ReviewContext, path: str, line: int) -> bool:
    """Whether the suppression on ``path:line`` is the change's own: a line it added whose text the base
    of the same file did not already have (moved or re-indented code keeps its suppression)."""
    file = context.change.file(path)
    if file is None or line not in file.added_line_numbers():
        return False
    text = (context.head.lines(path) or [""] * line)[line - 1].strip()
    return text not in {old.strip() for old in context.base.lines(file.old_path or path) or []}


# --- configuration a change edits -------------------------------------------------------------------------


def note_config_claims(verdicts: Sequence[Verdict], *, base: Config, head: Config | None) -> list[Verdict]:
    """Mark the findings that the head's configuration — edited by an untrusted change, and not applied —
    would have silenced or demoted: new ``[[suppress]]`` entries, ``blocking = false``, rule globs added to
    a reviewer's ``disable`` option, or the reviewer dropped from ``code_review.reviewers``."""
    if head is None:
        return list(verdicts)
    return [replace(v, findings=tuple(_with_claims(f, v.reviewer, base, head) for f in v.findings)) for v in verdicts]


def _with_claims(finding: Finding, reviewer: str, base: Config, head: Config) -> Finding:
    where = head.path or "the configuration"
    claims = []
    if _config_suppressed(head, finding) and not _config_suppressed(base, finding):
        claims.append(f"a [[suppress]] entry in {where}")
    demoted = head.settings_for(reviewer).blocking is False and base.settings_for(reviewer).blocking is not False
    if finding.blocking and demoted:
        claims.append(f"[reviewer.{reviewer}] blocking = false in {where}")
    if _disabled(head, reviewer, finding) and not _disabled(base, reviewer, finding):
        claims.append(f"[reviewer.{reviewer}.options] disable in {where}")
    if reviewer in base.reviewers and reviewer not in head.reviewers:
        claims.append(f"{reviewer!r} removed from code_review.reviewers in {where}")
    if not head.enabled and base.enabled:
        claims.append(f"code_review.enabled = false in {where}")
    for claim in claims:
        finding = finding.with_note(f"suppression added by this change: {claim}; {NOT_HONOURED}")
    return finding


def _disabled(config: Config, reviewer: str, finding: Finding) -> bool:
    patterns = config.settings_for(reviewer).options.get("disable", ())
    short = finding.rule.split("/", 1)[-1]
    return isinstance(patterns, list) and any(
        isinstance(p, str) and (_glob(finding.rule, p) or _glob(short, p)) for p in patterns
    )
