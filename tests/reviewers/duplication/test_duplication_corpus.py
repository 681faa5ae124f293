"""duplication against its labelled corpus: copies (renamed, inside the change, into a new class, in
JavaScript) are found on their first copied line; boilerplate, data, short helpers and imports are not."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from corpus_tools import load, score

from reviewers.duplication import Duplication


def test_corpus(tmp_path: Path) -> None:
    result = score(load(Path(__file__).resolve().parent / "corpus" / "duplication.txt"), Duplication(), tmp_path)
    print(result.line("duplication"), *result.missed, *result.false_alarms, sep="\n")
    assert result.recall >= 0.75, result.missed
    assert result.honest_flagged <= 1 and result.extra == 0, result.false_alarms
