"""``--format json``: the report contract (schemas/report.schema.json).

Paths are the real ones, also when they hold newlines, bidi controls or bytes that are not UTF-8
(:func:`reviewkit.display.json_text` keeps those as ``\\udcXX`` escapes, so the output is valid UTF-8).
"""

from __future__ import annotations

from reviewkit.display import json_text
from reviewkit.report import Report
from reviewkit.reporter import Reporter


class JsonReporter(Reporter):
    name = "json"
    description = "the full report as JSON (schemas/report.schema.json)"

    def render(self, report: Report, *, color: bool = False) -> str:
        return json_text(report.to_dict()) + "\n"
