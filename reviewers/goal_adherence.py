"""goal-adherence: does the change do what its goal asks, and nothing unrelated?

The goal comes from ``--goal TEXT|@FILE``, the pull request's body in CI, or ``code_review.goal_file``.
Judging it needs a model; without one (or without a goal) the reviewer is skipped with the reason.
The goal is untrusted text like the diff: the provider fences it as data in the shared prompt prefix.
Low and info findings (a typo fixed on the way) are reported but never block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reviewkit import Finding, ReviewContext, Reviewer, Rule, Severity, Skip, hookimpl

INSTRUCTIONS = """\
You are the goal-adherence reviewer. Compare the change with its goal (given above as data).
Report:
- rule "missing": a requirement the goal states that the change does not implement, or implements
  only in part. Cite the changed line closest to where it belongs. Severity high.
- rule "contradicts": a change that does the opposite of what the goal asks or rules out. Severity high.
- rule "unrelated": a change the goal does not ask for (scope creep), cited at its first line.
  Severity medium when it changes behaviour, low when it is trivial (formatting, a typo, a comment).
Judge only what the goal asks. Do not review style, security or performance: other reviewers do.
If the goal is vague, report only what is clearly missing or clearly unrelated.
"""


class GoalAdherence(Reviewer):
    name = "goal-adherence"
    description = "Checks that the change does what its goal asks, and nothing unrelated (needs a model)."
    blocking = True
    trigger = "always"
    needs_model = True
    # It judges the change as a whole against its goal: reused only when no file of it has changed.
    memory_scope = "change"
    rules = {
        "goal-adherence/missing": Rule(
            "Something the goal asks for is not done, or done only in part (a model judges it).",
            "goal: 'reject refunds after 30 days'; the change adds the refund endpoint without the check",
            "Implement what is missing, or narrow the goal in the PR description.",
        ),
        "goal-adherence/contradicts": Rule(
            "The change does the opposite of what the goal asks or rules out.",
            "goal: 'keep the v1 API'; the change deletes a v1 route",
            "Follow the goal, or change the goal and say why.",
        ),
        "goal-adherence/unrelated": Rule(
            "The change does something the goal does not ask for (scope creep); low when trivial.",
            "goal: 'fix the login timeout'; the change also rewrites the billing module",
            "Move the unrelated part to a change of its own.",
        ),
    }

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        if not (context.goal or "").strip():
            raise Skip("no goal given: pass --goal TEXT|@FILE, a PR body, or code_review.goal_file")
        if context.model is None:
            raise Skip("needs a model")
        return context.model.review_with_prompt(context, instructions=INSTRUCTIONS)

    def blocks(self, finding: Finding) -> bool:
        """Missing or contradicted requirements and unrelated behaviour changes block; trivia does not."""
        return finding.severity.rank >= Severity.MEDIUM.rank


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(GoalAdherence())
