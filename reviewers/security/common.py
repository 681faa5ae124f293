"""What every security check shares: one changed file's head text, its added lines, and citing a finding.

A check reports a span of the head (a call may run over several lines); :func:`cite` keeps it only when
the diff added a line inside that span, cites the first such line, and quotes it as evidence, so that the
finding lands on code the author wrote and the pipeline's evidence check can confirm it.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from reviewkit import Finding, Severity

# Paths whose code is test or example code: fixtures there are expected to look like secrets, asserts are
# the point, and random/tempfile use is not a production risk.
_TEST_PATH = re.compile(
    r"(^|/)(tests?|testing|fixtures|testdata|test_data|examples?|docs?)/|(^|/)test_[^/]*\.py$"
    r"|_test\.py$|(^|/)conftest\.py$",
    re.IGNORECASE,
)
# bandit's own marker; ``# nosec`` alone silences every check on the line, ``# nosec B602`` or
# ``# nosec security/sql-injection`` only the named ones.
NOSEC_MARKER = re.compile(r"#\s*nosec\b:?(?P<ids>[^#]*)", re.IGNORECASE)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ShapeMemo(dict[K, V]):
    """Answers per call shape (name, keywords...), looked up as in a dict (it is asked of every call of a
    change) and stored with :meth:`keep`. A big change's code has far more distinct calls than it repeats,
    so past ``MOST`` answers (a few MB) the memo starts again empty."""

    MOST = 20_000

    def keep(self, shape: K, answer: V) -> V:
        if len(self) >= self.MOST:
            self.clear()
        self[shape] = answer
        return answer


def is_test_path(path: str) -> bool:
    return _TEST_PATH.search(path) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """One changed file as the checks see it: head text, head lines and the line numbers the diff added."""

    path: str
    text: str
    added: frozenset[int]
    lines: tuple[str, ...] = field(default=())
    # In an untrusted review a suppression comment is a claim of the change, not an instruction: it counts
    # only on a line that is old code or that the base of the same file already had (code re-indented or
    # moved within the file keeps its reviewed suppressions).
    untrusted: bool = False
    base_lines: frozenset[str] = frozenset()
    # Lines a finding may cite when they are not the diff's own (see :mod:`introduced`); None: added only.
    citable: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            object.__setattr__(self, "lines", tuple(self.text.split("\n")))

    @property
    def is_test(self) -> bool:
        return is_test_path(self.path)

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def trusts_suppression_on(self, number: int) -> bool:
        """Whether a suppression comment on line ``number`` may silence a finding."""
        if not self.untrusted or number not in self.added:
            return True
        return self.line(number).strip() in self.base_lines

    def first_added(self, start: int, end: int) -> int | None:
        """The first line in ``start..end`` the diff added (or that is ``citable``), or None when the span
        is old code."""
        lines = self.added if self.citable is None else self.citable
        for number in range(start, max(start, end) + 1):
            if number in lines:
                return number
        return None


def nosec(text: str, rule: str, bandit_id: str | None = None) -> bool:
    """Whether a ``# nosec`` comment on ``text`` silences ``rule`` (or its bandit test id)."""
    match = NOSEC_MARKER.search(text)
    if match is None:
        return False
    ids = {part.strip().lower() for part in re.split(r"[,\s]+", match.group("ids")) if part.strip()}
    if not ids:
        return True
    short = rule.split("/", 1)[-1].lower()
    return bool(ids & {rule.lower(), short, (bandit_id or "").lower()})


def cite(
    source: Source,
    *,
    rule: str,
    severity: Severity | str,
    start: int,
    end: int | None = None,
    message: str,
    cwe: str | None,
    confidence: float = 0.8,
    evidence: str | None = None,
    bandit_id: str | None = None,
) -> Finding | None:
    """A Finding for the span ``start..end`` when the diff added a line of it and no ``# nosec`` says
    otherwise; None when the span is code the change did not write. A ``# nosec`` the change itself adds
    in an untrusted review does not silence the finding: it is reported with a note."""
    end = max(end or start, start)
    line = source.first_added(start, end)
    if line is None:
        return None
    claimed = [n for n in range(start, end + 1) if nosec(source.line(n), rule, bandit_id)]
    if any(source.trusts_suppression_on(n) for n in claimed):
        return None
    quote = evidence if evidence is not None else source.line(line).strip()
    if not quote:
        return None
    finding = Finding(
        rule=rule,
        severity=Severity(severity),
        path=source.path,
        line=line,
        end_line=max(end, line),
        message=message,
        evidence=quote,
        confidence=confidence,
        cwe=cwe,
    )
    for number in claimed:
        finding = finding.with_note(f"suppression added by this change: # nosec on line {number} does not count")
    return finding
