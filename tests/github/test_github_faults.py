"""``reviewkit github`` when GitHub says no: 422s, read-only fork tokens, rate limits, 5xx, no token."""

from __future__ import annotations

import json
import time
from pathlib import Path

from github_fake_api import Fault
from github_pr_setup import APP_BASE, TOKEN, PullRequestFixture, pull_request_fixture  # noqa: F401

EVAL_APP = APP_BASE.replace("line_5 = 5\n", "value = eval(user_input)\n")


def _reviews_posted(pr: PullRequestFixture) -> list[str]:
    return [r.path for r in pr.fake.requests if r.method == "POST" and r.path.endswith("/reviews")]


def test_a_comment_github_refuses_is_dropped_and_the_rest_posted(pr: PullRequestFixture):
    head = pr.push("eval twice", **{"app.py": EVAL_APP, "big.py": "x = eval(data)\n"})
    # GitHub shows no patch for some files (too large): a comment there is refused with a 422.
    for entry in pr.fake.files:
        if entry["filename"] == "big.py":
            del entry["patch"]

    result = pr.run(head)

    assert result.exit_code == 1
    assert [r.status for r in pr.fake.requests if r.method == "POST" and r.path.endswith("/reviews")] == [422, 200]
    assert [c["path"] for c in pr.fake.review_comments] == ["app.py"]
    [summary] = pr.fake.summary_comments()
    assert "big.py:1" in summary["body"].split("Not shown as inline comments")[1]
    assert "GitHub refused the review" in pr.summary.read_text()


def test_a_review_refused_twice_leaves_the_summary_alone_with_every_finding(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.faults.append(Fault("POST", r"/reviews$", 422, body={"message": "Unprocessable Entity"}, times=2))

    result = pr.run(head)

    assert result.exit_code == 1
    assert pr.fake.reviews == [] and len(_reviews_posted(pr)) == 2
    [summary] = pr.fake.summary_comments()
    assert "app.py:5" in summary["body"].split("Not shown as inline comments")[1]


def test_fork_with_read_only_token_still_annotates_summarises_and_fails(pr: PullRequestFixture):
    pr.fork = True
    pr.fake.read_only = True
    head = pr.push("eval", **{"app.py": EVAL_APP})

    result = pr.run(head)

    assert result.exit_code == 1  # the policy's exit code, not the posting's
    assert len(_reviews_posted(pr)) == 1  # a permission error is not retried
    assert pr.fake.reviews == [] and pr.fake.issue_comments == []
    assert "::error file=app.py,line=5" in result.stdout
    warning = "::warning title=reviewkit::could not post to the pull request (a fork's token is read-only)"
    assert warning in result.stdout
    summary = pr.summary.read_text()
    assert "CONTINUE_DEVELOPMENT" in summary and "Not posted" in summary
    assert Path(pr.output_values()["report"]).is_file()
    assert TOKEN not in result.stdout + result.stderr + summary


def test_rate_limits_wait_as_told_but_capped(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.faults += [
        Fault("POST", r"/reviews$", 429, headers={"Retry-After": "3600"}),
        Fault("GET", r"/issues/7/comments$", 403, body={"message": "You have exceeded a secondary rate limit."}),
        Fault(
            "POST",
            r"/issues/7/comments$",
            403,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 3600)},
            body={"message": "API rate limit exceeded"},
        ),
    ]
    started = time.monotonic()

    result = pr.run(head)

    assert time.monotonic() - started < 10  # three waits of an hour each, capped at --max-retry-wait 0.5
    assert result.exit_code == 1
    assert len(pr.fake.reviews) == 1 and len(pr.fake.summary_comments()) == 1
    assert [r.status for r in pr.fake.requests if r.path.endswith("/reviews") and r.method == "POST"] == [429, 200]
    assert pr.fake.violations == []


def test_server_errors_are_retried_and_a_review_is_never_posted_twice(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.faults += [Fault("GET", r"/pulls/7/comments$", 502, times=2), Fault("POST", r"/reviews$", 503)]

    result = pr.run(head, "--max-retry-wait", "0.05")

    assert result.exit_code == 1
    assert len(pr.fake.reviews) == 1 and len(pr.fake.summary_comments()) == 1


def test_github_down_costs_only_the_posting(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.faults.append(Fault("GET", r".", 500, times=100))

    result = pr.run(head, "--max-retry-wait", "0.01")

    assert result.exit_code == 1
    assert "HTTP 500" in pr.summary.read_text()
    assert json.loads(Path(pr.output_values()["sarif"]).read_text())["version"] == "2.1.0"


def test_writes_are_spaced(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})

    assert pr.run(head, "--write-interval", "0.3").exit_code == 1

    times = [r.at for r in pr.fake.writes()]
    assert len(times) == 2 and times[1] - times[0] >= 0.29


def test_without_a_token_nothing_is_posted_and_the_run_still_decides(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})

    result = pr.run(head, token=None)

    assert result.exit_code == 1
    assert pr.fake.requests == []
    assert "no GITHUB_TOKEN" in result.stderr


def test_fail_on_error_lets_blocking_findings_pass_the_step(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})

    result = pr.run(head, "--fail-on", "error", "--post-review", "false")

    assert result.exit_code == 0
    assert pr.output_values()["decision"] == "CONTINUE_DEVELOPMENT"
    assert pr.fake.requests == []
