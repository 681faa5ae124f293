"""Python tests read line by line: the fallback when no syntax tree can be had (a patch without its
repository, a file whose grammar cannot be read at all). Cruder than the tree comparison, and said to
be so: the caller reports such a file as not fully reviewed. What it still catches is one line each:
a test removed, a skip added, an assertion removed, weakened or made unable to fail.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from reviewkit import Side

from .pairs import Analysis, FilePair, changed_lines, finding

_TEST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(test\w*)\s*\(")
_SKIP = re.compile(
    r"^\s*@(?:pytest\.mark\.|unittest\.)?(?:skip|skipif|xfail|skipIf|skipUnless|expectedFailure)\b"
    r"|\b(?:pytest\.skip|pytest\.xfail|self\.skipTest|pytest\.importorskip)\s*\(|\braise\s+(?:unittest\.)?SkipTest\b"
    r"|^\s*pytestmark\s*=.*\b(?:skip|xfail)\b|^\s*__test__\s*=\s*False"
)
_ASSERTION = re.compile(r"^\s*assert\b|\bself\.assert\w+\s*\(|\bpytest\.(?:raises|warns)\s*\(")
_ALWAYS_TRUE = re.compile(r"^\s*assert\s+(?:True|1|\"[^\"]+\"|'[^']+')\s*(?:,.*)?$|\bassertTrue\s*\(\s*(?:True|1)\s*\)")
_EXACT = re.compile(
    r"==|\bis\s+(?!not\b)|\bassert(?:Equal|Equals|Is|IsNone|AlmostEqual|CountEqual|Raises\w*|Warns\w*"
    r"|ListEqual|DictEqual|TupleEqual|SetEqual|SequenceEqual|MultiLineEqual)\s*\(|\bpytest\.(?:raises|warns)\s*\("
)
_PARTIAL = re.compile(r"!=|<|>|\bnot\s+in\b|\bin\b|\bassert(?:In|NotIn|Regex|Greater\w*|Less\w*|NotEqual)\s*\(")


def line_checks(pairs: Sequence[FilePair]) -> Analysis:
    result = Analysis()
    for pair in pairs:
        changed = changed_lines(pair)
        _deleted_tests(pair, changed.added, changed.removed, result)
        _skips(pair, changed.added, changed.removed, result)
        _assertions(pair, changed.added, changed.removed, result)
    return result


def _deleted_tests(
    pair: FilePair, added: list[tuple[int, str]], removed: list[tuple[int, str]], result: Analysis
) -> None:
    names = Counter(m[1] for _, text in added if (m := _TEST_DEF.match(text)))
    for number, text in removed:
        match = _TEST_DEF.match(text)
        if not match:
            continue
        if names[match[1]] > 0:
            names[match[1]] -= 1
            continue
        result.findings.append(
            finding(
                "test-deleted",
                "high",
                pair.old_path,
                number,
                text,
                f"{match[1]} is removed (read line by line: no syntax tree was available)",
                side=Side.BASE,
                confidence=0.7,
            )
        )


def _skips(pair: FilePair, added: list[tuple[int, str]], removed: list[tuple[int, str]], result: Analysis) -> None:
    before = Counter(" ".join(text.split()) for _, text in removed if _SKIP.search(text))
    for number, text in added:
        if not _SKIP.search(text):
            continue
        key = " ".join(text.split())
        if before[key] > 0:
            before[key] -= 1
            continue
        result.findings.append(
            finding(
                "test-skipped",
                "high",
                pair.path,
                number,
                text,
                f"the change makes tests skip or expect failure ({text.strip()})",
                confidence=0.8,
            )
        )


def _assertions(pair: FilePair, added: list[tuple[int, str]], removed: list[tuple[int, str]], result: Analysis) -> None:
    new = [(n, t) for n, t in added if _ASSERTION.search(t)]
    old = [(n, t) for n, t in removed if _ASSERTION.search(t)]
    for number, text in new:
        if _ALWAYS_TRUE.search(text):
            message = f"'{text.strip()}' cannot fail"
            result.findings.append(finding("tautology", "high", pair.path, number, text, message))
    if len(old) > len(new):
        number, text = old[len(new)] if new else old[0]
        result.findings.append(
            finding(
                "assertion-removed",
                "high",
                pair.old_path,
                number,
                text,
                f"{len(old)} assertion line(s) removed, {len(new)} added (read line by line)",
                side=Side.BASE,
                confidence=0.7,
            )
        )
        return
    was = sorted((_strength(t) for _, t in old), reverse=True)
    now = sorted(((_strength(t), n, t) for n, t in new), reverse=True)[: len(was)]
    weaker = [(n, t) for (strength, n, t), base in zip(now, was, strict=False) if 0 < strength < base]
    if weaker:
        number, text = weaker[0]
        result.findings.append(
            finding(
                "assertion-weakened",
                "high",
                pair.path,
                number,
                text,
                f"'{text.strip()}' checks less than the line(s) it replaces (read line by line)",
                confidence=0.7,
            )
        )


def _strength(text: str) -> int:
    if _ALWAYS_TRUE.search(text):
        return 0
    if _EXACT.search(text):
        return 3
    return 2 if _PARTIAL.search(text) else 1
