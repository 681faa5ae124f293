"""``--format rdjson``: reviewdog's diagnostic format, for ``reviewdog -f=rdjson``.

Fixes travel as reviewdog suggestions over whole head lines: the range starts at column 1 of the first
replaced line and ends (exclusive) at column 1 of the line after the last one.

reviewdog shows these paths and messages to people (and posts them to pull requests), so they are shown
text: a name with characters a reader could not see is given escaped (:func:`reviewkit.display.visible`);
reviewdog then cannot match it to its diff and reports it as outside the diff, which is where a name
it cannot display belongs. A finding on code the change deleted is placed on the nearest head line of
its hunk.
"""

from __future__ import annotations

from typing import Any

from reviewkit.diff import FileChange
from reviewkit.display import json_text, visible
from reviewkit.findings import Finding, Severity
from reviewkit.github.suggestions import Suggestion, suggestions_from
from reviewkit.report import Report
from reviewkit.reporter import Reporter
from reviewkit.reporters.anchors import head_anchor
from reviewkit.reporters.sarif import INFORMATION_URI, describe
from reviewkit.verdict import Verdict

SEVERITIES = {
    Severity.CRITICAL: "ERROR",
    Severity.HIGH: "ERROR",
    Severity.MEDIUM: "WARNING",
    Severity.LOW: "INFO",
    Severity.INFO: "INFO",
}


class RdjsonReporter(Reporter):
    name = "rdjson"
    description = "reviewdog's rdjson diagnostics (reviewdog -f=rdjson)"

    def render(self, report: Report, *, color: bool = False) -> str:
        return json_text(diagnostic_result(report)) + "\n"


def diagnostic_result(report: Report) -> dict[str, Any]:
    suggestions = suggestions_from(report.verdicts)
    diagnostics = [_diagnostic(v, f, suggestions, report.files) for v in report.verdicts for f in v.findings]
    return {"source": {"name": "reviewkit", "url": INFORMATION_URI}, "diagnostics": diagnostics}


def _diagnostic(
    verdict: Verdict, finding: Finding, suggestions: list[Suggestion], files: tuple[FileChange, ...]
) -> dict[str, Any]:
    anchor = head_anchor(finding, files)
    location: dict[str, Any] = {"path": visible(anchor.path if anchor else finding.path)}
    if anchor is not None:  # a base line number would point reviewdog at the wrong code
        location["range"] = {"start": {"line": anchor.start}, "end": {"line": anchor.end}}
    diagnostic: dict[str, Any] = {
        "message": visible(describe(finding), keep="\n\t"),
        "location": location,
        "severity": SEVERITIES[finding.severity],
        "source": {"name": visible(f"reviewkit/{verdict.reviewer}")},
        "code": {"value": visible(finding.rule)},
        "original_output": visible(finding.evidence, keep="\n\t"),
    }
    mine = [
        s
        for s in suggestions
        if s.reviewer == verdict.reviewer
        and s.path == finding.path
        and s.start_line <= finding.last_line
        and finding.line <= s.end_line
    ]
    if mine:
        diagnostic["suggestions"] = [_suggestion(s) for s in mine]
    return diagnostic


def _suggestion(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "range": {
            "start": {"line": suggestion.start_line, "column": 1},
            "end": {"line": suggestion.end_line + 1, "column": 1},
        },
        "text": "".join(f"{line}\n" for line in suggestion.replacement),
    }
