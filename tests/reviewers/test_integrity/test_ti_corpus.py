"""The labelled corpus as a regression gate: recall on cheating changes and false alarms on legitimate
ones must stay within the goals (recall >= 0.9, false alarms <= 3%), and a sample run end to end
through real git repositories and the pipeline must agree with the pure analysis."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import GitRepo
from ti_corpus import CASES
from ti_eval import run_git, run_pure, score
from ti_holdout import HOLDOUT

RECALL_FLOOR = 0.9
FALSE_ALARM_CEILING = 0.03
ALL = CASES + HOLDOUT
SAMPLE = CASES[::6] + HOLDOUT[::3]  # end to end: each builds a repository and runs the pipeline


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


# An expected value changed together with the code on purpose: without the goal it reads exactly like
# a bent test, so it is reported (medium, sent to the model when there is one). The one known alarm.
AMBIGUOUS = {"ho-behaviour-change-documented"}


@pytest.mark.parametrize("case", SAMPLE, ids=[case.id for case in SAMPLE])
def test_end_to_end_agrees_with_the_label(case, tmp_path) -> None:
    found = run_git(case, GitRepo(tmp_path / "repo"))
    if case.id not in AMBIGUOUS:
        assert bool(found) == (case.label == "cheat"), [(f.rule, f.path, f.line, f.message) for f in found]
    assert sorted(f.rule for f in found) == sorted(f.rule for f in run_pure(case))
