"""Whose markers count: only comments written by the token's own identity steer a rerun.

Another GitHub App (or a user-controlled bot account) can write comments that look exactly like
reviewkit's: here it does so by running reviewkit itself under its own identity first. A maintainer's
personal token is not a bot at all, and GitHub Apps cannot call GET /user.
"""

from __future__ import annotations

import pytest
from github_fake_api import BOT, OTHER_BOT, FakeGitHub, Fault, serve
from github_pr_setup import APP_BASE, TOKEN, PullRequestFixture, pull_request_fixture  # noqa: F401

from reviewkit.github.identity import graphql_url

EVAL_APP = APP_BASE.replace("line_5 = 5\n", "value = eval(user_input)\n")
MAINTAINER = {"login": "maintainer", "id": 77, "type": "User"}


def _ours(items: list[dict], account: dict) -> list[dict]:
    return [item for item in items if item["user"] == account]


def test_markers_planted_by_another_bot_are_not_trusted(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    # Another app posts, under its own identity, exactly what reviewkit would: the review marker of this
    # head commit, the fingerprint of the eval finding, and a summary comment.
    pr.fake.viewer = OTHER_BOT
    assert pr.run(head).exit_code == 1
    planted = len(pr.fake.issue_comments)
    pr.fake.viewer = BOT

    result = pr.run(head)

    assert result.exit_code == 1
    assert pr.fake.violations == []  # the other app's summary was never edited
    [review] = _ours(pr.fake.reviews, BOT)  # not skipped as "a review of this commit exists already"
    assert review["commit_id"] == head
    [comment] = _ours(pr.fake.review_comments, BOT)  # not skipped as "already posted"
    assert comment["line"] == 5 and "```suggestion" in comment["body"]
    [summary] = _ours(pr.fake.summary_comments(), BOT)
    assert head in summary["body"] and len(pr.fake.issue_comments) == planted + 1
    assert not pr.fake.writes("PATCH")


def test_a_marker_quoted_below_the_first_line_is_not_one(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.viewer = OTHER_BOT
    assert pr.run(head).exit_code == 1
    pr.fake.viewer = BOT
    # Our own earlier comment quoting someone else's text that holds a marker: not a marker of ours.
    other = pr.fake.review_comments[0]
    pr.fake.add_review_comment(f"Thanks!\n> {other['body']}", BOT, path="app.py", line=5)

    assert pr.run(head).exit_code == 1

    assert len(_ours(pr.fake.review_comments, BOT)) == 2  # the quote, and reviewkit's own comment


def test_a_personal_token_without_graphql_is_recognised_through_get_user(pr: PullRequestFixture):
    pr.fake.viewer = MAINTAINER
    pr.fake.installation_token = False
    pr.fake.graphql = False
    head = pr.push("eval", **{"app.py": EVAL_APP})
    assert pr.run(head).exit_code == 1

    assert pr.run(head).exit_code == 1

    assert len(pr.fake.reviews) == 1  # the second run recognised its own review of this commit
    assert len(pr.fake.summary_comments()) == 1 and len(pr.fake.writes("PATCH")) == 1
    assert pr.fake.violations == []


def test_an_installation_token_is_recognised_through_graphql(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    assert pr.run(head).exit_code == 1

    assert pr.run(head).exit_code == 1

    assert len(pr.fake.reviews) == 1 and len(pr.fake.summary_comments()) == 1
    asked = [r for r in pr.fake.requests if r.path in ("/graphql", "/user")]
    assert {(r.path, r.status) for r in asked} == {("/graphql", 200)}  # GET /user is never needed


def test_without_an_identity_no_marker_is_trusted_and_the_run_says_so(pr: PullRequestFixture):
    pr.fake.graphql = False  # and GET /user is refused to an installation token
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.viewer = OTHER_BOT
    assert pr.run(head).exit_code == 1
    pr.fake.viewer = BOT

    result = pr.run(head)

    assert result.exit_code == 1  # the decision does not depend on posting
    assert pr.fake.violations == []
    assert len(_ours(pr.fake.reviews, BOT)) == 1 and len(_ours(pr.fake.summary_comments(), BOT)) == 1
    summary = pr.summary.read_text()
    assert "could not tell which account the token is" in summary and "Resource not accessible" in summary


def test_the_token_is_never_sent_to_a_graphql_url_on_another_host(pr: PullRequestFixture, monkeypatch):
    elsewhere = FakeGitHub(TOKEN, "octo/app", 7)
    server, thread = serve(elsewhere)
    try:
        head = pr.push("eval", **{"app.py": EVAL_APP})
        monkeypatch.setenv("GITHUB_GRAPHQL_URL", f"{elsewhere.url}/graphql")
        # The fake API and the other server share 127.0.0.1: only the port tells them apart, as it must.
        assert pr.run(head).exit_code == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert elsewhere.requests == []
    assert "refusing to send the token" in pr.summary.read_text()


@pytest.mark.parametrize("applied", [True, False], ids=["502-after-creating", "502-before-creating"])
def test_a_failed_summary_write_leaves_exactly_one_summary(pr: PullRequestFixture, applied: bool):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.faults.append(Fault("POST", r"/issues/7/comments$", 502, applied=applied))

    result = pr.run(head, "--max-retry-wait", "0.01")

    assert result.exit_code == 1
    [summary] = pr.fake.summary_comments()
    assert "CONTINUE_DEVELOPMENT" in summary["body"]
    assert len(pr.fake.writes("POST", "/issues/7/comments")) == (1 if applied else 2)
    assert len(pr.fake.writes("PATCH")) == (1 if applied else 0)
    assert "writing the summary comment failed" in pr.summary.read_text()


def test_a_failed_summary_write_without_an_identity_still_finds_its_own_comment(pr: PullRequestFixture):
    pr.fake.graphql = False
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.faults.append(Fault("POST", r"/issues/7/comments$", 502, applied=True))

    assert pr.run(head, "--max-retry-wait", "0.01").exit_code == 1

    assert len(pr.fake.summary_comments()) == 1  # found again by this run's nonce


def test_the_graphql_url_follows_the_api_url():
    assert graphql_url("https://api.github.com", {}) == "https://api.github.com/graphql"
    assert graphql_url("https://ghe.example/api/v3/", {}) == "https://ghe.example/api/graphql"
    assert graphql_url("https://x", {"GITHUB_GRAPHQL_URL": "https://x/api/graphql"}) == "https://x/api/graphql"


def test_a_review_created_behind_a_502_is_not_posted_twice_even_without_an_identity(pr: PullRequestFixture):
    pr.fake.graphql = False
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.fake.faults.append(Fault("POST", r"/pulls/7/reviews$", 502, applied=True))

    assert pr.run(head, "--max-retry-wait", "0.01").exit_code == 1

    assert len(pr.fake.reviews) == 1  # found again by this run's nonce on its first line
    assert len(pr.fake.review_comments) == 1
