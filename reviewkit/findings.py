"""What a reviewer reports: one Finding per problem, citing a path, a line and the code itself."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, replace
from typing import Any


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 4 ... info 0."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Side(enum.StrEnum):
    """Which revision a finding cites. Almost always the head; a deleted test can only cite the base."""

    HEAD = "head"
    BASE = "base"


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRun:
    """A command run to confirm a finding (e.g. the base version of a deleted test run against the head's
    code, sandboxed like the test gate) and what it showed."""

    command: str
    exit_code: int | None
    output_tail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.command, "exit_code": self.exit_code, "output_tail": self.output_tail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceRun:
        return cls(command=data["command"], exit_code=data.get("exit_code"), output_tail=data.get("output_tail", ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """A person with write access accepted a finding: it is still reported, but no longer blocks.

    :param by: who accepted it (a GitHub login, or the local user for ``review --accept``).
    :param reason: why, in their words.
    :param via: how: ``label reviewkit:accept``, ``reply``, ``comment``, ``--accept``.
    """

    by: str
    reason: str
    via: str

    def to_dict(self) -> dict[str, str]:
        return {"by": self.by, "reason": self.reason, "via": self.via}


@dataclass(frozen=True, slots=True, kw_only=True)
class Learning:
    """A finding the repository's maintainers judged wrong: ``rule`` (an fnmatch pattern) on ``code``
    (compared with whitespace folded), optionally only in ``paths`` (gitignore patterns); or, when
    ``fingerprint`` is set, exactly one finding recorded on a pull request. See reviewkit.learnings."""

    rule: str
    code: str
    reason: str
    paths: tuple[str, ...] = ()
    by: str = ""
    fingerprint: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem a reviewer found.

    :param rule: stable id, ``<reviewer>/<rule>``, e.g. ``security/yaml-load``.
    :param severity: a :class:`Severity` or its string value.
    :param path: repository-relative path in the reviewed revision.
    :param line: 1-based line the finding is about.
    :param message: what is wrong and how to fix it.
    :param evidence: the code quoted from the cited lines; findings whose evidence does not match
        the file are dropped by the pipeline. A run of four or more ``*`` stands for redacted text.
    :param end_line: last line of a multi-line finding.
    :param fixed: True when the reviewer's fix for it has been merged.
    :param confidence: 0..1, how sure the reviewer is.
    :param cwe: e.g. ``CWE-502``.
    :param side: ``head`` (default) or ``base`` for code that the change deleted.
    :param blocking: set by the pipeline, not by reviewers: whether this finding blocks the merge (its
        reviewer is blocking and :meth:`reviewkit.Reviewer.blocks` says so). Other findings are notes.
    :param notes: remarks the pipeline attaches, e.g. that the change itself added a suppression for it.
    :param evidence_run: the command a reviewer ran to confirm the finding, and its result.
    :param accepted: set by the pipeline when a person with write access accepted the finding
        (:class:`Accepted`); an accepted finding never blocks.
    """

    rule: str
    severity: Severity
    path: str
    line: int
    message: str
    evidence: str
    end_line: int | None = None
    fixed: bool = False
    confidence: float | None = None
    cwe: str | None = None
    side: Side = Side.HEAD
    blocking: bool = False
    notes: tuple[str, ...] = ()
    evidence_run: EvidenceRun | None = None
    accepted: Accepted | None = None

    def __post_init__(self) -> None:
        # Accept plain strings from plugin authors; keep the enums inside.
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "side", Side(self.side))

    @property
    def last_line(self) -> int:
        return self.end_line if self.end_line is not None else self.line

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity across rounds: the same rule on the same code at the same path."""
        return (self.rule, self.path, " ".join(self.evidence.split()))

    @property
    def fingerprint(self) -> str:
        """The key as 32 hex digits: what baselines, acceptances, learnings and posted comments name."""
        rule, path, code = self.key
        return hashlib.sha256(f"{rule}\0{path}\0{code}".encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def with_fixed(self, fixed: bool = True) -> Finding:
        return replace(self, fixed=fixed)

    def with_note(self, note: str) -> Finding:
        return replace(self, notes=(*self.notes, note))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "end_line": self.last_line,
            "message": self.message,
            "evidence": self.evidence,
            "fixed": self.fixed,
            "confidence": self.confidence,
            "cwe": self.cwe,
        }
        if self.side is not Side.HEAD:
            data["side"] = self.side.value
        data["blocking"] = self.blocking
        if self.notes:
            data["notes"] = list(self.notes)
        if self.evidence_run is not None:
            data["evidence_run"] = self.evidence_run.to_dict()
        data["fingerprint"] = self.fingerprint
        if self.accepted is not None:
            data["accepted"] = self.accepted.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule=data["rule"],
            severity=Severity(data["severity"]),
            path=data["path"],
            line=data["line"],
            end_line=data.get("end_line"),
            message=data["message"],
            evidence=data["evidence"],
            fixed=data.get("fixed", False),
            confidence=data.get("confidence"),
            cwe=data.get("cwe"),
            side=Side(data.get("side", "head")),
            blocking=data.get("blocking", False),
            notes=tuple(data.get("notes", ())),
            evidence_run=EvidenceRun.from_dict(data["evidence_run"]) if data.get("evidence_run") else None,
            accepted=Accepted(**data["accepted"]) if data.get("accepted") else None,
        )
