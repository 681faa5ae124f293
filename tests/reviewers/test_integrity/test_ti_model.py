"""The model's part, through the real provider and SDK against a fake Messages API on 127.0.0.1
(tests/provider/fake_anthropic.py): a second look at ambiguous blocking findings, and with a goal, whether
an expectation edited together with the code is a behaviour change the goal asks for."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import GitRepo, review_with
from ti_eval import BLOCK_ENTRY_POINT

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "provider"))
from fake_anthropic import FakeAnthropic, Fault, answer, fake_api_fixture, finding  # noqa: F401 - fixture

from reviewers.test_integrity import TestIntegrity

APP = "def fee(amount):\n    return round(amount * 0.02, 2)\n"
TESTS = "from app.fees import fee\n\n\ndef test_fee():\n    assert fee(100) == 2.0\n    assert fee(0) == 0\n"
MOCKED = TESTS.replace(
    "def test_fee():\n", "def test_fee(monkeypatch):\n    monkeypatch.setattr('app.fees.fee', lambda amount: 2.0)\n"
)


def base(repo: GitRepo) -> GitRepo:
    repo.commit("base", **{"app/fees.py": APP, "app/__init__.py": "", "tests/test_fees.py": TESTS})
    repo.branch("feature")
    return repo


def bent(repo: GitRepo) -> GitRepo:
    """A fee change with its expectation updated: a note unless the goal says otherwise."""
    base(repo).commit(
        "change the fee",
        **{"app/fees.py": APP.replace("0.02", "0.03"), "tests/test_fees.py": TESTS.replace("== 2.0", "== 3.0")},
    )
    return repo


def mocked(repo: GitRepo) -> GitRepo:
    base(repo).commit("mock", **{"tests/test_fees.py": MOCKED})
    return repo


def test_the_model_dismisses_an_ambiguous_blocking_finding_with_its_reason(repo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(answer(dismissals=[{"index": 0, "reason": "the mock replaces a collaborator"}]))
    report = review_with([TestIntegrity()], mocked(repo), blocked_plugins=BLOCK_ENTRY_POINT)
    (verdict,) = report.verdicts
    assert verdict.findings == () and report.exit_code == 0
    assert "model dismissed test-integrity/unit-mocked at tests/test_fees.py:5" in verdict.summary
    (request,) = fake_api.messages()
    assert "test-integrity reviewer's second pass" in request.everything()


def test_a_failing_model_keeps_every_finding(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(Fault(400, "invalid_request_error"))
    report = review_with([TestIntegrity()], mocked(repo), blocked_plugins=BLOCK_ENTRY_POINT)
    (verdict,) = report.verdicts
    assert [f.rule for f in verdict.findings] == ["test-integrity/unit-mocked"]
    assert verdict.status.value == "blocking" and "model triage failed" in verdict.summary


def test_clear_cut_findings_and_notes_are_not_sent_to_the_model(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    skipped = TESTS.replace("def test_fee", "import pytest\n\n\n@pytest.mark.skip\ndef test_fee")
    base(repo).commit("skip", **{"tests/test_fees.py": skipped})
    report = review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)
    assert [f.rule for f in report.verdicts[0].findings] == ["test-integrity/test-skipped"]
    assert fake_api.messages() == []


def test_an_expectation_edited_off_the_goal_blocks(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(
        answer(
            finding(
                "tests/test_fees.py", 5, "assert fee(100) == 3.0", rule="expected-value-off-goal", message="not asked"
            )
        )
    )
    report = review_with(
        [TestIntegrity()], bent(repo), blocked_plugins=BLOCK_ENTRY_POINT, goal="Fix the rounding of fees"
    )
    (verdict,) = report.verdicts
    assert sorted(f.rule for f in verdict.findings) == [
        "test-integrity/expected-value-changed",
        "test-integrity/expected-value-off-goal",
    ]
    assert report.exit_code == 1
    (request,) = fake_api.messages()
    assert "goal check" in request.everything() and "2.0 -> 3.0" in request.everything()


def test_an_expectation_the_goal_asks_for_stays_a_note(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(answer())
    report = review_with([TestIntegrity()], bent(repo), blocked_plugins=BLOCK_ENTRY_POINT, goal="Raise the fee to 3%")
    (verdict,) = report.verdicts
    assert [f.rule for f in verdict.findings] == ["test-integrity/expected-value-changed"]
    assert report.exit_code == 0 and verdict.findings[0].blocking is False
