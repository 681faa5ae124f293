"""The labelled corpus as a regression gate: recall on vulnerable lines and quiet on safe snippets.

Full figures, with bandit alone beside them: ``python bench/security_corpus_eval.py --details``.
"""

from __future__ import annotations

import pytest
import security_corpus
from conftest import assert_valid

# The goal is 0.85; the corpus scores 1.00 (198/198, one finding on a safe snippet: stdlib XML
# parsing of a local file), so a regression shows well before the goal is lost.
RECALL_FLOOR = 0.95
MAX_FINDINGS_ON_SAFE_SNIPPETS = 3


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory):
    snippets = security_corpus.load()
    report = security_corpus.review_corpus(snippets, tmp_path_factory.mktemp("corpus") / "repo")
    return snippets, report


def test_the_corpus_has_enough_snippets_in_every_category(corpus_run) -> None:
    snippets, _ = corpus_run
    vulnerable = [s for s in snippets if s.kind == "vuln"]
    assert len(vulnerable) >= 150 and len(snippets) - len(vulnerable) >= 150
    assert all(s.flagged for s in vulnerable), "every vulnerable snippet labels at least one line"
    assert not any(s.flagged for s in snippets if s.kind == "safe")
    categories = {s.category for s in vulnerable}
    assert categories >= {"injection", "sql", "web", "data", "config", "secrets"}


def test_recall_and_false_positives_stay_within_bounds(corpus_run) -> None:
    snippets, report = corpus_run
    assert_valid("report", report.to_dict())
    (verdict,) = report.verdicts
    assert verdict.reviewer == "security" and verdict.error is None
    assert report.dropped_findings == 0, "every finding's evidence quotes the code it cites"
    score = security_corpus.score("security", snippets, security_corpus.reviewkit_hits(verdict.findings))
    assert score.recall >= RECALL_FLOOR, f"recall {score.recall:.3f}; missed {score.missed}"
    assert score.findings_on_safe <= MAX_FINDINGS_ON_SAFE_SNIPPETS, score.false_positives


def test_no_secret_in_the_corpus_is_quoted_whole(corpus_run) -> None:
    snippets, report = corpus_run
    by_path = {s.path: s for s in snippets}
    secrets_found = [f for f in report.verdicts[0].findings if f.cwe == "CWE-798"]
    assert len(secrets_found) >= 25
    for finding in secrets_found:
        if finding.rule == "security/private-key":
            assert finding.evidence.startswith("-----BEGIN") or "-----BEGIN" in finding.evidence
            continue  # the BEGIN line holds no key material; the key body is never quoted
        head_line = by_path[finding.path].head.split("\n")[finding.line - 1].strip()
        assert "****" in finding.evidence and finding.evidence != head_line
        visible = finding.evidence.replace("****", "\0").split("\0")
        assert "".join(visible) != head_line
