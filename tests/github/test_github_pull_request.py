"""End-to-end runs of ``reviewkit github`` against a real shallow checkout and the fake GitHub API."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import assert_valid
from github_pr_setup import APP_BASE, TOKEN, PullRequestFixture, pull_request_fixture  # noqa: F401

EVAL_LINE = "value = eval(user_input)"


def _feature(pr: PullRequestFixture) -> str:
    app = APP_BASE.replace("line_5 = 5\n", f"{EVAL_LINE}\n")
    # The head also tries to switch reviewing off: configuration must come from the base revision.
    return pr.push("use eval", **{"app.py": app, ".agents__config.toml": "[code_review]\nenabled = false\n"})


def test_new_pull_request_gets_one_review_with_a_suggestion_and_one_summary(pr: PullRequestFixture):
    head = _feature(pr)

    result = pr.run(head)

    assert result.exit_code == 1, result.stderr  # evals is blocking: CONTINUE_DEVELOPMENT
    assert pr.fake.violations == []
    [review] = pr.fake.reviews
    assert review["commit_id"] == head and review["state"] == "COMMENTED"
    [comment] = pr.fake.review_comments
    assert (comment["path"], comment["line"], comment["side"]) == ("app.py", 5, "RIGHT")
    assert "```suggestion\nvalue = ast.literal_eval(user_input)\n```" in comment["body"]
    assert "start_line" not in comment  # the fix replaces exactly line 5
    # The TODO on line 30 is outside the diff's hunks: summary only, escaped.
    [summary] = pr.fake.summary_comments()
    body = summary["body"]
    first_text = [line for line in body.splitlines() if line.strip()][1]  # after the hidden marker
    assert first_text.startswith("## ") and "CONTINUE_DEVELOPMENT" in first_text
    assert "Not shown as inline comments (1)" in body and "app.py:30" in body
    assert "<b>" not in body and "`@octocat`" in body  # GitHub notifies nobody of a mention in a code span
    # The step summary, outputs, report and SARIF are all written.
    assert "CONTINUE_DEVELOPMENT" in pr.summary.read_text()
    outputs = pr.output_values()
    assert outputs["decision"] == "CONTINUE_DEVELOPMENT"
    report = json.loads(Path(outputs["report"]).read_text())
    assert_valid("report", report)
    assert report["head"] == head
    assert json.loads(Path(outputs["sarif"]).read_text())["runs"][0]["results"]
    # Annotations on stdout; the token never appears anywhere a user can see.
    assert "::error file=app.py,line=5,endLine=5,title=evals/eval (high)::eval() runs" in result.stdout
    for text in (result.stdout, result.stderr, pr.summary.read_text(), json.dumps(pr.fake.issue_comments)):
        assert TOKEN not in text


def test_second_push_updates_the_summary_and_posts_only_new_findings(pr: PullRequestFixture):
    first = _feature(pr)
    assert pr.run(first).exit_code == 1
    app = APP_BASE.replace("line_5 = 5\n", f"{EVAL_LINE}\n").replace("line_12 = 12\n", "other = eval(text)\n")
    second = pr.push("more eval", **{"app.py": app})

    result = pr.run(second)

    assert result.exit_code == 1, result.stderr
    assert pr.fake.violations == []
    assert [r["commit_id"] for r in pr.fake.reviews] == [first, second]
    new = [c for c in pr.fake.review_comments if c["commit_id"] == second]
    assert [(c["path"], c["line"]) for c in new] == [("app.py", 12)]
    assert len(pr.fake.summary_comments()) == 1
    assert second in pr.fake.summary_comments()[0]["body"]
    assert len(pr.fake.writes("PATCH", "/issues/comments/")) == 1
    # A rerun of the same commit posts no second review and still keeps one summary.
    assert pr.run(second).exit_code == 1
    assert len(pr.fake.reviews) == 2 and len(pr.fake.summary_comments()) == 1


def test_summary_is_found_across_pages_and_a_human_marker_is_ignored(pr: PullRequestFixture):
    head = _feature(pr)
    pr.fake.page_size_cap = 2
    pr.fake.add_issue_comment("<!-- reviewkit:summary --> I pasted the marker", {"login": "eve", "type": "User"})
    for i in range(4):
        pr.fake.add_issue_comment(f"chatter {i}", {"login": "octocat", "type": "User"})
    assert pr.run(head).exit_code == 1
    for i in range(3):
        pr.fake.add_issue_comment(f"more chatter {i}", {"login": "octocat", "type": "User"})

    assert pr.run(head).exit_code == 1

    ours = [c for c in pr.fake.summary_comments() if c["user"]["type"] == "Bot"]
    assert len(ours) == 1 and "CONTINUE_DEVELOPMENT" in ours[0]["body"]
    assert pr.fake.violations == []  # never edited the human's comment
    assert any("page=3" in r.path for r in pr.fake.requests if "/issues/7/comments" in r.path)
