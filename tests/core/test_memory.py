"""Review memory with deterministic reviewers that opt in (``memory_scope``): what a reviewer is asked to
review again, what is carried over, and what is never stored (errors, unread files, findings it cannot
attribute). Reviewers run in processes of their own, so each logs the files it was given to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import GitRepo, review_with

from reviewkit import Finding, ReviewContext, Reviewer


class Todos(Reviewer):
    """Flags TODO on added lines; logs what it was asked to review and what memory served."""

    name = "todos"
    memory_scope = "file"
    blocking = True

    def __init__(self, log: Path, *, fail: bool = False, unread: str = "", consult: str = "", stray: bool = False):
        self.log, self.fail, self.unread, self.consult, self.stray = log, fail, unread, consult, stray

    def review(self, context: ReviewContext) -> Any:
        with self.log.open("a") as out:
            out.write(f"{','.join(sorted(f.path for f in context.files))} | {','.join(context.reused)}\n")
        if self.fail:
            raise RuntimeError("broken today")
        if self.unread:
            context.not_reviewed(self.unread, "too big")
        if self.consult:
            context.read(self.consult)
            context.consulted(self.consult)
        for file in context.files:
            for line in file.added_lines():
                if "TODO" in line.text:
                    yield Finding(
                        rule="todos/todo",
                        severity="low",
                        path=file.path,
                        line=line.number,
                        message="A TODO.",
                        evidence=line.text,
                    )
        if self.stray:
            yield Finding(rule="todos/readme", severity="low", path="README.md", line=1, message="x", evidence="# p")


def pull_request(repo: GitRepo) -> None:
    repo.commit("base", README_md="# p\n")
    repo.branch("feature")
    repo.commit("change", a__py="x = 1  # TODO\n", b__py="y = 2\n", c__py="z = 3  # TODO later\n")


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def todos(report: Any) -> list[tuple[str, int]]:
    return sorted((f.path, f.line) for v in report.verdicts for f in v.findings)


def test_unchanged_files_are_not_reviewed_again_and_their_findings_carry_over(repo: GitRepo, tmp_path: Path) -> None:
    pull_request(repo)
    log = tmp_path / "log"
    first = review_with([Todos(log)], repo)
    again = review_with([Todos(log)], repo)
    assert calls(log) == ["a/py,b/py,c/py | "]  # the second run did not call the reviewer at all
    assert todos(again) == todos(first) == [("a/py", 1), ("c/py", 1)]
    assert (again.exit_code, again.verdicts[0].memory.reused) == (1, 3)
    repo.commit("b changes", b__py="y = 3  # TODO now\n")
    third = review_with([Todos(log)], repo)
    assert calls(log)[-1] == "b/py | a/py,c/py"
    assert todos(third) == [("a/py", 1), ("b/py", 1), ("c/py", 1)]


def test_a_reviewer_that_does_not_opt_in_is_always_called(repo: GitRepo, tmp_path: Path) -> None:
    pull_request(repo)
    log = tmp_path / "log"

    class Plain(Todos):
        memory_scope = ""

    review_with([Plain(log)], repo)
    report = review_with([Plain(log)], repo)
    assert len(calls(log)) == 2 and report.verdicts[0].memory is None


def test_an_error_or_an_unread_file_is_never_remembered(repo: GitRepo, tmp_path: Path) -> None:
    pull_request(repo)
    log = tmp_path / "log"
    failed = review_with([Todos(log, fail=True)], repo)
    assert failed.exit_code == 3
    incomplete = review_with([Todos(log, unread="b/py")], repo)
    assert incomplete.exit_code == 3
    review_with([Todos(log)], repo)
    assert [line.split(" | ")[1] for line in calls(log)] == ["", "", ""]  # nothing came from memory


def test_findings_the_reviewer_cannot_attribute_to_a_file_it_reviewed_are_not_stored(
    repo: GitRepo, tmp_path: Path
) -> None:
    pull_request(repo)
    log = tmp_path / "log"
    review_with([Todos(log, stray=True)], repo)
    review_with([Todos(log, stray=True)], repo)
    assert len(calls(log)) == 2


def test_a_file_the_reviewer_consulted_is_a_dependency(repo: GitRepo, tmp_path: Path) -> None:
    pull_request(repo)
    log = tmp_path / "log"
    review_with([Todos(log, consult="b/py")], repo)
    repo.commit("b changes", b__py="y = 4\n")
    review_with([Todos(log, consult="b/py")], repo)
    # Every entry depended on b/py: all three files are reviewed again.
    assert calls(log)[-1] == "a/py,b/py,c/py | "
