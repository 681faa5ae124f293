"""A run's report: the decision, the files, every verdict, what was skipped, fixes and cost.

``to_dict()`` is the ``--format json`` contract (schemas/report.schema.json).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewkit.diff import FileChange
from reviewkit.policy import Decision
from reviewkit.verdict import Usage, Verdict, WorkspaceInfo

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    reviewer: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TestRun:
    """One run of the test command. ``isolation`` names the sandbox tier that served it
    (``privileged``, ``userns`` or ``none``; see reviewkit/sandbox.py)."""

    command: str
    exit_code: int | None
    passed: bool
    output_tail: str = ""
    duration_s: float = 0.0
    isolation: str = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixes:
    patch: str | None = None
    merged: bool = False
    tests: TestRun | None = None
    dropped: tuple[str, ...] = ()  # reviewers whose fixes conflicted or were refused
    note: str = ""  # why fixes were not merged (no test_command, gate failed, a --diff run, ...)
    workspace: WorkspaceInfo = field(default_factory=WorkspaceInfo)  # the integration workspace of the gate


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    decision: Decision
    verdicts: tuple[Verdict, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    decision: Decision
    exit_code: int
    reason: str
    base: str | None
    head: str | None
    files: tuple[FileChange, ...]
    verdicts: tuple[Verdict, ...]
    skipped: tuple[Skipped, ...] = ()
    fixes: Fixes = field(default_factory=Fixes)
    dropped_findings: int = 0
    rounds: tuple[Round, ...] | None = None
    source: str = ""

    @property
    def usage(self) -> Usage:
        verdicts: Sequence[Verdict] = [v for r in self.rounds for v in r.verdicts] if self.rounds else self.verdicts
        return Usage.total(v.usage for v in verdicts)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "decision": self.decision.value,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "base": self.base,
            "head": self.head,
            "files": [f.to_dict() for f in self.files],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "skipped": [{"reviewer": s.reviewer, "reason": s.reason} for s in self.skipped],
            "fixes": _fixes_dict(self.fixes),
            "usage": self.usage.to_dict(),
            "dropped_findings": self.dropped_findings,
        }
        if self.rounds is not None:
            data["rounds"] = [
                {"decision": r.decision.value, "verdicts": [v.to_dict() for v in r.verdicts]} for r in self.rounds
            ]
        return data


def _fixes_dict(fixes: Fixes) -> dict[str, Any]:
    tests = None
    if fixes.tests is not None:
        tests = {
            "command": fixes.tests.command,
            "exit_code": fixes.tests.exit_code,
            "passed": fixes.tests.passed,
            "output_tail": fixes.tests.output_tail,
            "duration_s": round(fixes.tests.duration_s, 3),
            "isolation": fixes.tests.isolation,
        }
    return {
        "patch": fixes.patch,
        "merged": fixes.merged,
        "tests": tests,
        "dropped": list(fixes.dropped),
        "note": fixes.note,
        "workspace": {"backend": fixes.workspace.backend, "setup_s": round(fixes.workspace.setup_s, 4)},
    }
