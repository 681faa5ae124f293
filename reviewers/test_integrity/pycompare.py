"""Python tests, base against head: which tests disappeared, and which check less than they did.

Tests are matched by file and name first; a test that left its place is looked for among the head's
new tests by body (a move or a rename), then by name in another file, then by a similar body (a rename
with edits, compared like any other pair). Only what no head test accounts for is reported deleted,
and cases of a parametrize table are looked for in every head table of the change (a split).
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reviewkit import Side

from .pairs import Analysis, FilePair, Restore, changed_lines, finding, line_at, split
from .pylines import line_checks
from .pyparse import TestFunc, TestModule, tests_in
from .recover import read_python, replaced_characters, unreadable_reason

Covered = Callable[[TestModule], list[str]]
_SIMILAR = 0.75  # body similarity above which a vanished test and a new one are one test renamed
_SIMILAR_NAME = 0.8  # name similarity above which they are one test rewritten
_MAX_FUZZY_PAIRS = 40_000  # vanished x new tests compared by body similarity; beyond, by name and body only
_HUGE_TABLE = 5000  # parametrize cases compared one by one up to this many; beyond, by count


@dataclass(frozen=True, slots=True)
class _Side:
    pair: FilePair
    module: TestModule


def compare_python_tests(pairs: Sequence[FilePair], covered: Covered) -> Analysis:
    result = Analysis()
    read = {p.path: (_parse(p, p.base, Side.BASE, result), _parse(p, p.head, Side.HEAD, result)) for p in pairs}
    # A side with no syntax tree at all is read line by line, its pair left out of the tree comparison
    # (half a pair would look like every test deleted, or every test new).
    whole = [p for p in pairs if _has_trees(p, *read[p.path])]
    result.extend(line_checks([p for p in pairs if p not in whole]))
    heads = [s for p in whole if (s := read[p.path][1]) is not None]
    bases = [s for p in whole if (s := read[p.path][0]) is not None]
    head_pool = {(s.pair.path, q): (s, t) for s in heads for q, t in s.module.tests.items()}
    all_cases = {c.text for s in heads for t in s.module.tests.values() for c in t.cases}
    unmatched: list[tuple[_Side, TestFunc]] = []
    compared: list[tuple[_Side, TestFunc, _Side, TestFunc]] = []
    for side in bases:
        for qualname, test in side.module.tests.items():
            match = head_pool.pop((side.pair.path, qualname), None)
            if match:
                compared.append((side, test, *match))
            else:
                unmatched.append((side, test))
    gone = _find_moves(unmatched, head_pool, compared)
    # Assertions of the tests that are new in the head: a test split in two keeps its checks there.
    moved = Counter(a.text for _, t in head_pool.values() for a in t.asserts)
    for base_side, base_test, head_side, head_test in compared:
        result.extend(_compare(base_side, base_test, head_side, head_test, covered, all_cases, moved))
    result.extend(_deleted(gone, heads, list(head_pool.values())))
    for side in bases:
        head = next((h for h in heads if h.pair.path == side.pair.path), None)
        if head is not None:
            result.extend(_module_skips(side, head))
    return result


def _has_trees(pair: FilePair, base: _Side | None, head: _Side | None) -> bool:
    return (pair.base is None or base is not None) and (pair.head is None or head is not None)


def _parse(pair: FilePair, text: str | None, side: Side, result: Analysis) -> _Side | None:
    """One side's tests, read with the statements the grammar cannot read neutralised. When the change
    touched such a statement (or no tree could be made), the file is not fully reviewed."""
    if text is None:
        return None
    path = pair.old_path if side is Side.BASE else pair.path
    changed = changed_lines(pair)
    touched = {n for n, _ in (changed.removed if side is Side.BASE else changed.added)}
    readable = read_python(text)
    if readable.touches(touched):
        result.unreviewed.append((path, unreadable_reason(side.value, readable)))
    elif readable.unreadable:
        result.notes.append(f"{path}: statements the change did not touch do not parse ({readable.reason})")
    undecodable = replaced_characters(text, touched)
    if undecodable:
        why = f"the {side.value} is not UTF-8 (line {undecodable}): values that differ may read the same"
        result.unreviewed.append((path, why))
    return None if readable.tree is None else _Side(pair, tests_in(readable.tree))


def _find_moves(
    unmatched: list[tuple[_Side, TestFunc]],
    head_pool: dict[tuple[str, str], tuple[_Side, TestFunc]],
    compared: list[tuple[_Side, TestFunc, _Side, TestFunc]],
) -> list[tuple[_Side, TestFunc]]:
    """Pair vanished tests with new ones (consuming ``head_pool``); return those nothing accounts for."""
    by_body = {t.fingerprint: key for key, (_, t) in head_pool.items()}
    rest = []
    for side, test in unmatched:
        key = by_body.get(test.fingerprint)
        if key and key in head_pool:
            head_pool.pop(key)  # moved or renamed with the same body: nothing weakened
            continue
        rest.append((side, test))
    gone = []
    fuzzy = len(rest) * len(head_pool) <= _MAX_FUZZY_PAIRS
    by_name: dict[str, list[tuple[str, str]]] = {}
    for key in head_pool:
        by_name.setdefault(_short(key[1]), []).append(key)
    for side, test in rest:
        named = [key for key in by_name.get(_short(test.qualname), []) if key in head_pool]
        same_name = named[0] if len(named) == 1 else None  # moved to another file under its own name
        key = same_name or (_similar(test, head_pool) or _similar_name(test, head_pool) if fuzzy else None)
        if key:
            compared.append((side, test, *head_pool.pop(key)))
        else:
            gone.append((side, test))
    return gone


def _similar_name(test: TestFunc, pool: dict[tuple[str, str], tuple[_Side, TestFunc]]) -> tuple[str, str] | None:
    """A rewritten test renamed along (``..._or_git_is_refused`` -> ``..._or_prompt_files_is_refused``):
    paired, it is compared like any other, so a weaker rewrite is still caught."""
    name = _short(test.qualname)
    scored = [(difflib.SequenceMatcher(a=name, b=_short(key[1])).ratio(), key) for key in pool]
    best = max(scored, default=(0.0, None))
    return best[1] if best[0] >= _SIMILAR_NAME else None


def _short(qualname: str) -> str:
    return qualname.rsplit("::", 1)[-1]


def _similar(test: TestFunc, pool: dict[tuple[str, str], tuple[_Side, TestFunc]]) -> tuple[str, str] | None:
    best, best_ratio = None, _SIMILAR
    for key, (_, candidate) in pool.items():
        matcher = difflib.SequenceMatcher(a=test.body_source, b=candidate.body_source, autojunk=False)
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio >= best_ratio:
            best, best_ratio = key, ratio
    return best


# --- one test, base against head -----------------------------------------------------------------------


def _compare(
    base_side: _Side,
    base: TestFunc,
    head_side: _Side,
    head: TestFunc,
    covered: Covered,
    all_cases: set[str],
    moved: Counter[str],
) -> Analysis:
    result = Analysis()
    path, text = head_side.pair.path, head_side.pair.head

    def add(rule: str, severity: str, line: int, message: str, confidence: float = 0.9) -> None:
        result.findings.append(
            finding(
                rule, severity, path, line, line_at(text, line), f"{head.qualname}: {message}", confidence=confidence
            )
        )

    _check_skips(base, head, add)
    _check_assertions(base, head, moved, add)
    _check_raises_and_tolerances(base, head, add)
    _check_swallows_and_mocks(base, head, add)
    _check_cases(base, head, all_cases, add, result)
    prod = covered(head_side.module)
    if prod:
        _check_expected(base, head, prod, add)
    if result.findings:
        result.restores.append(
            Restore(
                path=path,
                old_path=base_side.pair.old_path,
                base_start=base.start,
                base_end=base.end,
                head_start=head.start,
                head_end=head.end,
            )
        )
    return result


Add = Callable[..., None]


def _check_skips(base: TestFunc, head: TestFunc, add: Add) -> None:
    before = Counter(m.text for m in base.skips)
    for mark in head.skips:
        if before[mark.text] > 0:
            before[mark.text] -= 1
            continue
        conditional = mark.key in ("skipif", "skipIf", "skipUnless", "importorskip")
        add(
            "test-skipped",
            "medium" if conditional else "high",
            mark.line,
            f"the change makes this test skip or expect failure ({mark.text}); the base ran it",
            confidence=0.7 if conditional else 0.95,
        )
    if head.early_return and not base.early_return:
        add("early-return", "high", head.early_return.line, "returns before its checks run; the base ran them all")


def _check_assertions(base: TestFunc, head: TestFunc, moved: Counter[str], add: Add) -> None:
    missing = [a.text for a in base.asserts if a.text not in {h.text for h in head.asserts}]
    relocated = [text for text in missing if moved[text] > 0]
    for text in relocated:  # each new test's assertion vouches for one vanished assertion only
        moved[text] -= 1
    missing = [text for text in missing if text not in relocated]
    shown = "; ".join(missing[:4]) or "(assertions in helpers)"
    if base.total_asserts and not head.total_asserts and not relocated:
        rule = "test-emptied" if head.trivial_body else "assertion-removed"
        add(rule, "high", head.def_line, f"checks nothing now; the base checked {base.total_asserts}: {shown}")
        return
    merged = head.total_asserts * max(len(head.cases), 1) >= base.total_asserts * max(len(base.cases), 1)
    kept = head.total_asserts + len(relocated)
    if kept < base.total_asserts and not (head.cases and merged):  # merged into a table
        add(
            "assertion-removed",
            "high",
            head.def_line,
            f"{base.total_asserts} assertion(s) in the base, {kept} now; removed: {shown}",
        )
        return
    base_texts = {a.text for a in base.asserts}
    new = sorted((a for a in head.asserts if a.text not in base_texts), key=lambda a: a.strength)
    for assertion in new:
        if assertion.strength == 0:
            add("tautology", "high", assertion.line, f"'{assertion.text}' cannot fail")
    strongest_head = sorted((a.strength for a in head.asserts), reverse=True)[: len(base.asserts)]
    strongest_base = sorted((a.strength for a in base.asserts), reverse=True)
    weaker = any(h < b for h, b in zip(strongest_head, strongest_base, strict=False))
    if weaker and new and new[0].strength > 0:
        add("assertion-weakened", "high", new[0].line, f"'{new[0].text}' checks less than the base's {shown}")


def _check_raises_and_tolerances(base: TestFunc, head: TestFunc, add: Add) -> None:
    for was, now in zip(base.raises, head.raises, strict=False):
        if now.key in ("Exception", "BaseException") and was.key != now.key:
            add("raises-broadened", "high", now.line, f"expects any {now.key} now; the base expected {was.key}")
        elif was.value and not now.value:
            add("match-removed", "high", now.line, f"no longer checks the error message (base: {was.text})")
    before: dict[str, list[float]] = {}
    for mark in base.tolerances:
        before.setdefault(mark.key, []).append(mark.value)
    seen: Counter[str] = Counter()
    for mark in head.tolerances:
        index = seen[mark.key]
        seen[mark.key] += 1
        previous = before.get(mark.key, [])
        old = previous[index] if index < len(previous) else None
        if _wider(mark.key, old, mark.value):
            shown = "the default" if old is None else f"{old:g}"
            add(
                "tolerance-widened",
                "high",
                mark.line,
                f"{mark.key.split(':')[1]} is {mark.value:g} now, was {shown}: the check accepts more",
            )


def _wider(key: str, old: float | None, new: float) -> bool:
    smaller_is_wider = key.endswith((":places", ":decimal"))
    if old is None:  # a tolerance the base did not have: only a loose one is suspect
        return not smaller_is_wider and new >= 1e-6
    return new < old if smaller_is_wider else new > old * 1.5 and new > 0


def _check_swallows_and_mocks(base: TestFunc, head: TestFunc, add: Add) -> None:
    before = Counter(m.text for m in base.swallows)
    for mark in head.swallows:
        if before[mark.text] > 0:
            before[mark.text] -= 1
            continue
        add(
            "failure-swallowed",
            "high",
            mark.line,
            f"'{mark.text}' around assertions hides their failures; the base let them fail",
        )
    patched_before = {m.key for m in base.patches}
    for mark in head.patches:
        if mark.key in head.calls and mark.key not in patched_before:
            add(
                "unit-mocked",
                "high",
                mark.line,
                f"patches {mark.key}, the very unit this test calls, so the test checks the mock",
                confidence=0.75,
            )


def _check_cases(base: TestFunc, head: TestFunc, all_cases: set[str], add: Add, result: Analysis) -> None:
    if len(base.cases) > _HUGE_TABLE or len(head.cases) > _HUGE_TABLE:
        if len(head.cases) < len(base.cases):
            add(
                "parametrize-case-removed",
                "high",
                head.def_line,
                f"{len(base.cases)} parametrize cases in the base, {len(head.cases)} now",
            )
        result.notes.append(f"{head.qualname}: parametrize table too large to compare case by case")
        return
    if {c.key.split(":")[0] for c in base.cases} != {c.key.split(":")[0] for c in head.cases} and head.cases:
        # The parameters themselves changed (one added or dropped): cases can only be counted.
        if len(head.cases) < len(base.cases):
            add(
                "parametrize-case-removed",
                "high",
                head.cases[0].line,
                f"{len(base.cases)} parametrize cases in the base, {len(head.cases)} now",
            )
        return
    inputs = {c.key for c in head.cases}
    removed = [c.text for c in base.cases if c.text not in all_cases and c.key not in inputs]
    if removed:
        line = head.cases[0].line if head.cases else head.def_line
        add(
            "parametrize-case-removed",
            "high",
            line,
            f"{len(removed)} parametrize case(s) removed and not found elsewhere: {'; '.join(removed[:4])}",
        )


def _check_expected(base: TestFunc, head: TestFunc, prod: list[str], add: Add) -> None:
    """One finding per test whose expected values changed; values that only moved are not changes."""
    changes = _changed_values(
        [(a.subject, a.expected) for a in base.asserts if a.subject],
        [(a.subject, a.expected, a.line) for a in head.asserts if a.subject],
    ) + _changed_values([(c.key, c.text) for c in base.cases], [(c.key, c.text, c.line) for c in head.cases])
    if not changes:
        return
    shown = "; ".join(f"{was} -> {now}" for was, now, _ in changes[:3]) + (" ..." if len(changes) > 3 else "")
    add(
        "expected-value-changed",
        "medium",
        changes[0][2],
        f"expected value(s) changed in the same change that edits {', '.join(prod[:3])} ({shown}): "
        "was the code fixed, or the test bent to its new output?",
        confidence=0.6,
    )


def _changed_values(
    before: list[tuple[str | None, str | None]], after: list[tuple[str | None, str | None, int]]
) -> list[tuple[str | None, str | None, int]]:
    """(old, new, head line) for each value that, for the same subject, left and was replaced."""
    gone = Counter(before) - Counter((subject, value) for subject, value, _ in after)
    remaining = Counter((subject, value) for subject, value in before)
    changes: list[tuple[str | None, str | None, int]] = []
    for subject, value, line in after:
        if remaining[(subject, value)] > 0:
            remaining[(subject, value)] -= 1
            continue
        old = next((v for (s, v), n in gone.items() if s == subject and n > 0), None)
        if old is not None:
            gone[(subject, old)] -= 1
            changes.append((old, value, line))
    return changes


# --- tests gone -------------------------------------------------------------------------------------------


def _deleted(
    gone: list[tuple[_Side, TestFunc]], heads: list[_Side], new_tests: list[tuple[_Side, TestFunc]]
) -> Analysis:
    result = Analysis()
    new_constants = [t.constants for _, t in new_tests]
    if len(gone) * len(new_constants) > _MAX_FUZZY_PAIRS:
        new_constants = []  # too many to compare: report what vanished
    by_file: dict[str, list[tuple[_Side, TestFunc]]] = {}
    for side, test in gone:
        absorbed = test.constants and any(test.constants <= c for c in new_constants)
        if not absorbed:  # merged into a new (usually parametrized) test holding all its values
            by_file.setdefault(side.pair.old_path, []).append((side, test))
    for items in by_file.values():
        side = items[0][0]
        head = next((h for h in heads if h.pair.path == side.pair.path), None)
        if side.pair.head is None:
            result.extend(_file_gone(side, [t for _, t in items]))
        else:
            result.extend(_tests_gone(side, head, [t for _, t in items]))
    return result


def _file_gone(side: _Side, tests: list[TestFunc]) -> Analysis:
    pair, first = side.pair, min(tests, key=lambda t: t.def_line)
    names = ", ".join(t.qualname for t in tests[:6]) + (" ..." if len(tests) > 6 else "")
    base_lines = len(split(pair.base))
    return Analysis(
        findings=[
            finding(
                "test-file-deleted",
                "high",
                pair.old_path,
                first.def_line,
                line_at(pair.base, first.def_line),
                f"{pair.old_path} is deleted with its {len(tests)} test(s) ({names}); "
                "no test in the change replaces them",
                side=Side.BASE,
                confidence=0.9,
            )
        ],
        restores=[Restore(path=pair.old_path, old_path=pair.old_path, base_start=1, base_end=base_lines, anchor=-1)],
    )


def _tests_gone(side: _Side, head: _Side | None, tests: list[TestFunc]) -> Analysis:
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
            result.findings.append(
                finding(
                    "test-deleted",
                    "high",
                    pair.old_path,
                    cls.line,
                    line_at(pair.base, cls.line),
                    f"test class {owner} and its {len(members)} test(s) ({names}) are removed; "
                    "no test in the change replaces them",
                    side=Side.BASE,
                )
            )
            result.restores.append(_insertion(side, survivors, cls.line, cls.end))
            continue
        for test in members:
            result.findings.append(
                finding(
                    "test-deleted",
                    "high",
                    pair.old_path,
                    test.def_line,
                    line_at(pair.base, test.def_line),
                    f"{test.qualname} ({test.total_asserts} assertion(s)) is removed; no test in the change "
                    "replaces it",
                    side=Side.BASE,
                )
            )
            result.restores.append(_insertion(side, survivors, test.start, test.end))
    return result


def _insertion(side: _Side, survivors: list[tuple[TestFunc, TestFunc]], start: int, end: int) -> Restore:
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


def _module_skips(base: _Side, head: _Side) -> Analysis:
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
        result.findings.append(
            finding(
                "test-skipped",
                "high",
                head.pair.path,
                mark.line,
                line_at(head.pair.head, mark.line),
                f"'{mark.text}' skips or hides every test it covers; the base ran them",
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
