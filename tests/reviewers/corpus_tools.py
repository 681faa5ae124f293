"""Labelled corpora for the reviewers that warn (patterns, duplication, architecture, dependencies):
loading cases, reviewing them as real git changes, and scoring.

A corpus file holds cases::

    === flag NAME                  (the change must be flagged on every line marked #!)
    === honest NAME                (ordinary maintenance: nothing may be flagged)
    --- file path/in/case.py       (optional; default: case.py)
    old code, committed in the base
    ---- added below ----          (optional; everything after it is added by the change)
    new code
    flagged_line()  #!

Each case's files live in a directory of their own (``NAME/...``) of one repository, or in a repository
of their own (``separate=True``, for reviewers that read whole packages). ``#!`` is removed on load.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewkit import Finding, Reviewer
from reviewkit.pipeline import ReviewRequest, review

_HEADER = re.compile(r"^=== (flag|honest) (\S+)\s*$")
_FILE = re.compile(r"^--- file (\S+)\s*$")
_MARK = re.compile(r"\s*#!\s*$")
_SPLIT = "---- added below ----"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "corpus",
    "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
    "GIT_COMMITTER_NAME": "corpus",
    "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseFile:
    path: str
    base: str | None
    head: str
    flagged: frozenset[int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    kind: str
    name: str
    files: tuple[CaseFile, ...]


@dataclass(kw_only=True)
class Score:
    marked: int = 0
    caught: int = 0
    honest: int = 0
    honest_flagged: int = 0
    extra: int = 0  # findings on unmarked lines of flag cases
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.marked if self.marked else 1.0

    def line(self, label: str) -> str:
        return (
            f"{label}: recall {self.caught}/{self.marked} ({self.recall:.2f}); honest cases flagged "
            f"{self.honest_flagged}/{self.honest}; extra findings in flag cases {self.extra}"
        )


def load(path: Path) -> list[Case]:
    cases: list[Case] = []
    kind = name = ""
    chunks: list[tuple[str, list[str]]] = []
    for raw in [*path.read_text(encoding="utf-8").splitlines(), "=== end"]:
        header = _HEADER.match(raw)
        if header or raw == "=== end":
            if name:
                cases.append(Case(kind=kind, name=name, files=tuple(_file(p, lines) for p, lines in chunks)))
            if header:
                kind, name, chunks = header.group(1), header.group(2), [("case.py", [])]
            continue
        file = _FILE.match(raw)
        if file:
            if chunks == [("case.py", [])]:
                chunks = []
            chunks.append((file.group(1), []))
        else:
            chunks[-1][1].append(raw)
    return cases


def _file(path: str, lines: list[str]) -> CaseFile:
    base: str | None = None
    if _SPLIT in lines:
        cut = lines.index(_SPLIT)
        base, lines = "\n".join(lines[:cut]) + "\n", lines[:cut] + lines[cut + 1 :]
    head = [_MARK.sub("", line) for line in lines]
    flagged = frozenset(n for n, line in enumerate(lines, 1) if _MARK.search(line))
    return CaseFile(path=path, base=base, head="\n".join(head).rstrip("\n") + "\n", flagged=flagged)


def git(root: Path, *args: str) -> str:
    env = {**GIT_ENV, "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(root)}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, cases: Iterable[Case], *, prefix: bool = True, extra: dict[str, str] | None = None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    cases = list(cases)
    for name, text in (extra or {}).items():
        _write(root / name, text)
    for case in cases:
        for f in case.files:
            if f.base is not None:
                _write(root / _where(case, f, prefix), f.base)
    _write(root / ".corpus-base", "base\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "change")
    for case in cases:
        for f in case.files:
            _write(root / _where(case, f, prefix), f.head)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "change")


def _where(case: Case, f: CaseFile, prefix: bool) -> str:
    return f"{case.name}/{f.path}" if prefix else f.path


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run(reviewer: Reviewer, root: Path, **request: Any) -> list[Finding]:
    """The built-in ``reviewer``'s findings on main..HEAD of ``root`` (offline unless told)."""
    request = {"offline": True, **request}
    report = review(ReviewRequest(repo=root, base="main", head="HEAD", reviewers=(reviewer.name,), **request))
    verdict = report.verdicts[0]
    assert verdict.error is None, verdict.error
    return list(verdict.findings)


def score(cases: Sequence[Case], reviewer: Reviewer, workdir: Path, *, separate: bool = False, **request: Any) -> Score:
    """Review the cases (one repository, or one each) and score the findings against the marks."""
    found: dict[str, list[Finding]] = {}
    if separate:
        for case in cases:
            make_repo(workdir / case.name, [case], prefix=False)
            found[case.name] = run(reviewer, workdir / case.name, **request)
    else:
        make_repo(workdir, cases)
        for finding in run(reviewer, workdir, **request):
            found.setdefault(finding.path.split("/")[0], []).append(
                Finding.from_dict({**finding.to_dict(), "path": finding.path.split("/", 1)[1]})
            )
    return _tally(cases, found)


def _tally(cases: Sequence[Case], found: dict[str, list[Finding]]) -> Score:
    result = Score()
    for case in cases:
        findings = found.get(case.name, [])
        marks = {(f.path, n) for f in case.files for n in f.flagged}
        if case.kind == "honest":
            result.honest += 1
            if findings:
                result.honest_flagged += 1
                result.false_alarms.append(f"{case.name}: {[(f.path, f.line, f.rule) for f in findings]}")
            continue
        # A finding covers the lines it cites (line..end_line): a clone is cited over its whole span.
        spans = [{(f.path, n) for n in range(f.line, f.last_line + 1)} for f in findings]
        covered = set().union(*spans) if spans else set()
        stray = [f for f, span in zip(findings, spans, strict=True) if not span & marks]
        result.marked += len(marks)
        result.caught += len(marks & covered)
        result.extra += len(stray)
        if marks - covered:
            result.missed.append(f"{case.name}: {sorted(marks - covered)}")
        if stray:
            result.false_alarms.append(f"{case.name} (extra): {[(f.path, f.line) for f in stray]}")
    return result
