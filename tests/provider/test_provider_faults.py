"""Faults of the Messages API and of the model's answers: retried where that can help, otherwise the
reviewer's error verdict — and a blocking reviewer's error is never an approval (exit 3)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from conftest import GitRepo, assert_valid
from fake_anthropic import FakeAnthropic, Fault, Raw, Reply, Stall, answer, fake_api_fixture  # noqa: F401 - fixture

from reviewkit.pipeline import ReviewRequest, review
from reviewkit.report import Report


@pytest.fixture
def change(feature_repo: GitRepo) -> GitRepo:
    feature_repo.commit("add", app_py="def handler():\n    return 1\n")
    return feature_repo


def run(repo: GitRepo, **request: Any) -> Report:
    report = review(
        ReviewRequest(repo=repo.root, base="main", goal="Add a handler", reviewers=("goal-adherence",), **request)
    )
    assert_valid("report", report.to_dict())
    return report


def assert_not_approved(report: Report, reason: str) -> None:
    (verdict,) = report.verdicts
    assert verdict.status.value == "error", verdict
    assert reason in (verdict.error or ""), verdict.error
    assert (report.decision.value, report.exit_code) == ("NOTIFY_MANAGEMENT", 3)


def test_429_529_and_500_are_retried_until_an_answer_comes(change: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(
        Fault(429, "rate_limit_error", {"retry-after": "0"}),
        Fault(529, "overloaded_error"),
        Fault(500, "api_error"),
        answer(),
    )
    report = run(change)
    assert report.verdicts[0].status.value == "pass"
    assert len(fake_api.messages()) == 4
    # reviewkit counts its own retries; the SDK's are off so the two do not multiply.
    assert [r.headers["x-stainless-retry-count"] for r in fake_api.messages()] == ["0"] * 4


def test_retries_are_capped(change: GitRepo, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWKIT_MODEL_ATTEMPTS", "3")
    fake_api.queue(*[Fault(529, "overloaded_error")] * 5)
    report = run(change)
    assert_not_approved(report, "the Messages API failed 3 times (last: Messages API HTTP 529 overloaded_error)")
    assert len(fake_api.messages()) == 3


def test_a_retry_after_of_an_hour_is_not_slept(change: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(Fault(429, "rate_limit_error", {"retry-after": "3600"}), answer())
    started = time.monotonic()
    report = run(change)
    assert time.monotonic() - started < 5
    assert_not_approved(report, "asked to retry after 3600s, over the 60s cap")
    assert len(fake_api.messages()) == 1


def test_a_short_retry_after_is_honoured(change: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(Fault(503, "api_error", {"retry-after-ms": "300"}), answer())
    report = run(change)
    first, second = fake_api.messages()
    assert report.verdicts[0].status.value == "pass"
    assert second.at - first.at >= 0.29


def test_client_errors_are_not_retried(change: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(Fault(401, "authentication_error"), answer())
    report = run(change)
    assert_not_approved(report, "HTTP 401 authentication_error (check ANTHROPIC_API_KEY")
    assert len(fake_api.messages()) == 1


def test_an_overloaded_error_inside_the_stream_is_retried(change: GitRepo, fake_api: FakeAnthropic) -> None:
    event = b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "x"}}\n\n'
    fake_api.queue(Raw(event, content_type="text/event-stream"), answer())
    report = run(change)
    assert report.verdicts[0].status.value == "pass" and len(fake_api.messages()) == 2


def test_a_stalled_response_times_out_and_is_retried(
    change: GitRepo, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWKIT_MODEL_TIMEOUT", "0.5")
    fake_api.queue(Stall(10), answer())
    started = time.monotonic()
    report = run(change)
    assert report.verdicts[0].status.value == "pass"
    assert len(fake_api.messages()) == 2 and time.monotonic() - started < 6  # not the 10 s stall


def test_a_stream_that_stalls_or_breaks_midway_is_retried(
    change: GitRepo, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWKIT_MODEL_TIMEOUT", "0.5")
    cut = (
        b'event: message_start\ndata: {"type": "message_start", "message": {"id": "m", "type": "message", '
        b'"role": "assistant", "model": "x", "content": [], "stop_reason": null, "stop_sequence": null, '
        b'"usage": {"input_tokens": 5, "output_tokens": 1}}}\n\n'
    )
    fake_api.queue(Stall(3, midway=True), Raw(cut, content_type="text/event-stream"), answer())
    report = run(change)
    assert report.verdicts[0].status.value == "pass"
    assert len(fake_api.messages()) == 3


@pytest.mark.parametrize(
    "limit",
    ['[delegation]\nreviewer_timeout = "1s"\n', '[supervisor]\nmax_session_duration = "1s"\n'],
    ids=["reviewer", "run"],
)
def test_a_stall_past_the_reviewer_or_run_deadline_is_an_error(
    change: GitRepo, fake_api: FakeAnthropic, limit: str
) -> None:
    change.config(limit)
    change.commit("config")
    fake_api.queue(Stall(10), Stall(10), Stall(10))
    started = time.monotonic()
    report = run(change)
    assert time.monotonic() - started < 6
    (verdict,) = report.verdicts
    assert verdict.status.value == "error" and report.exit_code == 3


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"summary": "ok", "findings": [], "findings": []}', "repeats the key 'findings'"),
        (
            '{"summary": "ok", "findings": [{"rule": "r", "severity": "high", "path": "app_py", "line": 1,'
            ' "message": "m", "evidence": "x", "confidence": NaN}]}',
            "contains NaN",
        ),
        ('{"summary": "ok", "findings": [], "verdict": "approve"}', "does not match the output schema"),
        ('{"summary": "ok"}', "does not match the output schema"),
        ("Looks good to me!", "is not JSON"),
    ],
    ids=["duplicate-keys", "nan", "extra-field", "missing-field", "prose"],
)
def test_malformed_answers_are_errors_never_approval(
    change: GitRepo, fake_api: FakeAnthropic, body: str, reason: str
) -> None:
    fake_api.queue(Reply(text=body))
    assert_not_approved(run(change), reason)


def test_a_malformed_200_body_is_an_error(change: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(Raw(b"event: message_start\ndata: {not json\n\n", content_type="text/event-stream"))
    assert_not_approved(run(change), "malformed response from the Messages API")


@pytest.mark.parametrize(
    ("stop_reason", "reason"),
    [
        ("refusal", "the model refused to answer"),
        ("max_tokens", "cut off at max_tokens"),
        ("model_context_window_exceeded", "exceeded the model's context window"),
    ],
)
def test_stop_reasons_that_are_not_an_answer(
    change: GitRepo, fake_api: FakeAnthropic, stop_reason: str, reason: str
) -> None:
    # Even a parseable approval is not believed when the model did not finish its answer.
    fake_api.queue(Reply(text=json.dumps({"summary": "fine", "findings": []}), stop_reason=stop_reason))
    report = run(change)
    assert_not_approved(report, reason)
    assert report.verdicts[0].usage.output_tokens == 50  # billed all the same


def test_the_token_budget_stops_a_reviewer(change: GitRepo, fake_api: FakeAnthropic) -> None:
    change.config("[reviewer.goal-adherence.options]\ntoken_budget = 500\n")
    change.commit("config")
    report = run(change)
    assert_not_approved(report, "token budget exceeded")
    assert fake_api.messages() == []


def test_a_bad_limit_in_the_environment_is_a_usage_error(
    change: GitRepo, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    monkeypatch.setenv("REVIEWKIT_MODEL_TIMEOUT", "soon")
    result = cli("review", "--base", "main", "--goal", "x", cwd=change.root)
    assert result.exit_code == 2
    assert "REVIEWKIT_MODEL_TIMEOUT: 'soon' is not a positive float" in result.stderr
    assert result.stdout == "" and fake_api.requests == []
