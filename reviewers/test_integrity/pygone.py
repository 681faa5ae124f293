"""Python tests that no head test accounts for: deleted one by one, with their class, or with their
file, and module- or class-wide skips. A vanished test whose checks all reappear in tests the change
adds or edits was split or moved, not deleted; one deleted with the production code it exercised is a
note (see subjects)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reviewkit import Finding, Side

from .pairs import Analysis, FilePair, Restore, RunTarget, finding, line_at, split
from .pyparse import TestFunc, TestModule
from .skipgates import gate, on_optional_dependency
from .subjects import Removed

_MAX_ABSORB_PAIRS = 40_000  # vanished x new tests compared by their constants; beyond, reported


@dataclass(frozen=True, slots=True)
class TestSide:
    pair: FilePair
    module: TestModule


def deleted(
    gone: list[tuple[TestSide, TestFunc]],
    heads: list[TestSide],
    new_tests: list[tuple[TestSide, TestFunc]],
    offered: Vouchers,
    removed: Removed,
) -> Analysis:
    """Findings for vanished tests; ``offered`` are the assertion keys the change adds to head tests,
    consumed as they vouch for a vanished test's checks."""
    result = Analysis()
    if not gone:
        return result
    new_constants = [t.constants for _, t in new_tests]
    if len(gone) * len(new_constants) > _MAX_ABSORB_PAIRS:
        new_constants = []  # too many to compare: report what vanished
    by_file: dict[str, list[tuple[TestSide, TestFunc]]] = {}
    for side, test in gone:
        absorbed = test.constants and any(test.constants <= c for c in new_constants)
        if not absorbed and not _split(test, offered.counter):
            by_file.setdefault(side.pair.old_path, []).append((side, test))
    for items in by_file.values():
        side = items[0][0]
        head = next((h for h in heads if h.pair.path == side.pair.path), None)
        tests = [t for _, t in items]
        found = _file_gone(side, tests, removed) if side.pair.head is None else _tests_gone(side, head, tests, removed)
        result.extend(found)
        result.runs += [_target(side, item, tests) for item in found.findings]
    return result


def _target(side: TestSide, item: Finding, tests: Sequence[TestFunc]) -> RunTarget:
    """The vanished tests a finding is about: the one it cites, or every one of its class or file."""
    cited = [t for t in tests if t.def_line == item.line] or [
        t for t in tests if item.line <= t.start or item.rule.endswith("file-deleted")
    ]
    owner = next((q for q, c in side.module.classes.items() if c.line == item.line), None)
    if owner:
        cited = [t for t in tests if t.qualname.startswith(owner + "::")]
    return RunTarget(
        finding=item,
        old_path=side.pair.old_path,
        base_text=side.pair.base or "",
        qualnames=tuple(t.qualname for t in cited or tests),
    )


def _split(test: TestFunc, offered: Counter[str]) -> bool:
    """Every check of ``test`` is in a test the change adds or edits: it was split or moved."""
    keys = Counter(a.key for a in test.asserts)
    if not keys or test.helper_asserts or any(offered[k] < n for k, n in keys.items()):
        return False
    offered.subtract(keys)
    return True


def subject_note(tests: Sequence[TestFunc], removed: Removed) -> str | None:
    """Why the deletion of ``tests`` is maintenance: what the change removed that every one of them used."""
    hits = [removed.hit(t.words) for t in tests]
    if not hits or not all(hits):
        return None
    shown = ", ".join(sorted({h for h in hits if h})[:3])
    return f"the change also removes {shown} from the production code, which the removed test(s) exercised"


def _file_gone(side: TestSide, tests: list[TestFunc], removed: Removed) -> Analysis:
    pair, first = side.pair, min(tests, key=lambda t: t.def_line)
    names = ", ".join(t.qualname for t in tests[:6]) + (" ..." if len(tests) > 6 else "")
    base_lines = len(split(pair.base))
    reason = subject_note(tests, removed)
    return Analysis(
        findings=[
            finding(
                "test-file-deleted",
                "low" if reason else "high",
                pair.old_path,
                first.def_line,
                line_at(pair.base, first.def_line),
                f"{pair.old_path} is deleted with its {len(tests)} test(s) ({names}); "
                + (reason or "no test in the change replaces them"),
                side=Side.BASE,
                confidence=0.9,
            )
        ],
        restores=[Restore(path=pair.old_path, old_path=pair.old_path, base_start=1, base_end=base_lines, anchor=-1)],
    )


def _tests_gone(side: TestSide, head: TestSide | None, tests: list[TestFunc], removed: Removed) -> Analysis:
    result = Analysis()
    pair = side.pair
    head_classes = head.module.classes if head else {}
    head_tests = head.module.tests if head else {}
    survivors = sorted(
        ((t, head_tests[q]) for q, t in side.module.tests.items() if q in head_tests), key=lambda pair_: pair_[0].start
    )
    by_class: dict[str, list[TestFunc]] = {}
    for test in tests:
        owner = test.qualname.split("::")[0] if "::" in test.qualname else ""
        by_class.setdefault(owner, []).append(test)
    for owner, members in by_class.items():
        cls = side.module.classes.get(owner)
        all_gone = (
            cls
            and owner not in head_classes
            and len(members) == sum(1 for q in side.module.tests if q.startswith(f"{owner}::"))
        )
        if cls and all_gone:
            names = ", ".join(t.qualname.split("::")[1] for t in members[:6])
            gone = f"test class {owner} and its {len(members)} test(s) ({names}) are removed"
            reason = subject_note(members, removed)
            result.findings.append(_deleted(pair, cls.line, gone, reason, "no test in the change replaces them"))
            result.restores.append(_insertion(side, survivors, cls.line, cls.end))
            continue
        for test in members:
            gone = f"{test.qualname} ({test.total_asserts} assertion(s)) is removed"
            reason = subject_note([test], removed)
            result.findings.append(_deleted(pair, test.def_line, gone, reason, "no test in the change replaces it"))
            result.restores.append(_insertion(side, survivors, test.start, test.end))
    return result


def _deleted(pair: FilePair, line: int, gone: str, reason: str | None, otherwise: str) -> Finding:
    """A test-deleted finding at ``line`` of the base: a note when ``reason`` says the change removed
    the subject with it, blocking (saying ``otherwise``) when not."""
    return finding(
        "test-deleted",
        "low" if reason else "high",
        pair.old_path,
        line,
        line_at(pair.base, line),
        f"{gone}; {reason or otherwise}",
        side=Side.BASE,
    )


def _insertion(side: TestSide, survivors: list[tuple[TestFunc, TestFunc]], start: int, end: int) -> Restore:
    """Put base lines back after the nearest earlier test that survives in the head (else before the
    nearest later one, else at the end). ``survivors``: (base, head) tests, in base order."""
    pair = side.pair
    index = bisect.bisect_left(survivors, start, key=lambda pair_: pair_[0].start)
    if index > 0:
        anchor = survivors[index - 1][1].end
    elif index < len(survivors):
        anchor = survivors[index][1].start - 1
    else:
        anchor = len(split(pair.head))
    return Restore(path=pair.path, old_path=pair.old_path, base_start=start, base_end=end, anchor=anchor)


def module_skips(
    base: TestSide, head: TestSide, definitions: Mapping[str, str] | None = None, oldest: int | None = None
) -> Analysis:
    result = Analysis()
    before = Counter(m.text for m in base.module.module_skips)
    for cls in base.module.classes.values():
        before.update(m.text for m in cls.skips)
    marks = list(head.module.module_skips)
    for qualname, cls in head.module.classes.items():
        if qualname in base.module.classes:
            marks += cls.skips
    for mark in marks:
        if before[mark.text] > 0:
            before[mark.text] -= 1
            continue
        gated = gate(mark, definitions, oldest) is False or on_optional_dependency(mark, head.module.optional)
        why = "; it does not skip here (a version, platform or optional-dependency gate)" if gated else ""
        result.findings.append(
            finding(
                "test-skipped",
                "low" if gated else "high",
                head.pair.path,
                mark.line,
                line_at(head.pair.head, mark.line),
                f"'{mark.text}' skips or hides every test it covers; the base ran them{why}",
                confidence=0.9,
            )
        )
        added = split(head.pair.head)[mark.first - 1 : mark.last]
        if mark.first and not set(added) & set(split(base.pair.base)):
            # Lines that are new in full: deleting them restores the base.
            result.restores.append(
                Restore(
                    path=head.pair.path,
                    old_path=base.pair.old_path,
                    base_start=1,
                    base_end=0,
                    head_start=mark.first,
                    head_end=mark.last,
                )
            )
    return result


class Vouchers:
    """The checks the change adds to head tests (see :func:`_offered`), counted when first asked for:
    only a check that left its test needs one, and counting them costs every new test's details."""

    def __init__(self, count: Callable[[], Counter[str]]) -> None:
        self._count: Callable[[], Counter[str]] | None = count
        self._counter: Counter[str] = Counter()

    @property
    def counter(self) -> Counter[str]:
        if self._count is not None:
            self._counter, self._count = self._count(), None
        return self._counter
