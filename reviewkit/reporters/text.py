"""``--format text``: the report as a person reads it in a terminal."""

from __future__ import annotations

from reviewkit.display import visible
from reviewkit.findings import Finding, Side
from reviewkit.policy import Decision
from reviewkit.report import Report
from reviewkit.reporter import Reporter
from reviewkit.verdict import Status, Verdict

_COLORS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}
_DECISION_COLOR = {
    Decision.DEVELOPMENT_COMPLETE: "green",
    Decision.NEW_REVIEW_ROUND: "blue",
    Decision.CONTINUE_DEVELOPMENT: "red",
    Decision.STOP_DEVELOPMENT: "red",
    Decision.NOTIFY_MANAGEMENT: "red",
}
_STATUS_COLOR = {
    Status.PASS: "green",
    Status.FIXED: "green",
    Status.WARN: "yellow",
    Status.BLOCKING: "red",
    Status.ERROR: "red",
    Status.SKIPPED: "dim",
}


class TextReporter(Reporter):
    name = "text"
    description = "a readable report for a terminal (colour on a terminal unless NO_COLOR)"

    def render(self, report: Report, *, color: bool = False) -> str:
        paint = _painter(color)
        if not report.files and not report.verdicts:
            where = _range(report) or "the input"
            message = f"reviewkit: nothing to review: {where} changes no files"
            return paint("bold", message) + f" (exit {report.exit_code})\n"
        added = sum(f.added for f in report.files)
        deleted = sum(f.deleted for f in report.files)
        lines = [
            paint("bold", f"reviewkit: {len(report.files)} file(s) changed, +{added} -{deleted}")
            + paint("dim", f"  {_range(report)}"),
            "",
        ]
        for verdict in report.verdicts:
            lines.extend(_verdict_lines(verdict, paint))
        for skipped in report.skipped:
            lines.append(paint("dim", f"- {visible(skipped.reviewer)}: skipped: {one_line(skipped.reason)}"))
        if report.dropped_findings:
            lines.append(
                paint("dim", f"({report.dropped_findings} finding(s) dropped: evidence did not match the code)")
            )
        lines.extend(_fix_lines(report, paint))
        usage = report.usage
        if usage.input_tokens or usage.output_tokens:
            lines.append(
                paint(
                    "dim",
                    f"model usage: {usage.input_tokens} in, {usage.output_tokens} out, ${usage.cost_usd:.4f}",
                )
            )
        lines += [
            "",
            paint(_DECISION_COLOR[report.decision], f"{report.decision.value} (exit {report.exit_code})")
            + f": {one_line(report.reason)}",
        ]
        return "\n".join(lines) + "\n"


def _fix_lines(report: Report, paint: _Paint) -> list[str]:
    """What became of the fixes: merged or proposed and why, the test gate, dropped fixes, rounds."""
    fixes, lines = report.fixes, []
    if fixes.patch or fixes.dropped:
        state = "merged" if fixes.merged else "proposed, not merged"
        how = "--apply writes them, --fix-patch FILE saves them" if fixes.merged else "--fix-patch FILE saves them"
        note = f": {one_line(fixes.note)}" if fixes.note else ""
        lines.append(f"fixes: {state}{note} ({how})")
    if fixes.tests is not None:
        result = "passed" if fixes.tests.passed else f"failed (exit {fixes.tests.exit_code})"
        command = one_line(fixes.tests.command)
        where = (
            f" ({fixes.workspace.backend} workspace, set up in {fixes.workspace.setup_s:.2f}s; "
            f"sandbox: {fixes.tests.isolation})"
        )
        lines.append(paint("dim", f"  test gate {result} in {fixes.tests.duration_s:.1f}s{where}: {command}"))
    lines += [paint("dim", f"  dropped: {one_line(dropped)}") for dropped in fixes.dropped]
    if report.rounds:
        lines.append("rounds: " + " -> ".join(r.decision.value for r in report.rounds))
        for number, round_ in enumerate(report.rounds[:-1], 1):  # the last round is shown above
            for verdict in round_.verdicts:
                who = visible(verdict.reviewer)
                lines += [
                    paint("dim", f"  round {number}: fixed {visible(f.rule)} at {location(f)} ({who})")
                    for f in verdict.findings
                    if f.fixed
                ]
    return lines


def _range(report: Report) -> str:
    if report.base and report.head:
        return f"{report.base[:10]}..{report.head[:10]}"
    return visible(report.source)


def _verdict_lines(verdict: Verdict, paint: _Paint) -> list[str]:
    mark = paint(_STATUS_COLOR[verdict.status], verdict.status.value.upper())
    blocking = " (blocking)" if verdict.blocking else ""
    text = one_line(verdict.summary or verdict.error or "")
    lines = [f"{mark} {visible(verdict.reviewer)}{blocking}: {text}".rstrip()]
    for finding in verdict.findings:
        lines.extend(_finding_lines(finding, paint))
    if verdict.fix.patch and not verdict.fix.merged:
        lines.append(paint("dim", "    a fix is proposed (--fix-patch FILE saves it)"))
    return lines


def _finding_lines(finding: Finding, paint: _Paint) -> list[str]:
    state = " [fixed]" if finding.fixed else ""
    if finding.accepted is not None:
        who = finding.accepted
        state += f" [accepted by {visible(who.by)} ({visible(who.via)}): {one_line(who.reason)}]"
    severity = paint("red" if finding.severity.rank >= 3 else "yellow", finding.severity.value)
    evidence = visible(finding.evidence.strip()[:200], keep="\t")
    return [
        f"  {location(finding)}: {severity} {visible(finding.rule)}{state}: {one_line(finding.message)}",
        paint("dim", f"      {evidence}"),
    ]


def location(finding: Finding) -> str:
    """``path:line`` with the path escaped; code the change deleted is marked as a line of the base."""
    where = f"{visible(finding.path)}:{finding.line}"
    return where if finding.side is Side.HEAD else f"{where} (base)"


def one_line(text: str) -> str:
    """Reviewer text on one terminal line: runs of whitespace become one space, the rest is escaped."""
    return visible(" ".join(text.split()))


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, color: str, text: str) -> str:
        if not self.enabled:
            return text
        return f"\x1b[{_COLORS[color]}m{text}\x1b[0m"


def _painter(enabled: bool) -> _Paint:
    return _Paint(enabled)
