"""goal-adherence and prompt reviewers through the real SDK against the fake Messages API."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo, assert_valid
from fake_anthropic import FakeAnthropic, answer, fake_api, finding  # noqa: F401 - fixture

from reviewkit.pipeline import ReviewRequest, review
from reviewkit.report import Report


def run(repo: GitRepo, **request: Any) -> Report:
    report = review(ReviewRequest(repo=repo.root, base="main", **request))
    assert_valid("report", report.to_dict())
    return report


def test_goal_adherence_reports_a_cited_finding(feature_repo: GitRepo, fake_api: FakeAnthropic) -> None:
    feature_repo.commit("add", **{"app__views.py": "def home():\n    return render('home')\n\ndef debug():\n    return 1\n"})
    fake_api.queue(answer(finding("app/views.py", 4, "def debug():", rule="unrelated", message="not asked for")))
    report = run(feature_repo, goal="Add a home view", reviewers=("goal-adherence",))
    verdict = report.verdicts[0]
    assert verdict.status.value == "blocking", verdict
    (f,) = verdict.findings
    assert f.rule == "goal-adherence/unrelated" and f.line == 4 and f.path == "app/views.py"
    assert verdict.usage.input_tokens > 0 and verdict.usage.cost_usd > 0
