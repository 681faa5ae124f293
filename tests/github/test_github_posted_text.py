"""What reviewkit posts: nothing invisible, and findings on deleted code on the LEFT side of the diff."""

from __future__ import annotations

import json

from conftest import GitRepo, review_with
from github_pr_setup import APP_BASE, PullRequestFixture, pull_request_fixture  # noqa: F401

from reviewkit import Finding, Reviewer
from reviewkit.diff import Change
from reviewkit.github.comments import plan_comments

BIDI_NAME = "invoice\u202eyp.py"
HIDDEN = "\u202e\u2066"  # a bidi override and an isolate: Trojan Source in a comment
TESTS_BASE = "".join(f"def test_{i}():\n    assert compute({i}) == {i * 2}\n\n\n" for i in range(1, 6))


def _invisible(text: str) -> list[str]:
    return sorted({c for c in text if not c.isprintable() and c not in "\n\t"})


def _everything_posted(pr: PullRequestFixture) -> list[str]:
    bodies = [r.body for r in pr.fake.requests if isinstance(r.body, dict)]
    return [json.dumps(body, ensure_ascii=False) for body in bodies]


def test_nothing_invisible_is_posted_and_a_hidden_name_goes_to_the_summary_escaped(pr: PullRequestFixture):
    app = APP_BASE.replace("line_5 = 5\n", f"value = eval(user_input)  # admin check{HIDDEN}\n")
    head = pr.push("hide", **{"app.py": app, BIDI_NAME: "other = eval(data)\n"})

    result = pr.run(head)

    assert result.exit_code == 1
    assert pr.fake.violations == []
    for text in (*_everything_posted(pr), result.stdout, pr.summary.read_text()):
        assert _invisible(text) == [], text[:200]
    # The finding in the hidden-name file is not an inline comment GitHub would show under the raw name.
    assert [c["path"] for c in pr.fake.review_comments] == ["app.py"]
    [comment] = pr.fake.review_comments
    # Its fix holds the hidden characters: not offered as a one-click suggestion.
    assert "```suggestion" not in comment["body"]
    [summary] = pr.fake.summary_comments()
    outside = summary["body"].split("Not shown as inline comments")[1]
    assert "`invoice\\u202eyp.py:1`" in outside
    assert "Fix from evals (not all of it fits suggestion blocks)" in summary["body"]
    assert "# admin check\\u202e\\u2066" in summary["body"]  # the fix, escaped in its diff
    assert "invoice\\u202eyp.py:1: eval() runs" in result.stdout  # the annotation names it, escaped


def test_a_deleted_assertion_gets_a_left_side_comment_on_the_deleted_line(pr: PullRequestFixture):
    pr.dev.git("checkout", "-q", "main")
    pr.base_sha = pr.dev.commit("tests", **{"test_app.py": TESTS_BASE})
    pr.dev.git("checkout", "-q", "-B", "feature")
    head = pr.push("weaken", **{"test_app.py": TESTS_BASE.replace("    assert compute(3) == 6\n", "    pass\n")})

    result = pr.run(head)

    assert result.exit_code == 1, result.stderr
    assert pr.fake.violations == []  # GitHub's diff has the deleted line on its LEFT side
    [comment] = pr.fake.review_comments
    assert (comment["path"], comment["line"], comment["side"]) == ("test_app.py", 10, "LEFT")
    assert "asserts/removed" in comment["body"] and "base revision" in comment["body"]
    # Annotations and SARIF point at the head line that now stands there (the added `pass`).
    assert "::error file=test_app.py,line=10,endLine=10,title=asserts/removed (high)::" in result.stdout


class _RemovedAsserts(Reviewer):
    name = "removed-asserts"
    description = "flags removed assert lines, citing the base"
    blocking = True

    def review(self, context):
        for file in context.change.files:
            for hunk in file.hunks:
                for line in hunk.lines:
                    if line.kind == "-" and "assert " in line.text:
                        yield Finding(
                            rule="removed-asserts/removed",
                            severity="high",
                            path=file.old_path or file.path,
                            line=line.old_number,
                            message="An assertion was removed.",
                            evidence=line.text,
                            side="base",
                        )


def test_a_left_side_comment_on_a_renamed_file_is_filed_under_its_new_name(repo: GitRepo):
    repo.commit("base", **{"tests__test_old.py": TESTS_BASE})
    repo.branch("feature")
    repo.remove("tests/test_old.py")
    repo.commit("rename", **{"tests__test_new.py": TESTS_BASE.replace("    assert compute(2) == 4\n", "")})
    report = review_with([_RemovedAsserts()], repo)

    plan = plan_comments(report, Change(files=report.files, base=report.base, head=report.head))

    [comment] = plan.inline
    assert (comment.path, comment.line, comment.side) == ("tests/test_new.py", 6, "LEFT")
