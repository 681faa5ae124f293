"""``reviewkit rules [RULE]``: what each rule means, with an example and its fix.

Rules come from the reviewers themselves (``Reviewer.rules``), so a third-party reviewer documents its
own the same way the built-ins do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reviewkit.errors import InputError
from reviewkit.hints import did_you_mean
from reviewkit.plugins import RegisteredReviewer
from reviewkit.reviewer import Rule


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleEntry:
    rule: str
    reviewer: str
    blocking: bool
    doc: Rule

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "reviewer": self.reviewer,
            "blocking": self.blocking,
            "summary": self.doc.summary,
            "example": self.doc.example,
            "fix": self.doc.fix,
        }


def all_rules(reviewers: Mapping[str, RegisteredReviewer]) -> list[RuleEntry]:
    entries = []
    for name, registered in sorted(reviewers.items()):
        reviewer = registered.reviewer
        for rule, doc in sorted(reviewer.rules.items()):
            entries.append(RuleEntry(rule=rule, reviewer=name, blocking=reviewer.blocking, doc=Rule(*doc)))
    return entries


def select(entries: list[RuleEntry], query: str | None, reviewers: Mapping[str, RegisteredReviewer]) -> list[RuleEntry]:
    """The rules ``query`` names: every rule, one reviewer's rules, or one rule."""
    if query is None:
        return entries
    chosen = [e for e in entries if query in (e.rule, e.reviewer)]
    if chosen:
        return chosen
    if query in reviewers:
        raise InputError(f"rules {query}: reviewer {query!r} does not describe its rules")
    hint = did_you_mean(query, [e.rule for e in entries] + list(reviewers))
    raise InputError(f"rules {query}: no such rule or reviewer{hint}; 'reviewkit rules' lists them all")


def render_list(entries: list[RuleEntry]) -> str:
    width = max((len(e.rule) for e in entries), default=4)
    return "".join(f"{e.rule:<{width}}  {e.doc.summary}\n" for e in entries)


def render_one(entry: RuleEntry) -> str:
    kind = "blocking" if entry.blocking else "warning"
    lines = [f"{entry.rule}  (reviewer {entry.reviewer}, {kind} by default)", "", entry.doc.summary]
    if entry.doc.example:
        lines += ["", "Example:", *(f"    {line}" for line in entry.doc.example.splitlines())]
    if entry.doc.fix:
        lines += ["", f"Fix: {entry.doc.fix}"]
    return "\n".join(lines) + "\n"
