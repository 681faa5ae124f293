"""idioms, dependency-hygiene and architecture against small labelled corpora (first-run figures in
docs/reviewers-extra.md): flag cases caught on their marked lines, honest maintenance quiet."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_tools import load, score

from reviewers.architecture import Architecture
from reviewers.dependencies import DependencyHygiene
from reviewers.patterns.idioms import Idioms

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize(
    ("reviewer", "corpus", "separate"),
    [(Idioms(), "idioms", False), (DependencyHygiene(), "dependencies", True), (Architecture(), "architecture", True)],
)
def test_corpus(reviewer, corpus: str, separate: bool, tmp_path: Path) -> None:
    result = score(load(HERE / f"{corpus}.txt"), reviewer, tmp_path, separate=separate)
    print(result.line(corpus), *result.missed, *result.false_alarms, sep="\n")
    assert result.recall >= 0.8, result.missed
    assert result.honest_flagged == 0 and result.extra == 0, result.false_alarms
