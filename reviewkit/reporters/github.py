"""``--format github``: workflow-command annotations (``::error file=...,line=...::message``).

GitHub shows at most 10 annotations of each type (error, warning, notice) per step; the rest would be
dropped without a word. So only the first 10 of each type become annotations, worst first, and every
other finding is printed as a plain log line and counted in a closing notice (``reviewkit github`` also
lists all of them in the step summary).
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewkit.findings import Finding, Side
from reviewkit.report import Report
from reviewkit.reporter import Reporter
from reviewkit.reporters.sarif import describe
from reviewkit.verdict import Status, Verdict

ANNOTATIONS_PER_TYPE = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotation:
    kind: str  # error | warning | notice
    finding: Finding
    reviewer: str


class GithubReporter(Reporter):
    name = "github"
    description = "GitHub Actions workflow-command annotations (10 per type shown; the rest as log lines)"

    def render(self, report: Report, *, color: bool = False) -> str:
        shown, rest = split_annotations(annotations_for(report))
        lines = [command(a) for a in shown]
        lines += [f"{a.kind}: {location(a.finding)}: {a.finding.rule}: {one_line(a.finding.message)}" for a in rest]
        for verdict in report.verdicts:
            if verdict.status is Status.ERROR:
                kind = "error" if verdict.blocking else "warning"
                lines.append(
                    f"::{kind} title={escape_property(f'reviewkit: {verdict.reviewer} did not complete')}"
                    f"::{escape_data(verdict.error or verdict.summary)}"
                )
        if rest:
            lines.append(
                f"::notice title=reviewkit::{len(rest)} more finding(s) than GitHub shows as annotations;"
                " all findings are in the step summary and the report"
            )
        lines.append(f"reviewkit: {report.decision.value} (exit {report.exit_code}): {report.reason}")
        return "\n".join(lines) + "\n"


def annotations_for(report: Report) -> list[Annotation]:
    """One annotation per finding, worst first: blocking ones as errors, other unfixed ones as warnings,
    fixed ones as notices."""
    found = [Annotation(kind=_kind(v, f), finding=f, reviewer=v.reviewer) for v in report.verdicts for f in v.findings]
    order = {"error": 0, "warning": 1, "notice": 2}
    return sorted(found, key=lambda a: (order[a.kind], -a.finding.severity.rank))


def split_annotations(found: list[Annotation]) -> tuple[list[Annotation], list[Annotation]]:
    counts: dict[str, int] = {}
    shown: list[Annotation] = []
    rest: list[Annotation] = []
    for annotation in found:
        counts[annotation.kind] = counts.get(annotation.kind, 0) + 1
        (shown if counts[annotation.kind] <= ANNOTATIONS_PER_TYPE else rest).append(annotation)
    return shown, rest


def _kind(verdict: Verdict, finding: Finding) -> str:
    if finding.fixed:
        return "notice"
    return "error" if verdict.status is Status.BLOCKING else "warning"


def command(annotation: Annotation) -> str:
    finding = annotation.finding
    properties = {"file": finding.path}
    if finding.side is Side.HEAD:  # deleted code has no line in the checked-out head
        properties.update(line=str(finding.line), endLine=str(finding.last_line))
    properties["title"] = f"{finding.rule} ({finding.severity.value})"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    message = describe(finding) + ("" if not finding.fixed else " (a tested fix is available)")
    return f"::{annotation.kind} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """GitHub's escaping for a workflow command's message: % CR LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub's escaping for a workflow command's property values: the data escapes plus : and ,."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def location(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}"


def one_line(text: str) -> str:
    return " ".join(text.split())
