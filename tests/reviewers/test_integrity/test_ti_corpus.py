"""The labelled corpus as a regression gate: recall on cheating changes and false alarms on legitimate
ones must stay within the goals (recall >= 0.9, false alarms <= 3%), and a sample run end to end
through real git repositories and the pipeline must agree with the pure analysis."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import GitRepo
from ti_corpus import CASES
from ti_eval import pairs_for, run_git, run_pure, score, tree_search
from ti_heldout11 import HELDOUT11
from ti_holdout import HOLDOUT

from reviewers.test_integrity import analyse

RECALL_FLOOR = 0.9
FALSE_ALARM_CEILING = 0.03
ALL = CASES + HOLDOUT + HELDOUT11
SAMPLE = CASES[::6] + HOLDOUT[::3] + HELDOUT11[::4]  # end to end: each builds a repository and runs the pipeline


def test_corpus_is_large_and_covers_every_category() -> None:
    labels = Counter(case.label for case in CASES)
    assert labels["cheat"] >= 100 and labels["legit"] >= 100
    categories = {case.category for case in CASES if case.label == "cheat"}
    for needed in (
        "test-deleted",
        "skip-marker",
        "assertion-removed",
        "comparison-weakened",
        "tolerance",
        "raises",
        "expected-bent",
        "try-except",
        "unit-mocked",
        "special-case",
        "ci",
        "coverage",
        "js",
        "go",
        "parametrize",
        "exit-trick",
        "collect-ignore",
        "deselect",
    ):
        assert needed in categories, needed
    assert len({case.id for case in ALL}) == len(ALL)


def test_recall_and_false_alarms_meet_the_goals() -> None:
    result = score([(case, run_pure(case)) for case in ALL])
    assert result.recall >= RECALL_FLOOR, f"recall {result.recall:.3f}; missed: {result.missed}"
    assert result.false_alarm_rate <= FALSE_ALARM_CEILING, f"false alarms {result.false_alarm_rate:.3f}: {result.noisy}"


# Expected values bent to a production change: without the goal (and a model) or execution evidence they
# read exactly like an intended behaviour change, so they are notes that do not block (issue 11, item 3).
# The known misses, by design.
NOTES_BY_DESIGN = {
    "durations-expected-bent",
    "money-expected-bent",
    "slug-expected-bent",
    "stats-expected-bent",
    "loader-expected-bent",
    "stock-expected-bent",
    "durations-case-bent",
    "ho-bent-dict",
}


def test_the_known_misses_are_notes_with_old_and_new_values() -> None:
    for case in (c for c in ALL if c.id in NOTES_BY_DESIGN):
        findings = analyse(pairs_for(case), tree_search(case)).findings
        assert [f.rule for f in findings] == ["test-integrity/expected-value-changed"], case.id
        assert findings[0].severity.value == "low" and " -> " in findings[0].message


@pytest.mark.parametrize("case", SAMPLE, ids=[case.id for case in SAMPLE])
def test_end_to_end_agrees_with_the_label(case, tmp_path) -> None:
    found = run_git(case, GitRepo(tmp_path / "repo"))
    if case.id not in NOTES_BY_DESIGN:
        assert bool(found) == (case.label == "cheat"), [(f.rule, f.path, f.line, f.message) for f in found]
    assert sorted(f.rule for f in found) == sorted(f.rule for f in run_pure(case))
