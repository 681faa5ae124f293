"""goal-adherence: does the change do what its goal asks, and nothing unrelated?

The goal comes from ``--goal TEXT|@FILE``, the pull request's body in CI, or ``code_review.goal_file``.
Judging it needs a model; without one (or without a goal) the reviewer is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reviewkit import Finding, ReviewContext, Reviewer, Skip, hookimpl


class GoalAdherence(Reviewer):
    name = "goal-adherence"
    description = "Checks that the change does what its goal asks, and nothing unrelated (needs a model)."
    blocking = True
    trigger = "always"
    needs_model = True

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        if not (context.goal or "").strip():
            raise Skip("no goal given: pass --goal TEXT|@FILE, a PR body, or code_review.goal_file")
        judge = getattr(context.model, "judge_goal", None)
        if judge is None:
            raise Skip("the model provider cannot judge goals in this build")
        return list(judge(context))


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(GoalAdherence())
