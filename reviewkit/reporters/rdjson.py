"""``--format rdjson``: reviewdog's diagnostic format, for ``reviewdog -f=rdjson``.

Fixes travel as reviewdog suggestions over whole head lines: the range starts at column 1 of the first
replaced line and ends (exclusive) at column 1 of the line after the last one.
"""

from __future__ import annotations

import json
from typing import Any

from reviewkit.findings import Finding, Severity, Side
from reviewkit.github.suggestions import Suggestion, suggestions_from
from reviewkit.report import Report
from reviewkit.reporter import Reporter
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
        return json.dumps(diagnostic_result(report), indent=2, ensure_ascii=False) + "\n"


def diagnostic_result(report: Report) -> dict[str, Any]:
    suggestions = suggestions_from(report.verdicts)
    diagnostics = [_diagnostic(v, f, suggestions) for v in report.verdicts for f in v.findings]
    return {"source": {"name": "reviewkit", "url": INFORMATION_URI}, "diagnostics": diagnostics}


def _diagnostic(verdict: Verdict, finding: Finding, suggestions: list[Suggestion]) -> dict[str, Any]:
    location: dict[str, Any] = {"path": finding.path}
    if finding.side is Side.HEAD:  # a base line would point reviewdog at the wrong code
        location["range"] = {"start": {"line": finding.line}, "end": {"line": finding.last_line}}
    diagnostic: dict[str, Any] = {
        "message": describe(finding),
        "location": location,
        "severity": SEVERITIES[finding.severity],
        "source": {"name": f"reviewkit/{verdict.reviewer}"},
        "code": {"value": finding.rule},
        "original_output": finding.evidence,
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
