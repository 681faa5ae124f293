"""Baselines: today's findings recorded by a line-free fingerprint, then hidden from later reviews.

``reviewkit baseline [FILE]`` reviews the whole tree and writes every finding's fingerprint (the rule,
the path and the quoted code with its whitespace collapsed: no line number, so moving code keeps it);
``reviewkit review --baseline FILE`` hides findings whose fingerprint is in the file, unless the file now
holds more copies of that code than were recorded (a second copy of an accepted line is new), and each
verdict says how many it hid.

A hostile change must not be able to accept its own findings: in an untrusted review, a baseline file
inside the repository is read from the base revision, so whatever the change does to it does not count.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewkit.errors import InputError
from reviewkit.findings import Finding
from reviewkit.hookspecs import hookimpl
from reviewkit.reviewer import ReviewContext
from reviewkit.schemas import validate


def fingerprint(finding: Finding) -> str:
    rule, path, code = finding.key  # the key collapses whitespace in the quoted code
    return hashlib.sha256(f"{rule}\0{path}\0{code}".encode()).hexdigest()[:32]


def record(findings: Iterable[Finding], *, head: str | None) -> dict[str, Any]:
    """The baseline file's content for ``findings``."""
    counts: Counter[str] = Counter()
    where: dict[str, tuple[str, str]] = {}
    for finding in findings:
        key = fingerprint(finding)
        counts[key] += 1
        where[key] = (finding.rule, finding.path)
    entries = [
        {"fingerprint": key, "rule": where[key][0], "path": where[key][1], "count": counts[key]}
        for key in sorted(counts, key=lambda k: (where[k][1], where[k][0], k))
    ]
    return {"reviewkit_baseline": 1, "head": head, "findings": entries}


def read(name: str, *, repo: Path | None, base: str | None, untrusted: bool) -> Baseline:
    """The baseline ``name``; in an untrusted review, a file inside the repository comes from ``base``."""
    path = Path(name)
    resolved = path.resolve()
    if untrusted and repo is not None and resolved.is_relative_to(repo):
        from reviewkit.config import blob_at

        if base is None:
            raise InputError(
                f"--baseline {name}: an --untrusted review reads a baseline inside the repository from the base "
                "revision, and a --diff review has none: review a git range, or keep the file outside the repository"
            )
        data = blob_at(repo, base, resolved.relative_to(repo).as_posix())
        if data is None:  # the change adds it: a change's own baseline accepts nothing
            return Baseline(name=name, counts={}, note=f"{name} is not in the base revision: nothing hidden")
        return _parse(data, f"{name} (base revision {base[:12]})", name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"--baseline {name}: cannot read: {exc.strerror}") from exc
    return _parse(data, name, name)


def _parse(data: bytes, shown: str, name: str) -> Baseline:
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = f" line {exc.lineno}:" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(f"--baseline {shown}:{line} not JSON: {exc}") from exc
    errors = validate("baseline", raw)
    if errors:
        raise InputError(f"--baseline {shown}: not a reviewkit baseline: {errors[0]}")
    return Baseline(name=name, counts={e["fingerprint"]: e["count"] for e in raw["findings"]})


def _copies(context: ReviewContext, finding: Finding) -> int:
    """How often the finding's quoted code occurs in its file now. A diff reviewer reports only the
    lines a change adds, so a new copy of an accepted line can be the only one reported: when the
    file holds more copies than the baseline recorded, none of them is hidden."""
    text = context.read(finding.path, finding.side) or ""
    code = " ".join(finding.evidence.split())
    return " ".join(text.split()).count(code) if code else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """A loaded baseline, registered as a ``modify_findings`` plugin for one run (it keeps no state:
    reviewers call it from their own threads)."""

    name: str
    counts: Mapping[str, int]
    note: str = ""  # said in every verdict's summary, e.g. that the base revision has no such file

    @hookimpl
    def modify_findings(self, context: ReviewContext, findings: list[Finding]) -> None:
        if self.note:
            context.note(self.note)
        # Each call is one reviewer's whole result in one round, so the counts start afresh per call.
        left = {key: count for key, count in self.counts.items() if count > 0}
        kept = []
        for finding in findings:
            key = fingerprint(finding)
            if left.get(key, 0) > 0 and _copies(context, finding) <= self.counts[key]:
                left[key] -= 1
            else:
                kept.append(finding)
        hidden = len(findings) - len(kept)
        findings[:] = kept
        if hidden:
            context.note(f"{hidden} finding(s) hidden by the baseline {self.name}")
