"""``reviewkit github`` on the events besides pull_request: a merge queue, pushes, a manual run.

None of them has a pull request to post to: each is reviewed into annotations, the step summary, SARIF
and the outputs, and the exit code gates the check as on a pull request.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from conftest import GIT_ENV
from git_http_server import private_git_server
from github_pr_setup import APP_BASE, REPOSITORY, TOKEN, PullRequestFixture, pull_request_fixture  # noqa: F401

EVAL_APP = APP_BASE.replace("line_5 = 5\n", "value = eval(user_input)\n")
ZERO = "0" * 40
# The change also tries to switch reviewing off: configuration always comes from the base.
SWITCH_OFF = {".agents__config.toml": "[code_review]\nenabled = false\n"}


def _repository() -> dict[str, Any]:
    return {"full_name": REPOSITORY, "default_branch": "main"}


def _report(pr: PullRequestFixture) -> dict[str, Any]:
    return json.loads(Path(pr.output_values()["report"]).read_text())


def _assert_reviewed_without_posting(pr: PullRequestFixture, result: Any, description: str) -> None:
    assert result.exit_code == 1, result.stderr  # the eval is a blocking finding
    assert "::error file=app.py,line=5,endLine=5,title=evals/eval (high)::" in result.stdout
    summary = pr.summary.read_text()
    assert "CONTINUE_DEVELOPMENT" in summary and f"Reviewed the {description}" in summary
    assert "no pull request to post to" in summary
    assert json.loads(Path(pr.output_values()["sarif"]).read_text())["runs"][0]["results"]
    assert pr.fake.requests == []  # nothing asked of GitHub's API, so no token is needed either


def test_a_merge_group_is_reviewed_as_the_queue_will_merge_it(pr: PullRequestFixture):
    pr.push("feature", **{"app.py": EVAL_APP, **SWITCH_OFF})
    main = pr.dev.git("rev-parse", "main")
    queue = f"gh-readonly-queue/main/pr-7-{main[:12]}"
    pr.dev.git("checkout", "-q", "-b", queue, "main")
    pr.dev.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7", "feature")
    group_head = pr.dev.git("rev-parse", "HEAD")
    pr.dev.git("push", "-q", "origin", queue)
    pr.clone(queue)
    pr.event_name = "merge_group"
    pr.payload = {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": group_head,
            "head_ref": f"refs/heads/{queue}",
            "base_sha": main,
            "base_ref": "refs/heads/main",
        },
        "repository": _repository(),
    }

    result = pr.run(group_head)

    _assert_reviewed_without_posting(pr, result, "merge queue group for main")
    report = _report(pr)
    assert (report["base"], report["head"]) == (main, group_head)
    assert [f["path"] for f in report["files"]] == [".agents/config.toml", "app.py"]


def test_a_push_is_reviewed_from_the_commit_it_replaced(pr: PullRequestFixture):
    pr.dev.git("checkout", "-q", "main")
    before = pr.dev.git("rev-parse", "HEAD")
    pr.dev.commit("readme", **{"README.md": "# app\n"})
    after = pr.dev.commit("eval", **{"app.py": EVAL_APP, **SWITCH_OFF})
    pr.dev.git("push", "-q", "origin", "main")
    pr.clone("main")
    pr.event_name = "push"
    pr.payload = {
        "ref": "refs/heads/main",
        "before": before,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "commits": [{"id": "x"}, {"id": "y"}],
        "repository": _repository(),
    }

    result = pr.run(after)

    _assert_reviewed_without_posting(pr, result, "push to main (2 commit(s))")
    report = _report(pr)
    assert (report["base"], report["head"]) == (before, after)
    assert sorted(f["path"] for f in report["files"]) == [".agents/config.toml", "README.md", "app.py"]


def test_a_new_branch_is_reviewed_from_where_it_left_the_default_branch(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.dev.git("checkout", "-q", "main")
    moved_on = pr.dev.commit("main moves on", **{"NOTES.md": "later\n"})
    pr.dev.git("push", "-q", "origin", "main")
    pr.event_name = "push"
    pr.payload = {"ref": "refs/heads/feature", "before": ZERO, "after": head, "created": True,
                  "commits": [], "repository": _repository()}  # fmt: skip

    result = pr.run(head)

    _assert_reviewed_without_posting(pr, result, "push to feature")
    report = _report(pr)
    assert report["base"] == pr.base_sha != moved_on
    assert [f["path"] for f in report["files"]] == ["app.py"]


def test_the_first_push_of_the_default_branch_reviews_its_head_commit(pr: PullRequestFixture):
    pr.dev.git("checkout", "-q", "main")
    parent = pr.dev.git("rev-parse", "HEAD")
    after = pr.dev.commit("eval", **{"app.py": EVAL_APP})
    pr.dev.git("push", "-q", "origin", "main")
    pr.clone("main")
    pr.event_name = "push"
    pr.payload = {"ref": "refs/heads/main", "before": ZERO, "after": after, "commits": [],
                  "repository": _repository()}  # fmt: skip

    result = pr.run(after)

    assert result.exit_code == 1, result.stderr
    assert (_report(pr)["base"], _report(pr)["head"]) == (parent, after)


def test_a_push_that_deletes_a_branch_has_nothing_to_review(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.event_name = "push"
    pr.payload = {"ref": "refs/heads/old", "before": head, "after": ZERO, "deleted": True,
                  "repository": _repository()}  # fmt: skip

    result = pr.run(head)

    assert result.exit_code == 2
    assert "this push deleted refs/heads/old: there is nothing to review" in result.stderr


def test_a_manual_run_reviews_the_dispatched_commit_against_the_default_branch(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.event_name = "workflow_dispatch"
    pr.payload = {"ref": "refs/heads/feature", "inputs": {}, "repository": _repository()}

    result = pr.run(head)

    _assert_reviewed_without_posting(pr, result, "manual run on feature")
    assert (_report(pr)["base"], _report(pr)["head"]) == (pr.base_sha, head)


def test_a_manual_run_takes_base_and_head_it_has_to_fetch(pr: PullRequestFixture):
    first = pr.push("eval", **{"app.py": EVAL_APP})
    second = pr.push("todo", **{"app.py": EVAL_APP.replace("line_9 = 9\n", "line_9 = 9  # TODO\n")})
    pr.clone("main")  # neither commit is in this checkout
    pr.event_name = "workflow_dispatch"
    pr.payload = {"ref": "refs/heads/main", "inputs": {"base": first}, "repository": _repository()}

    result = pr.run(pr.base_sha, "--base", first, "--head", "feature", "--post-review", "false")

    assert result.exit_code == 0, result.stderr  # only the TODO (a warning) is new since `first`
    assert (_report(pr)["base"], _report(pr)["head"]) == (first, second)
    assert "todos/todo" in result.stdout


def test_a_revision_that_looks_like_an_option_is_refused(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.event_name = "workflow_dispatch"
    pr.payload = {"ref": "refs/heads/feature", "inputs": {}, "repository": _repository()}

    result = pr.run(head, "--base=--upload-pack=touch /tmp/pwned")

    assert result.exit_code == 2
    assert "is not a commit id or branch name" in result.stderr


def test_pull_request_target_is_reviewed_with_a_warning(pr: PullRequestFixture):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    pr.event_name = "pull_request_target"

    result = pr.run(head)

    assert result.exit_code == 1
    assert "::warning title=reviewkit::reviewkit runs on pull_request_target" in result.stdout
    assert pr.summary.read_text().startswith("> [!WARNING]")
    assert len(pr.fake.reviews) == 1


def test_a_private_repository_checked_out_without_credentials_is_still_fetched(pr: PullRequestFixture, monkeypatch):
    head = pr.push("eval", **{"app.py": EVAL_APP})
    with private_git_server(pr.origin.parent, TOKEN) as (server, seen):
        # actions/checkout with persist-credentials: false: a depth-1 clone, no token left in .git/config.
        basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
        subprocess.run(["rm", "-rf", str(pr.checkout)], check=True)
        subprocess.run(
            ["git", "-c", f"http.extraheader=AUTHORIZATION: basic {basic}", "clone", "-q", "--depth=1",
             "--branch=feature", f"{server}/{pr.origin.name}", str(pr.checkout)],
            check=True, capture_output=True, env={**os.environ, **GIT_ENV},
        )  # fmt: skip
        seen.clear()
        monkeypatch.setenv("GITHUB_SERVER_URL", server)

        result = pr.run(head, "--post-review", "false")

    assert result.exit_code == 1, result.stderr  # the base was fetched: the eval is found
    assert _report(pr)["base"] == pr.base_sha
    assert False in seen and True in seen  # refused without the token, then fetched with it
    assert TOKEN not in (pr.checkout / ".git" / "config").read_text()
    assert basic not in (pr.checkout / ".git" / "config").read_text()
