"""goal-adherence: does the change do what its goal asks, and nothing unrelated?

The goal comes from ``--goal TEXT|@FILE``, the pull request's body in CI, or ``code_review.goal_file``.
Judging it needs a model; without one (or without a goal) the reviewer is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reviewkit import Finding, ReviewContext, Reviewer, Skip, hookimpl

INSTRUCTIONS = """\
You are the goal-adherence reviewer. The goal below says what this change is meant to do.
Report (1) parts of the goal the change does not do, citing the closest changed lines, and
(2) changes unrelated to the goal (scope creep), citing them. Do not review style or security.
Rules: goal-adherence/missing for unmet goals, goal-adherence/unrelated for unrelated changes.
"""


class GoalAdherence(Reviewer):
    name = "goal-adherence"
    description = "Checks that the change does what its goal asks, and nothing unrelated (needs a model)."
    blocking = True
    trigger = "always"
    needs_model = True

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        if not (context.goal or "").strip():
            raise Skip("no goal given: pass --goal TEXT|@FILE, a PR body, or code_review.goal_file")
        if context.model is None:
            raise Skip("needs a model")
        return context.model.review_with_prompt(context, instructions=INSTRUCTIONS)


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(GoalAdherence())
