"""The values the test-integrity checks share: one changed file as a base/head pair, what kind of file
it is, the lines a change added or removed, and the result of analysing a change.

Every check is a pure function of these pairs, so that the labelled corpus can run the very same code
the reviewer runs without building a repository for each case.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from reviewkit import Finding, Severity, Side

RULE = "test-integrity"

# The texts of the head's test files that contain any of the given literals: for checks that need
# tests the change did not touch (production code special-casing a test input).
LiteralSearch = Callable[[Iterable[str]], list[str]]

# Not past the next '/__tests__/' (where the next attempt starts): a path of many is read once, not once each.
_JS_TEST = re.compile(r"(\.(test|spec)\.[cm]?[jt]sx?$)|(^|/)__tests__/(?:(?!/__tests__/).)*\.[cm]?[jt]sx?$")
_TEST_DIRS = {"tests", "test", "testing"}


@dataclass(frozen=True, slots=True)
class Changed:
    """The lines the change added (head numbers) and removed (base numbers), 1-based."""

    added: list[tuple[int, str]]
    removed: list[tuple[int, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class FilePair:
    """One changed file: ``path`` at the head (the old path when deleted), ``old_path`` at the base.

    ``base``/``head`` are the texts, None when that side has no such file. ``lines`` are the diff's
    added and removed lines when a diff is at hand; without one they are computed from the texts.
    """

    path: str
    old_path: str
    base: str | None
    head: str | None
    lines: Changed | None = None
    lossy: frozenset[str] = frozenset()  # sides ("base", "head") whose bytes were not UTF-8 when read


@dataclass(frozen=True, slots=True, kw_only=True)
class Restore:
    """How to undo one weakening: put base lines ``base_start..base_end`` of ``old_path`` back in place
    of head lines ``head_start..head_end`` of ``path`` (or, when the head has none, after ``anchor``)."""

    path: str
    old_path: str
    base_start: int
    base_end: int
    head_start: int | None = None
    head_end: int | None = None
    anchor: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunTarget:
    """The base tests (``qualnames`` in ``old_path``'s base version) whose run would confirm ``finding``."""

    finding: Finding
    old_path: str
    base_text: str
    qualnames: tuple[str, ...]


@dataclass(kw_only=True)
class Analysis:
    """Findings, the restorations that would undo them, notes for the verdict summary, and the changed
    files that could not be analysed fully (path, why): the review of those is incomplete."""

    findings: list[Finding] = field(default_factory=list)
    restores: list[Restore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unreviewed: list[tuple[str, str]] = field(default_factory=list)
    runs: list[RunTarget] = field(default_factory=list)  # how to confirm findings by execution

    def extend(self, other: Analysis) -> None:
        self.findings += other.findings
        self.restores += other.restores
        self.notes += other.notes
        self.unreviewed += other.unreviewed
        self.runs += other.runs


def finding(
    rule: str,
    severity: Severity | str,
    path: str,
    line: int,
    evidence: str,
    message: str,
    *,
    side: Side = Side.HEAD,
    confidence: float = 0.9,
) -> Finding:
    return Finding(
        rule=f"{RULE}/{rule}",
        severity=Severity(severity),
        path=path,
        line=line,
        evidence=evidence.strip(),
        message=message,
        side=side,
        confidence=confidence,
    )


# --- what kind of file ------------------------------------------------------------------------------


def is_python_test(path: str) -> bool:
    """pytest's default collection rule (test_*.py, *_test.py) plus files under a tests/ folder."""
    p = PurePosixPath(path)
    if p.suffix != ".py" or p.name == "conftest.py":
        return False
    if p.name.startswith("test_") or p.stem.endswith("_test"):
        return True
    return any(part in _TEST_DIRS for part in p.parts[:-1]) and p.name != "__init__.py"


def is_js_test(path: str) -> bool:
    return _JS_TEST.search(path) is not None


def is_go_test(path: str) -> bool:
    return path.endswith("_test.go")


def is_test_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return is_python_test(path) or is_js_test(path) or is_go_test(path) or name == "conftest.py"


def is_python_source(path: str) -> bool:
    return path.endswith(".py") and not is_test_file(path)


# --- lines -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def split(text: str | None) -> tuple[str, ...]:
    """Lines as git numbers them. Cached: every finding quotes a line of a file split once."""
    if text is None:
        return ()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(line[:-1] if line.endswith("\r") else line for line in lines)


_EXACT_DIFF_LINES = 4000  # above this many differing lines, difflib's junk heuristic keeps it near-linear


def changed_lines(pair: FilePair) -> Changed:
    if pair.lines is not None:
        return pair.lines
    base, head = split(pair.base), split(pair.head)
    # Equal ends first: difflib is quadratic on long runs of equal lines, and most changes are small.
    start = 0
    while start < min(len(base), len(head)) and base[start] == head[start]:
        start += 1
    end = 0
    while end < min(len(base), len(head)) - start and base[-1 - end] == head[-1 - end]:
        end += 1
    middle_a, middle_b = base[start : len(base) - end], head[start : len(head) - end]
    junk = len(middle_a) + len(middle_b) > _EXACT_DIFF_LINES
    matcher = difflib.SequenceMatcher(a=middle_a, b=middle_b, autojunk=junk)
    added: list[tuple[int, str]] = []
    removed: list[tuple[int, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += [(start + n + 1, middle_a[n]) for n in range(i1, i2)]
        if tag in ("replace", "insert"):
            added += [(start + n + 1, middle_b[n]) for n in range(j1, j2)]
    return Changed(added, removed)


def line_at(text: str | None, number: int) -> str:
    lines = split(text)
    return lines[number - 1] if 0 < number <= len(lines) else ""
