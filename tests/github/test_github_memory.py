"""Review memory on a pull request, end to end: ``reviewkit github`` against a real checkout, the fake
GitHub API and the fake Messages API. Acceptances and learnings count only from people with write
access, through GitHub's own records; a hostile pull request cannot use memory to get approved."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT_ROOT
from github_fake_api import Fault
from github_pr_setup import APP_BASE, AUTHOR, PullRequestFixture, pull_request_fixture  # noqa: F401

sys.path.insert(0, str(PROJECT_ROOT / "tests" / "provider"))

import memory_scenario as scenario
from fake_anthropic import FakeAnthropic, fake_api_fixture  # noqa: F401

from reviewkit.github.state import decode

MAINTAINER = {"login": "maint", "id": 501, "type": "User"}
READER = {"login": "reader", "id": 502, "type": "User"}
EVAL_APP = APP_BASE.replace("line_5 = 5\n", "value = eval(user_input)\n")


def _feature(pr: PullRequestFixture, app: str = EVAL_APP, message: str = "use eval") -> str:
    return pr.push(message, **{"app.py": app})


def _summary(pr: PullRequestFixture) -> str:
    [summary] = pr.fake.summary_comments()
    return str(summary["body"])


def _finding_comment(pr: PullRequestFixture) -> dict[str, Any]:
    return next(
        c for c in pr.fake.review_comments if c["body"].startswith("<!-- reviewkit:finding:") and c["line"] == 5
    )


@pytest.fixture(autouse=True)
def _people(pr: PullRequestFixture) -> None:
    pr.fake.permissions.update({"maint": "maintain", "reader": "read", AUTHOR["login"]: "write"})


# --- acceptance by label -------------------------------------------------------------------------------


def test_a_label_added_by_a_collaborator_accepts_what_was_reported(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.fake.label("reviewkit:accept", MAINTAINER)

    result = pr.run(head)

    assert result.exit_code == 0, result.stderr
    assert pr.output_values()["decision"] == "DEVELOPMENT_COMPLETE"
    body = _summary(pr)
    # Everything reported when the label was added: the blocking eval and the TODO warning.
    assert "### Accepted (2)" in body and "accepted by `maint` (label): label reviewkit:accept" in body
    assert "### Blocking" not in body
    assert pr.fake.violations == []
    asked = [r.path for r in pr.fake.requests if "/collaborators/" in r.path]
    assert asked == ["/repos/octo/app/collaborators/maint/permission"]  # the actor of the label's event


def test_the_same_label_added_by_someone_with_read_access_accepts_nothing(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.fake.label("reviewkit:accept", READER)

    result = pr.run(head)

    assert result.exit_code == 1
    body = _summary(pr)
    assert "### Accepted" not in body
    assert "label reviewkit:accept added by reader: read access: only people with write access can" in body


def test_the_authors_own_label_accepts_nothing_even_with_write_access(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.fake.label("reviewkit:accept", AUTHOR)
    assert pr.run(head).exit_code == 1
    assert "cannot accept or unlearn its own findings" in _summary(pr)


def test_a_label_accepts_nothing_a_later_push_brings(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.fake.label("reviewkit:accept", MAINTAINER)
    assert pr.run(head).exit_code == 0
    # The author pushes a second eval while the label is still on: it was never reported, so never accepted.
    worse = pr.push("more", **{"app.py": EVAL_APP.replace("line_12 = 12\n", "other = eval(text)\n")})

    result = pr.run(worse)

    assert result.exit_code == 1
    report = json.loads(Path(pr.output_values()["report"]).read_text())
    states = {
        f["evidence"]: "accepted" in f for v in report["verdicts"] for f in v["findings"] if f["rule"] == "evals/eval"
    }
    assert states == {"value = eval(user_input)": True, "other = eval(text)": False}


def test_a_label_added_before_any_review_accepts_nothing(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    pr.fake.label("reviewkit:accept", MAINTAINER)
    assert pr.run(head).exit_code == 1
    assert "label reviewkit:accept (made " in _summary(pr) and "make it again after the review" in _summary(pr)


def test_a_rule_label_accepts_only_that_rule_and_removing_it_revokes(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.fake.label("reviewkit:accept:todos/*", MAINTAINER)
    assert pr.run(head).exit_code == 1  # the eval still blocks
    pr.fake.label("reviewkit:accept:evals/eval", MAINTAINER)
    assert pr.run(head).exit_code == 0
    pr.fake.label("reviewkit:accept:evals/eval", MAINTAINER, removed=True)
    assert pr.run(head).exit_code == 1


# --- acceptance by reply or comment ----------------------------------------------------------------------


def test_accept_from_a_contributor_does_not_count_and_from_a_collaborator_does(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    thread = _finding_comment(pr)["id"]
    pr.fake.permissions["drive-by"] = "read"
    drive_by = {"login": "drive-by", "id": 503, "type": "User"}
    pr.comment("/reviewkit accept it is fine, trust me", drive_by, "CONTRIBUTOR", in_reply_to=thread)
    assert pr.run(head).exit_code == 0  # the comment event itself: answered, nothing reviewed
    [answer] = pr.fake.answers()
    assert "drive-by cannot use /reviewkit accept" in answer["body"] and "CONTRIBUTOR" in answer["body"]
    pr.pull_request_event()
    assert pr.run(head).exit_code == 1
    assert "/reviewkit accept by drive-by: author association CONTRIBUTOR" in _summary(pr)

    pr.fake.add_review_comment(
        "/reviewkit accept user_input is a constant here", MAINTAINER, in_reply_to=thread, association="MEMBER"
    )
    assert pr.run(head).exit_code == 0
    assert "accepted by `maint` (reply): user\\_input is a constant here" in _summary(pr)


def test_a_member_without_write_access_cannot_accept(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.fake.add_review_comment(
        "/reviewkit accept ok", READER, in_reply_to=_finding_comment(pr)["id"], association="MEMBER"
    )
    assert pr.run(head).exit_code == 1
    assert "/reviewkit accept by reader: read access" in _summary(pr)


def test_the_change_cannot_accept_itself_through_its_body_commits_or_files(pr: PullRequestFixture) -> None:
    learning = '[[learning]]\nrule = "evals/*"\ncode = "value = eval(user_input)"\nreason = "fine"\n'
    head = pr.push(
        "/reviewkit accept everything\n\n/reviewkit wrong all of it",
        **{
            "app.py": EVAL_APP,
            ".agents__learnings.toml": learning,
            "ACCEPT.md": "/reviewkit accept 0000000000000000\n",
        },
    )
    pr.labels = ["reviewkit:accept"]  # on the payload, but the issue's events show nobody added it

    result = pr.run(head)

    assert result.exit_code == 1
    assert "### Accepted" not in _summary(pr) and "silenced" not in _summary(pr)


def test_accept_by_fingerprint_in_a_comment(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    report = json.loads(Path(pr.output_values()["report"]).read_text())
    fingerprint = next(f["fingerprint"] for v in report["verdicts"] for f in v["findings"] if f["rule"] == "evals/eval")
    pr.fake.add_issue_comment(
        f"/reviewkit accept {fingerprint[:12]} reviewed with the team", MAINTAINER, association="COLLABORATOR"
    )
    assert pr.run(head).exit_code == 0
    assert "(comment): reviewed with the team" in _summary(pr)


# --- learnings -----------------------------------------------------------------------------------------


def test_wrong_in_a_thread_silences_the_finding_and_proposes_the_learning(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    thread = _finding_comment(pr)["id"]
    pr.fake.add_review_comment(
        "/reviewkit wrong user_input is validated by the schema first",
        MAINTAINER,
        in_reply_to=thread,
        association="OWNER",
    )

    result = pr.run(head)

    assert result.exit_code == 0
    report = json.loads(Path(pr.output_values()["report"]).read_text())
    assert not [f for v in report["verdicts"] for f in v["findings"] if f["rule"] == "evals/eval"]
    body = _summary(pr)
    assert "### Learnings from this pull request (1)" in body
    toml = re.search(r"```toml\n(.*?)```", body, re.S).group(1)
    assert 'rule = "evals/eval"' in toml and 'code = "value = eval(user_input)"' in toml
    assert 'paths = ["/app.py"]' in toml and 'by = "maint"' in toml


def test_a_resolved_thread_with_a_thumbs_down_is_a_learning(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    thread = _finding_comment(pr)["id"]
    pr.fake.react(thread, "-1", READER)  # read access: does not count
    assert pr.run(head).exit_code == 1
    pr.fake.resolved.add(thread)
    assert pr.run(head).exit_code == 1
    assert "👎 by reader on a resolved thread: read access" in _summary(pr)
    pr.fake.react(thread, "-1", MAINTAINER)
    assert pr.run(head).exit_code == 0
    assert "marked wrong (👎 on a resolved thread)" in _summary(pr)


def test_a_learning_in_the_base_counts_and_one_in_the_head_does_not(pr: PullRequestFixture) -> None:
    learning = '[[learning]]\nrule = "evals/eval"\ncode = "value = eval(user_input)"\nreason = "constant input"\n'
    head = pr.push("eval", **{"app.py": EVAL_APP, ".agents__learnings.toml": learning})
    assert pr.run(head).exit_code == 1
    pr.dev.git("checkout", "-q", "main")
    pr.base_sha = pr.dev.commit("learn", **{".agents__learnings.toml": learning})
    pr.dev.git("checkout", "-q", "feature")
    pr.dev.git("merge", "-q", "--no-edit", "main")
    head = pr.push("merge main")
    assert pr.run(head).exit_code == 0


# --- slash commands ------------------------------------------------------------------------------------


def test_slash_review_from_a_collaborator_reviews_now_and_answers(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    pr.comment("/reviewkit review", MAINTAINER, "COLLABORATOR")

    result = pr.run(head)

    assert result.exit_code == 1
    assert len(pr.fake.reviews) == 1 and pr.fake.reviews[0]["commit_id"] == head
    [answer] = pr.fake.answers()
    assert f"Reviewed `{head[:10]}`: **CONTINUE_DEVELOPMENT**" in answer["body"]
    assert answer["body"].split("\n")[1].startswith("> /reviewkit review")
    assert pr.fake.violations == []


def test_slash_commands_from_others_are_refused_in_a_reply_and_chatter_is_ignored(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    pr.comment("/reviewkit review", {"login": "passer", "id": 9, "type": "User"}, "NONE")
    assert pr.run(head).exit_code == 0
    [answer] = pr.fake.answers()
    assert "passer cannot use /reviewkit review" in answer["body"] and pr.fake.reviews == []
    requests = len(pr.fake.requests)
    pr.comment("looks good to me, /reviewkit review later", MAINTAINER, "OWNER")
    assert pr.run(head).exit_code == 0
    assert len(pr.fake.requests) == requests  # not a command: reviewkit asked nothing of the API


def test_slash_accept_in_a_thread_answers_and_re_reviews(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    thread = _finding_comment(pr)["id"]
    pr.comment("/reviewkit accept a fixture value", MAINTAINER, "COLLABORATOR", in_reply_to=thread)

    result = pr.run(head)

    assert result.exit_code == 0
    [answer] = pr.fake.answers()
    assert answer.get("in_reply_to_id") == thread
    assert "Accepted by `maint`: a fixture value" in answer["body"] and "DEVELOPMENT_COMPLETE" in answer["body"]
    assert "accepted by `maint` (reply): a fixture value" in _summary(pr)


def test_slash_explain_answers_with_what_the_finding_means(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.comment("/reviewkit explain", MAINTAINER, "MEMBER", in_reply_to=_finding_comment(pr)["id"])
    assert pr.run(head).exit_code == 0
    [answer] = pr.fake.answers()
    assert "`evals/eval` at `app.py:5`" in answer["body"] and "it blocks the merge" in answer["body"]
    assert "eval() runs arbitrary code" in answer["body"] and "/reviewkit accept" in answer["body"]


def test_slash_wrong_by_the_author_is_refused(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.comment("/reviewkit wrong nope", AUTHOR, "COLLABORATOR", in_reply_to=_finding_comment(pr)["id"])
    assert pr.run(head).exit_code == 0
    [answer] = pr.fake.answers()
    assert "opened this pull request and cannot accept or unlearn its own findings" in answer["body"]
    pr.pull_request_event()
    assert pr.run(head).exit_code == 1


# --- incremental review with a model, over two pushes ------------------------------------------------------


def test_two_pushes_of_twenty_files_then_one_file_bills_a_tenth_and_posts_no_duplicate(
    pr: PullRequestFixture, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REVIEWKIT_MEMORY_DIR", str(pr.runner_temp / "reviewkit-memory"))
    pr.dev.git("checkout", "-q", "main")
    files = {".agents/config.toml": scenario.config(), **scenario.prompts()}
    pr.base_sha = pr.dev.commit("prompt reviewers", **{k.replace("/", "__"): v for k, v in files.items()})
    pr.dev.git("checkout", "-q", "-B", "feature")
    fake_api.responder = scenario.responder()
    first = pr.push("twenty files", **{k.replace("/", "__"): v for k, v in scenario.all_files().items()})
    assert pr.run(first, "-p", "no:fakes").exit_code == 1
    first_report = json.loads(Path(pr.output_values()["report"]).read_text())
    calls, posted = len(fake_api.messages()), len(pr.fake.review_comments)

    changed = scenario.path(12)
    second = pr.push("one file", **{changed.replace("/", "__"): scenario.source(12, version=2)})
    assert pr.run(second, "-p", "no:fakes").exit_code == 1
    report = json.loads(Path(pr.output_values()["report"]).read_text())

    requests = fake_api.messages()[calls:]
    assert len(requests) == 2 and all(list(scenario.shown_files(r.system_text)) == [changed] for r in requests)
    assert scenario.billed(report) <= 0.10 * scenario.billed(first_report)
    assert scenario.eval_findings(report) == scenario.eval_findings(first_report)
    # Carried-over findings were posted on the first push; nothing is posted twice.
    assert len(pr.fake.review_comments) == posted
    markers = [c["body"].split("\n", 1)[0] for c in pr.fake.review_comments]
    assert len(markers) == len(set(markers))
    assert pr.fake.violations == []
    assert "review memory: 38 of 40 file review(s) reused" in _summary(pr)
    # A maintainer accepts what is reported: the labelled run asks the model nothing (labels of reviewkit's
    # own do not make reviewers new to memory).
    calls = len(fake_api.messages())
    pr.fake.label("reviewkit:accept", MAINTAINER)
    assert pr.run(second, "-p", "no:fakes").exit_code == 0
    assert len(fake_api.messages()) == calls


def test_without_a_secret_ci_keeps_no_memory(pr: PullRequestFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWKIT_MEMORY_DIR", str(pr.runner_temp / "reviewkit-memory"))
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    assert not (pr.runner_temp / "reviewkit-memory").exists()


def test_a_short_fingerprint_in_a_comment_names_only_the_finding_reported_then(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    report = json.loads(Path(pr.output_values()["report"]).read_text())
    fingerprint = next(f["fingerprint"] for v in report["verdicts"] for f in v["findings"] if f["rule"] == "evals/eval")
    pr.fake.add_issue_comment(f"/reviewkit accept {fingerprint[:8]} fine", MAINTAINER, association="COLLABORATOR")
    assert pr.run(head).exit_code == 0
    state = _summary(pr).split("\n", 1)[0]
    # The comment was bound to the one finding with those digits: all 32 of them are what counts from now on.
    bindings = decode(state).bindings
    assert list(bindings.values()) == [(fingerprint,)] and next(iter(bindings)).startswith("comment-")


def test_a_fingerprint_comment_made_before_any_review_accepts_nothing(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    pr.fake.add_issue_comment("/reviewkit accept 0123abcd in advance", MAINTAINER, association="OWNER")
    assert pr.run(head).exit_code == 1
    assert "/reviewkit accept 0123abcd by maint (made " in _summary(pr)


def test_when_github_cannot_say_who_may_write_nothing_is_accepted(pr: PullRequestFixture) -> None:
    head = _feature(pr)
    assert pr.run(head).exit_code == 1
    pr.fake.label("reviewkit:accept", MAINTAINER)
    pr.fake.faults.append(Fault("GET", r"/collaborators/", 502, times=10))
    assert pr.run(head).exit_code == 1  # fail closed
    assert "label reviewkit:accept added by maint: permission unknown" in _summary(pr)
