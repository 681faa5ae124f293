"""Score the security reviewer and bandit alone (default settings) on the labelled corpus, side by side.

    python bench/security_corpus_eval.py [--details] [--corpus DIR]

DIR defaults to tests/reviewers/security/corpus (the tuning corpus); tests/reviewers/security/heldout13 is
the batch written before the issue-13 tuning, to be scored, not tuned on.

Prints one JSON row per tool: recall on labelled vulnerable lines, findings on safe snippets, and (with
--details) every missed line and every finding on a safe snippet.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reviewers" / "security"))

import security_corpus

from reviewers.security import bandit_scan


def main(argv: list[str]) -> int:
    corpus = Path(argv[argv.index("--corpus") + 1]) if "--corpus" in argv else security_corpus.CORPUS
    snippets = security_corpus.load(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        started = time.perf_counter()
        report = security_corpus.review_corpus(snippets, root)
        elapsed = time.perf_counter() - started
        findings = [f for v in report.verdicts for f in v.findings]
        ours = security_corpus.score("reviewkit security", snippets, security_corpus.reviewkit_hits(findings))
        py_files = [root / s.path for s in snippets if s.path.endswith(".py")]
        bandit_by_path = security_corpus.bandit_hits(bandit_scan.run_default(py_files), root)
        alone = security_corpus.score("bandit alone (defaults)", snippets, bandit_by_path)
    vuln = sum(s.kind == "vuln" for s in snippets)
    print(f"corpus: {vuln} vulnerable and {len(snippets) - vuln} safe snippets; review took {elapsed:.2f}s")
    for result in (ours, alone):
        print(json.dumps(result.row()))
    for category in sorted({s.category for s in snippets}):
        part = [s for s in snippets if s.category == category]
        mine = security_corpus.score("reviewkit", part, security_corpus.reviewkit_hits(findings))
        theirs = security_corpus.score("bandit", part, bandit_by_path)
        print(
            f"  {category:12} reviewkit recall {mine.recall:.3f} ({mine.caught_lines}/{mine.vulnerable_lines}), "
            f"{mine.findings_on_safe} on safe | bandit alone {theirs.recall:.3f} "
            f"({theirs.caught_lines}/{theirs.vulnerable_lines}), {theirs.findings_on_safe} on safe"
        )
    if "--details" in argv:
        for result in (ours, alone):
            print(f"\n{result.tool}: missed {len(result.missed)}: {result.missed}")
            print(f"{result.tool}: on safe snippets: {result.false_positives}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
