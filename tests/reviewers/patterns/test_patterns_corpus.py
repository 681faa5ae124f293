"""The pattern reviewers against their labelled corpora (tests/reviewers/patterns/corpus/*.txt): flag
cases must be caught on their marked lines, honest maintenance must stay quiet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_tools import load, score

from reviewers.patterns.concurrency import Concurrency
from reviewers.patterns.performance import Performance

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.mark.parametrize(("reviewer", "corpus"), [(Concurrency(), "concurrency"), (Performance(), "performance")])
def test_corpus(reviewer, corpus: str, tmp_path: Path) -> None:
    result = score(load(CORPUS / f"{corpus}.txt"), reviewer, tmp_path)
    print(result.line(corpus), *result.missed, *result.false_alarms, sep="\n")
    assert result.recall >= 0.9, result.missed
    assert result.honest_flagged == 0 and result.extra == 0, result.false_alarms
