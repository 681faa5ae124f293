"""Python tests, base against head: which tests disappeared, and which check less than they did.

Tests are matched by file and name first; a test that left its place is looked for among the head's
new tests by body (a move or a rename), then by name in another file, then by a similar body (a rename
with edits, compared like any other pair). Only what no head test accounts for is reported deleted,
and cases of a parametrize table are looked for in every head table of the change (a split).

A check counts as kept when a test the change adds or edits makes it (the same assertion key, see
assertkeys): a test split in several, or a check moved to a test of its own, loses nothing. Findings
block only on evidence that checking was removed without a reason; a check dropped with the production
code it exercised, an expectation edited together with the code, a skip that does not skip on this
Python, are notes.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from reviewkit import Side

from .pairs import Analysis, FilePair, Restore, RunTarget, changed_lines, finding, line_at
from .pyasserts import Assertion
from .pyfacts import Mark
from .pygone import TestSide, Vouchers, deleted, module_skips
from .pylines import line_checks
from .pynames import text_words
from .pyparse import TestFunc, TestModule
from .pyread import PythonFiles
from .recover import replaced_characters, unreadable_reason
from .skipgates import gate, on_optional_dependency
from .subjects import Removed

Covered = Callable[[TestModule], list[str]]
_SIMILAR = 0.75  # body similarity above which a vanished test and a new one are one test renamed
_SIMILAR_NAME = 0.8  # name similarity above which they are one test rewritten
_MAX_FUZZY_PAIRS = 40_000  # vanished x new tests compared by body similarity; beyond, by name and body only
_HUGE_TABLE = 5000  # parametrize cases compared one by one up to this many; beyond, by count
_Side = TestSide


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What the rest of the change says about its tests: which production files each test module
    covers, what production code it removes, and whether it changes production code at all."""

    covered: Covered = lambda _module: []
    removed: Removed = field(default_factory=Removed)
    production_changed: bool = False
    oldest_python: int | None = None  # the oldest Python 3 minor the project supports, when it says


def compare_python_tests(pairs: Sequence[FilePair], evidence: Evidence, files: PythonFiles) -> Analysis:
    result = Analysis()
    read = {
        p.path: (_parse(p, p.base, Side.BASE, result, files), _parse(p, p.head, Side.HEAD, result, files))
        for p in pairs
    }
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
            if match is None:
                unmatched.append((side, test))
            elif not _unchanged(test, match[1]):
                compared.append((side, test, *match))
    gone = _find_moves(unmatched, head_pool, compared)
    offered = Vouchers(lambda: _offered(compared, list(head_pool.values())))
    for base_side, base_test, head_side, head_test in compared:
        result.extend(_compare(base_side, base_test, head_side, head_test, evidence, all_cases, offered))
    result.extend(deleted(gone, heads, list(head_pool.values()), offered, evidence.removed))
    result.extend(_vacuous(compared, list(head_pool.values()), evidence))
    for side in bases:
        head = next((h for h in heads if h.pair.path == side.pair.path), None)
        if head is not None:
            result.extend(module_skips(side, head, evidence.removed.definitions, evidence.oldest_python))
    return result


def _unchanged(base: TestFunc, head: TestFunc) -> bool:
    """The same lines and the same checks in the helpers it calls: comparing them cannot find anything."""
    return head.unchanged and base.helper_asserts == head.helper_asserts


def _offered(
    compared: list[tuple[_Side, TestFunc, _Side, TestFunc]], new: list[tuple[_Side, TestFunc]]
) -> Counter[str]:
    """The checks the change adds to head tests that run (every check of a new test, the checks an
    edited test gained): each can vouch for one check that left another test (a split or a move). A
    skipped test vouches for nothing: moving a check into one is hiding it."""
    offered = Counter(a.key for side, t in new if _runs(side, t) for a in t.asserts)
    for _, base, side, head in compared:
        if _runs(side, head):
            offered.update(Counter(a.key for a in head.asserts) - Counter(a.key for a in base.asserts))
    return offered


def _runs(side: _Side, test: TestFunc) -> bool:
    """Whether a head test runs its checks: in a file the base already had or one pytest collects by
    default (``test_*.py``, ``*_test.py``), not skipped (by itself, its class or its module), no early
    return, no swallowed failures."""
    name = PurePosixPath(side.pair.path).name
    collected = side.pair.base is not None or name.startswith("test_") or name.endswith("_test.py")
    owner = side.module.classes.get(test.qualname.split("::")[0]) if "::" in test.qualname else None
    hidden = test.skips or test.early_return or test.swallows or side.module.module_skips or (owner and owner.skips)
    return collected and not hidden


def _has_trees(pair: FilePair, base: _Side | None, head: _Side | None) -> bool:
    return (pair.base is None or base is not None) and (pair.head is None or head is not None)


def _parse(pair: FilePair, text: str | None, side: Side, result: Analysis, files: PythonFiles) -> _Side | None:
    """One side's tests, read with the statements the grammar cannot read neutralised. When the change
    touched such a statement (or no tree could be made), the file is not fully reviewed."""
    read = None if text is None else files.side(pair, side)
    if text is None or read is None:
        return None
    path = pair.old_path if side is Side.BASE else pair.path
    changed = changed_lines(pair)
    touched = {n for n, _ in (changed.removed if side is Side.BASE else changed.added)}
    readable = read.readable
    if readable.touches(touched):
        result.unreviewed.append((path, unreadable_reason(side.value, readable)))
    elif readable.unreadable:
        result.notes.append(f"{path}: statements the change did not touch do not parse ({readable.reason})")
    undecodable = replaced_characters(text, touched) if side.value in pair.lossy else None
    if undecodable:
        why = f"the {side.value} is not UTF-8 (line {undecodable}): values that differ may read the same"
        result.unreviewed.append((path, why))
    return None if read.tests is None else _Side(pair, read.tests)


def _find_moves(
    unmatched: list[tuple[_Side, TestFunc]],
    head_pool: dict[tuple[str, str], tuple[_Side, TestFunc]],
    compared: list[tuple[_Side, TestFunc, _Side, TestFunc]],
) -> list[tuple[_Side, TestFunc]]:
    """Pair vanished tests with new ones (consuming ``head_pool``); return those nothing accounts for."""
    if not unmatched:
        return []
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
    evidence: Evidence,
    all_cases: set[str],
    offered: Vouchers,
) -> Analysis:
    result = Analysis()
    path, text = head_side.pair.path, head_side.pair.head

    def add(rule: str, severity: str, line: int, message: str, confidence: float = 0.9) -> None:
        found = finding(
            rule, severity, path, line, line_at(text, line), f"{head.qualname}: {message}", confidence=confidence
        )
        result.findings.append(found)
        old = base_side.pair
        result.runs.append(
            RunTarget(finding=found, old_path=old.old_path, base_text=old.base or "", qualnames=(base.qualname,))
        )

    _check_skips(base, head, head_side.module.optional, evidence, add)
    _check_assertions(base, head, offered, evidence.removed, add)
    _check_raises_and_tolerances(base, head, add)
    _check_swallows_and_mocks(base, head, add)
    _check_cases(base, head, all_cases, evidence.removed, add, result)
    prod = evidence.covered(head_side.module)
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


def _check_skips(base: TestFunc, head: TestFunc, optional: frozenset[str], evidence: Evidence, add: Add) -> None:
    before = Counter(m.text for m in base.skips)
    for mark in head.skips:
        if before[mark.text] > 0:
            before[mark.text] -= 1
            continue
        skips_here = gate(mark, evidence.removed.definitions, evidence.oldest_python)
        what = f"the change makes this test skip or expect failure ({mark.text})"
        if (mark.key == "importorskip" and _uses_import(head, mark)) or on_optional_dependency(mark, optional):
            add("test-skipped", "low", mark.line, f"{what}: only where an optional dependency is missing", 0.7)
        elif skips_here is False:
            add(
                "test-skipped",
                "low",
                mark.line,
                f"{what}: the condition is false on this Python, so it still runs",
                0.7,
            )
        elif skips_here is None and mark.key in ("skipif", "skipIf", "skipUnless"):
            add("test-skipped", "medium", mark.line, f"{what}; the base ran it", confidence=0.7)
        else:
            add("test-skipped", "high", mark.line, f"{what}; the base ran it", confidence=0.95)
    if head.early_return and not base.early_return:
        add("early-return", "high", head.early_return.line, "returns before its checks run; the base ran them all")


def _uses_import(test: TestFunc, mark: Mark) -> bool:
    """An ``importorskip`` whose module (or the name it is bound to) the test then uses: a dependency
    gate. One whose module the test never touches is a switch that skips it."""
    module = mark.text.split("(", 1)[-1].split(",")[0].strip("'\") ").split(".")[0]
    lines = test.body_source.splitlines()
    bound = {line.split("=", 1)[0].strip() for line in lines if "importorskip" in line and "=" in line.split("(")[0]}
    names = {n for n in (module, *bound) if n.isidentifier()}
    rest = "\n".join(line for line in lines if "importorskip" not in line)
    return any(re.search(rf"\b{re.escape(name)}\b", rest) for name in names)


def _check_assertions(base: TestFunc, head: TestFunc, offered: Vouchers, removed: Removed, add: Add) -> None:
    remaining = Counter(a.key for a in head.asserts)
    missing = []
    for assertion in base.asserts:
        if remaining[assertion.key] > 0:
            remaining[assertion.key] -= 1
        else:
            missing.append(assertion)
    vouchers = offered.counter if missing else Counter[str]()
    relocated = [a for a in missing if vouchers[a.key] > 0]
    for assertion in relocated:  # each added check vouches for one check that left, once
        vouchers[assertion.key] -= 1
    lost = [a for a in missing if a not in relocated]
    shown = "; ".join(a.text for a in lost[:4]) or "(assertions in helpers)"
    subject = _subject_gone(lost, removed, base.words - head.words)
    severity = "low" if subject else "high"
    why = f"; {subject}" if subject else ""
    if base.total_asserts and not head.total_asserts and not relocated:
        rule = "test-emptied" if head.trivial_body else "assertion-removed"
        add(rule, severity, head.def_line, f"checks nothing now; the base checked {base.total_asserts}: {shown}{why}")
        return
    merged = head.total_asserts * max(len(head.cases), 1) >= base.total_asserts * max(len(base.cases), 1)
    kept = head.total_asserts + len(relocated)
    if kept < base.total_asserts and not (head.cases and merged):  # merged into a table
        message = f"{base.total_asserts} assertion(s) in the base, {kept} now; removed: {shown}{why}"
        add("assertion-removed", severity, head.def_line, message)
        return
    base_keys = {a.key for a in base.asserts}
    new = sorted((a for a in head.asserts if a.key not in base_keys), key=lambda a: a.strength)
    strongest_head = sorted((a.strength for a in head.asserts), reverse=True)[: len(base.asserts)]
    strongest_base = sorted((a.strength for a in base.asserts), reverse=True)
    weaker = any(h < b for h, b in zip(strongest_head, strongest_base, strict=False))
    for assertion in new:
        if assertion.strength == 0:  # harmless beside the base's checks; a weakening in their place
            add("tautology", "high" if weaker or lost else "low", assertion.line, f"'{assertion.text}' cannot fail")
    if weaker and new and new[0].strength > 0:
        add("assertion-weakened", "high", new[0].line, f"'{new[0].text}' checks less than the base's {shown}")


def _subject_gone(lost: Sequence[Assertion], removed: Removed, vanished: frozenset[str]) -> str | None:
    """Why dropping these checks is maintenance: each uses something the change removes from production,
    or the test stopped using such a thing and each dropped check's names left the test with it
    (``assert first_called`` after the removed ``before_first_request`` hook set it)."""
    along = removed.hit(vanished)
    hits = [removed.hit(a.words) or (along if a.words and a.words <= vanished else None) for a in lost]
    if not hits or not all(hits):
        return None
    return f"the change also removes {', '.join(sorted({h for h in hits if h})[:3])} from the production code"


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


def _check_cases(
    base: TestFunc, head: TestFunc, all_cases: set[str], removed: Removed, add: Add, result: Analysis
) -> None:
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
    gone = [c.text for c in base.cases if c.text not in all_cases and c.key not in inputs]
    if gone:
        hits = [removed.hit(text_words(text)) for text in gone]
        subject = all(hits) and ", ".join(sorted({h for h in hits if h})[:3])
        line = head.cases[0].line if head.cases else head.def_line
        add(
            "parametrize-case-removed",
            "low" if subject else "high",
            line,
            f"{len(gone)} parametrize case(s) removed and not found elsewhere: {'; '.join(gone[:4])}"
            + (f"; the change also removes {subject} from the production code" if subject else ""),
        )


def _check_expected(base: TestFunc, head: TestFunc, prod: list[str], add: Add) -> None:
    """One note per test whose expected values changed together with the code they describe (values that
    only moved are not changes): an intended behaviour change reads exactly like this."""
    changes = _changed_values(
        [(a.subject, a.expected) for a in base.asserts if a.subject],
        [(a.subject, a.expected, a.line) for a in head.asserts if a.subject],
    ) + _changed_values([(c.key, c.text) for c in base.cases], [(c.key, c.text, c.line) for c in head.cases])
    if not changes:
        return
    shown = "; ".join(f"{was} -> {now}" for was, now, _ in changes[:3]) + (" ..." if len(changes) > 3 else "")
    add(
        "expected-value-changed",
        "low",
        changes[0][2],
        f"expected value(s) changed together with {', '.join(prod[:3])} ({shown}): the behaviour changed on "
        "purpose or the test was bent to the new output; nothing else in the change says which",
        confidence=0.6,
    )


# --- tests that cannot fail -----------------------------------------------------------------------------


def _vacuous(
    compared: list[tuple[_Side, TestFunc, _Side, TestFunc]], new: list[tuple[_Side, TestFunc]], evidence: Evidence
) -> Analysis:
    """New tests that cannot fail: they block when they are all the change adds for its production code
    (edited tests that still check something count as testing it), notes otherwise."""
    result = Analysis()
    empty = [(side, test, why) for side, test in new if (why := vacuity(test))]
    # Only a test that runs and can fail tests the production change (a skipped one does neither).
    real = any(vacuity(t) is None and _runs(side, t) for side, t in new) or any(
        b.fingerprint != h.fingerprint and vacuity(h) is None and _runs(side, h) for _, b, side, h in compared
    )
    blocks = evidence.production_changed and not real
    for side, test, why in empty:
        where = "the only test the change adds for its production code" if blocks else "a test the change adds"
        result.findings.append(
            finding(
                "vacuous-test",
                "high" if blocks else "low",
                side.pair.path,
                test.def_line,
                line_at(side.pair.head, test.def_line),
                f"{test.qualname} {why}, and it is {where}",
                confidence=0.85,
            )
        )
    return result


def vacuity(test: TestFunc) -> str | None:
    """Why ``test`` cannot fail, or None when it can."""
    if test.skips:
        return None  # skipped new tests are not passing tests
    if test.strengths and not any(test.strengths):
        return f"cannot fail ('{test.asserts[0].text}')"
    if not test.strengths and not test.helper_asserts:
        return "has no assertion and expects no exception"
    patched = {m.key for m in test.patches}
    if test.calls and test.calls <= patched:
        return f"patches every unit it calls ({', '.join(sorted(test.calls))}), so it checks its own mocks"
    return None


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
