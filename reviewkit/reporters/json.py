"""``--format json``: the report contract (schemas/report.schema.json)."""

from __future__ import annotations

import json

from reviewkit.report import Report
from reviewkit.reporter import Reporter


class JsonReporter(Reporter):
    name = "json"
    description = "the full report as JSON (schemas/report.schema.json)"

    def render(self, report: Report, *, color: bool = False) -> str:
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
