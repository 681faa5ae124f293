"""A reviewer's verdict: status, findings, fix and cost; and the check that findings quote real code."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reviewkit.findings import Finding, Side


class Status(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FIXED = "fixed"
    BLOCKING = "blocking"
    ERROR = "error"
    SKIPPED = "skipped"


_TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


@dataclass(frozen=True, slots=True, kw_only=True)
class Delegation:
    """One sub-agent a model fixer delegated to: how deep, what it was asked, how it ended, what it spent
    (its tokens are also in the fixer's totals)."""

    depth: int
    task: str
    outcome: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cost_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "task": self.task,
            "outcome": self.outcome,
            **{name: getattr(self, name) for name in _TOKEN_FIELDS},
            "cost_usd": self.cost_usd,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Model tokens and their cost; all zero for deterministic reviewers. ``delegations`` lists the
    sub-agents of a model fixer (their tokens are counted in the totals too)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cost_usd: float = 0.0
    delegations: tuple[Delegation, ...] = ()

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
            delegations=self.delegations + other.delegations,
        )

    def __sub__(self, other: Usage) -> Usage:
        """What was spent between two readings of a running total (a delegation's share)."""
        return Usage(
            **{name: getattr(self, name) - getattr(other, name) for name in _TOKEN_FIELDS},
            cost_usd=round(self.cost_usd - other.cost_usd, 6),
        )

    @property
    def billed_input_tokens(self) -> int:
        """Every input token the API billed: uncached, written to the cache and read from it."""
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name) for name in _TOKEN_FIELDS}
        data["cost_usd"] = self.cost_usd
        if self.delegations:
            data["delegations"] = [d.to_dict() for d in self.delegations]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        return cls(
            **{name: data.get(name, 0) for name in _TOKEN_FIELDS},
            cost_usd=data.get("cost_usd", 0.0),
            delegations=tuple(Delegation(**item) for item in data.get("delegations", [])),
        )

    @classmethod
    def total(cls, usages: Iterable[Usage]) -> Usage:
        result = cls()
        for usage in usages:
            result = result + usage
        return result


@dataclass(frozen=True, slots=True, kw_only=True)
class Fix:
    """A reviewer's fix: its patch, whether it was merged, and why it was abandoned (``error``: e.g. a
    model fixer went past its delegation depth or token budget; its edits were thrown away)."""

    patch: str | None = None
    merged: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspaceInfo:
    backend: str = "none"
    setup_s: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class NotReviewed:
    """A changed file a reviewer is responsible for but could not analyse, and why (e.g. syntax newer
    than the running Python, over a size limit). An unreadable file is never a clean one."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryUse:
    """How review memory served one reviewer: changed files whose earlier result was reused (unchanged
    since they were reviewed) and files reviewed in this run."""

    reused: int
    reviewed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    reviewer: str
    status: Status
    blocking: bool
    trigger: str | None = None
    summary: str = ""
    findings: tuple[Finding, ...] = ()
    fix: Fix = field(default_factory=Fix)
    workspace: WorkspaceInfo = field(default_factory=WorkspaceInfo)
    usage: Usage = field(default_factory=Usage)
    duration_s: float = 0.0
    error: str | None = None
    not_reviewed: tuple[NotReviewed, ...] = ()
    memory: MemoryUse | None = None

    @property
    def unfixed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.fixed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "status": self.status.value,
            "blocking": self.blocking,
            "trigger": self.trigger,
            "summary": self.summary,
            "findings": [finding.to_dict() for finding in self.findings],
            "fix": {"patch": self.fix.patch, "merged": self.fix.merged}
            | ({"error": self.fix.error} if self.fix.error else {}),
            "workspace": {"backend": self.workspace.backend, "setup_s": round(self.workspace.setup_s, 4)},
            "usage": self.usage.to_dict(),
            "duration_s": round(self.duration_s, 4),
            "error": self.error,
            **(
                {"not_reviewed": [{"path": n.path, "reason": n.reason} for n in self.not_reviewed]}
                if self.not_reviewed
                else {}
            ),
            **(
                {"memory": {"reused": self.memory.reused, "reviewed": self.memory.reviewed}}
                if self.memory is not None
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        fix = data.get("fix") or {}
        workspace = data.get("workspace") or {}
        return cls(
            reviewer=data["reviewer"],
            status=Status(data["status"]),
            blocking=data["blocking"],
            trigger=data.get("trigger"),
            summary=data.get("summary", ""),
            findings=tuple(Finding.from_dict(item) for item in data.get("findings", [])),
            fix=Fix(patch=fix.get("patch"), merged=fix.get("merged", False), error=fix.get("error")),
            workspace=WorkspaceInfo(backend=workspace.get("backend", "none"), setup_s=workspace.get("setup_s", 0.0)),
            usage=Usage.from_dict(data.get("usage") or {}),
            duration_s=data.get("duration_s", 0.0),
            error=data.get("error"),
            not_reviewed=tuple(NotReviewed(path=n["path"], reason=n["reason"]) for n in data.get("not_reviewed", [])),
            memory=MemoryUse(**data["memory"]) if data.get("memory") else None,
        )


def decide_status(findings: Sequence[Finding], *, blocking: bool, blocks: Callable[[Finding], bool]) -> Status:
    """The status a set of findings earns: fixed when every one was fixed, blocking when a blocking
    reviewer leaves a finding it considers blocking unfixed, warn otherwise."""
    if not findings:
        return Status.PASS
    unfixed = [f for f in findings if not f.fixed]
    if not unfixed:
        return Status.FIXED
    if blocking and any(blocks(f) for f in unfixed):
        return Status.BLOCKING
    return Status.WARN


def error_verdict(
    reviewer: str, *, blocking: bool, trigger: str | None, error: str, duration_s: float = 0.0
) -> Verdict:
    return Verdict(
        reviewer=reviewer,
        status=Status.ERROR,
        blocking=blocking,
        trigger=trigger,
        summary=f"review not completed: {error}",
        error=error,
        duration_s=duration_s,
    )


def with_findings(verdict: Verdict, findings: Sequence[Finding], status: Status) -> Verdict:
    return replace(verdict, findings=tuple(findings), status=status)


# --- evidence ---------------------------------------------------------------------------------------

LineReader = Callable[[Side, str], "Sequence[str] | None"]
_REDACTION = re.compile(r"\*{4,}")
# How far around the cited lines a quote may sit: models and tools count lines slightly differently
# (decorators, continuation lines), and a quote one line off is still the code the finding means.
_EVIDENCE_SLACK = 2


def evidence_matches(finding: Finding, read_lines: LineReader) -> bool:
    """True when ``finding.evidence`` quotes the cited lines of the cited file.

    Whitespace is folded on both sides; a run of four or more ``*`` in the evidence stands for
    redacted text (secrets are never quoted whole).
    """
    lines = read_lines(finding.side, finding.path)
    if lines is None or finding.line < 1 or finding.line > len(lines) + 1:
        return False
    quote = _fold(finding.evidence)
    if not quote:
        return False
    start = max(finding.line - 1 - _EVIDENCE_SLACK, 0)
    stop = min(finding.last_line + _EVIDENCE_SLACK, len(lines))
    window = _fold(" ".join(lines[start:stop]))
    return _in_order([part.strip() for part in _REDACTION.split(quote)], window)


def _in_order(parts: list[str], text: str) -> bool:
    """Whether ``parts`` occur in ``text`` in this order, each redaction between them standing for at
    least one character. Each part at its first fit leaves the most room for the rest, so one pass
    decides; a regex of ``.+?`` joints backtracked once per joint on a quote of many redactions."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part) + 1
    return True


def _fold(text: str) -> str:
    return " ".join(text.split())
