"""Reviewers that produce every kind of verdict, for the reporter tests: one real review, many formats."""

from __future__ import annotations

import difflib

from conftest import GitRepo, review_with

from reviewkit import Finding, Reviewer, Skip
from reviewkit.report import Report

APP = "".join(f"line_{i} = {i}\n" for i in range(1, 21))


class Injections(Reviewer):
    name = "injections"
    description = "test stand-in: flags eval()"
    blocking = True

    def review(self, context):
        for file in context.files:
            hits = [line for line in file.added_lines() if "eval(" in line.text]
            for line in hits:
                yield Finding(
                    rule="injections/eval",
                    severity="critical",
                    path=file.path,
                    line=line.number,
                    message="eval() on input, 100% unsafe: use ast.literal_eval",
                    evidence=line.text,
                    cwe="CWE-95",
                    confidence=0.95,
                )
            if hits:
                old = context.read(file.path).splitlines(keepends=True)
                new = [text.replace("eval(", "ast.literal_eval(") for text in old]
                context.propose_fix("".join(difflib.unified_diff(old, new, f"a/{file.path}", f"b/{file.path}")))


class Style(Reviewer):
    name = "style"
    description = "test stand-in: flags long names"

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit

    def review(self, context):
        found = 0
        for line in context.change.added_lines():
            if "very_long_name" in line.text and found < self.limit:
                found += 1
                yield Finding(
                    rule="style/long-name",
                    severity="low",
                    path=line.path,
                    line=line.number,
                    message="Name is long,\nsplit: <it>",
                    evidence=line.text,
                )


class Broken(Reviewer):
    name = "broken"
    description = "always crashes"

    def review(self, context):
        raise RuntimeError("boom at 50%")


class Idle(Reviewer):
    name = "idle"
    description = "never has anything to do"

    def review(self, context):
        raise Skip("nothing to do for this change")


def sample_report(repo: GitRepo, *, extra_lines: int = 0, style_limit: int = 1000) -> Report:
    """A change adding an eval and a long name, reviewed by four reviewers of four kinds."""
    repo.commit("base", **{"app.py": APP})
    repo.branch("feature")
    head = APP.replace("line_3 = 3\n", "value = eval(data)\nvery_long_name = 1\n")
    repo.commit("change", **{"app.py": "".join(f"pad_{i} = {i}\n" for i in range(extra_lines)) + head})
    return review_with([Injections(), Style(style_limit), Broken(), Idle()], repo)
