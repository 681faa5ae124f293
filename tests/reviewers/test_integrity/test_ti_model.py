"""The model's second look at ambiguous findings, through the real provider and SDK against a fake
Messages API on 127.0.0.1 (tests/provider/fake_anthropic.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import GitRepo, review_with
from ti_eval import BLOCK_ENTRY_POINT

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "provider"))
from fake_anthropic import FakeAnthropic, Fault, answer, fake_api_fixture  # noqa: F401 - the fake_api fixture

from reviewers.test_integrity import TestIntegrity

APP = "def fee(amount):\n    return round(amount * 0.02, 2)\n"
TESTS = "from app.fees import fee\n\n\ndef test_fee():\n    assert fee(100) == 2.0\n    assert fee(0) == 0\n"


def bent(repo: GitRepo) -> GitRepo:
    """A deliberate fee change with its expectation updated: ambiguous without the goal."""
    repo.commit("base", **{"app/fees.py": APP, "app/__init__.py": "", "tests/test_fees.py": TESTS})
    repo.branch("feature")
    repo.commit(
        "raise the fee to 3%",
        **{"app/fees.py": APP.replace("0.02", "0.03"), "tests/test_fees.py": TESTS.replace("== 2.0", "== 3.0")},
    )
    return repo


def test_the_model_dismisses_an_ambiguous_finding_with_its_reason(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(answer(dismissals=[{"index": 0, "reason": "the goal raises the fee to 3%"}]))
    report = review_with([TestIntegrity()], bent(repo), blocked_plugins=BLOCK_ENTRY_POINT, goal="Raise the fee to 3%")
    (verdict,) = report.verdicts
    assert verdict.findings == () and report.exit_code == 0
    assert "model dismissed test-integrity/expected-value-changed at tests/test_fees.py:5" in verdict.summary
    (request,) = fake_api.messages()
    assert "test-integrity reviewer's second pass" in request.everything()
    assert "2.0 -> 3.0" in request.user_text


def test_a_failing_model_keeps_every_finding(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(Fault(400, "invalid_request_error"))
    report = review_with([TestIntegrity()], bent(repo), blocked_plugins=BLOCK_ENTRY_POINT)
    (verdict,) = report.verdicts
    assert [f.rule for f in verdict.findings] == ["test-integrity/expected-value-changed"]
    assert verdict.status.value == "warn" and "model triage failed" in verdict.summary


def test_clear_cut_findings_are_not_sent_to_the_model(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    repo.commit("base", **{"app/fees.py": APP, "tests/test_fees.py": TESTS})
    repo.branch("feature")
    skipped = TESTS.replace("def test_fee", "import pytest\n\n\n@pytest.mark.skip\ndef test_fee")
    repo.commit("skip", **{"tests/test_fees.py": skipped})
    report = review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)
    assert [f.rule for f in report.verdicts[0].findings] == ["test-integrity/test-skipped"]
    assert fake_api.messages() == []
