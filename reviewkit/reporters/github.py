"""``--format github``: workflow-command annotations (``::error file=...,line=...::message``).

GitHub shows at most 10 annotations of each type (error, warning, notice) per step; the rest would be
dropped without a word. So only the first 10 of each type become annotations, worst first, and every
other finding is printed as a plain log line and counted in a closing notice (``reviewkit github`` also
lists all of them in the step summary).

Everything printed here is read by the runner as a possible workflow command, so text from the change
can never start a line: newlines in messages are GitHub's ``%0A`` escapes, and names and messages pass
through :func:`reviewkit.display.visible` (a file named ``x\n::stop-commands::t`` would otherwise switch
off every annotation after it). An annotation is attached to a file only when the name shows as itself;
otherwise the escaped name goes into the message, and GitHub is not asked to display the raw one.
A finding on code the change deleted is attached to the nearest head line of its hunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewkit.diff import FileChange
from reviewkit.display import is_visible, visible
from reviewkit.findings import Finding
from reviewkit.report import Report
from reviewkit.reporter import Reporter
from reviewkit.reporters.anchors import head_anchor
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
        lines = [command(a, report.files) for a in shown]
        lines += [
            f"{a.kind}: {location(a.finding)}: {visible(a.finding.rule)}: {one_line(a.finding.message)}" for a in rest
        ]
        for verdict in report.verdicts:
            kind = "error" if verdict.blocking else "warning"
            if verdict.status is Status.ERROR:
                title = escape_property(f"reviewkit: {visible(verdict.reviewer)} did not complete")
                lines.append(f"::{kind} title={title}::{escape_data(visible(verdict.error or verdict.summary))}")
            for unread in verdict.not_reviewed:
                title = escape_property(f"reviewkit: {visible(verdict.reviewer)} could not review a file")
                lines.append(f"::{kind} title={title}::{escape_data(visible(f'{unread.path}: {unread.reason}'))}")
        if rest:
            lines.append(
                f"::notice title=reviewkit::{len(rest)} more finding(s) than GitHub shows as annotations;"
                " all findings are in the step summary and the report"
            )
        lines.append(f"reviewkit: {report.decision.value} (exit {report.exit_code}): {one_line(report.reason)}")
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
    if finding.fixed or finding.accepted is not None:
        return "notice"
    return "error" if verdict.status is Status.BLOCKING else "warning"


def command(annotation: Annotation, files: tuple[FileChange, ...] = ()) -> str:
    finding = annotation.finding
    anchor = head_anchor(finding, files)
    properties: dict[str, str] = {}
    message = describe(finding) + ("" if not finding.fixed else " (a tested fix is available)")
    if finding.accepted is not None:
        message += f" (accepted by {finding.accepted.by}: {finding.accepted.reason})"
    if not is_visible(anchor.path if anchor else finding.path):
        message = f"{visible(finding.path)}:{finding.line}: {message}"
    elif anchor is None:
        properties["file"] = finding.path
    else:
        properties.update(file=anchor.path, line=str(anchor.start), endLine=str(anchor.end))
    properties["title"] = f"{visible(finding.rule)} ({finding.severity.value})"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    text = escape_data(visible(message, keep="\n"))
    return f"::{annotation.kind} {rendered}::{text}"


def escape_data(text: str) -> str:
    """GitHub's escaping for a workflow command's message: % CR LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub's escaping for a workflow command's property values: the data escapes plus : and ,."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def location(finding: Finding) -> str:
    return f"{visible(finding.path)}:{finding.line}"


def one_line(text: str) -> str:
    return visible(" ".join(text.split()))
