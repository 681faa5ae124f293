"""The merge policy: verdicts in, one decision and an exit code out (DESIGN.md's table, a contract).

The decision describes the pipeline's state (with ``--rounds N``, the fixed code); the exit code
describes the reviewed revision as committed. A fix that lives only in a workspace, a report, a
suggestion or an uncommitted ``--apply`` does not make the revision mergeable: exit 0 means the
reviewed commit itself has nothing blocking.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from reviewkit.errors import ExitCode as ExitCode  # re-exported: the exit codes belong to the policy table
from reviewkit.verdict import Status, Verdict


class Decision(enum.StrEnum):
    DEVELOPMENT_COMPLETE = "DEVELOPMENT_COMPLETE"
    NEW_REVIEW_ROUND = "NEW_REVIEW_ROUND"
    CONTINUE_DEVELOPMENT = "CONTINUE_DEVELOPMENT"
    STOP_DEVELOPMENT = "STOP_DEVELOPMENT"
    NOTIFY_MANAGEMENT = "NOTIFY_MANAGEMENT"


EXIT_CODES = {
    Decision.DEVELOPMENT_COMPLETE: ExitCode.OK,
    Decision.NEW_REVIEW_ROUND: ExitCode.BLOCKED,  # the reviewed revision still holds what the fixes fix
    Decision.CONTINUE_DEVELOPMENT: ExitCode.BLOCKED,
    Decision.STOP_DEVELOPMENT: ExitCode.BLOCKED,
    Decision.NOTIFY_MANAGEMENT: ExitCode.NOTIFY_MANAGEMENT,
}

FIXES_READY = (
    "the reviewed revision still has blocking findings that the merged fixes resolve: "
    "take them (reviewkit review --apply, or the fix patch in the report) and commit"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    decision: Decision
    exit_code: ExitCode
    reason: str


def incomplete(verdicts: Sequence[Verdict]) -> list[str]:
    """Blocking reviewers whose review did not complete: errors, timeouts, refusals, files not analysed."""
    return [v.reviewer for v in verdicts if v.blocking and (v.status is Status.ERROR or v.not_reviewed)]


def revision_blocked(verdicts: Sequence[Verdict]) -> bool:
    """Whether the reviewed revision, as committed, has a blocking finding, fixed elsewhere or not."""
    return any(f.blocking for v in verdicts for f in v.findings) or any(v.status is Status.BLOCKING for v in verdicts)


def decide(
    verdicts: Sequence[Verdict],
    *,
    fixes_changed_code: bool = False,
    persisted_every_round: bool = False,
    fixes_keep_failing: bool = False,
    revision: Sequence[Verdict] | None = None,
) -> Outcome:
    """Apply the policy.

    :param verdicts: the verdicts the decision is about (with ``--rounds N``, the last round's).
    :param fixes_changed_code: fixes were merged into the code under review, so another round
        would review new code.
    :param persisted_every_round: a blocking finding survived every one of several rounds.
    :param fixes_keep_failing: the fixes failed the test gate in every round that had fixes.
    :param revision: the verdicts on the reviewed revision itself (the first round's); the exit code
        is 1 when they hold a blocking finding, even one that fixes resolved. Default: ``verdicts``.
    """
    outcome = _decision(
        verdicts,
        fixes_changed_code=fixes_changed_code,
        persisted_every_round=persisted_every_round,
        fixes_keep_failing=fixes_keep_failing,
    )
    if outcome.exit_code == ExitCode.OK and revision_blocked(verdicts if revision is None else revision):
        return Outcome(decision=outcome.decision, exit_code=ExitCode.BLOCKED, reason=FIXES_READY)
    return outcome


def _decision(
    verdicts: Sequence[Verdict], *, fixes_changed_code: bool, persisted_every_round: bool, fixes_keep_failing: bool
) -> Outcome:
    failed = incomplete(verdicts)
    if failed:
        return _outcome(Decision.NOTIFY_MANAGEMENT, f"blocking reviewer(s) did not complete: {', '.join(failed)}")
    blocked = [v.reviewer for v in verdicts if v.status is Status.BLOCKING]
    if blocked and (persisted_every_round or fixes_keep_failing):
        why = (
            "fixes keep failing the test gate"
            if fixes_keep_failing
            else "the same blocking findings survived every round"
        )
        return _outcome(Decision.STOP_DEVELOPMENT, f"{why}: {', '.join(blocked)}")
    if blocked:
        return _outcome(Decision.CONTINUE_DEVELOPMENT, f"unfixed blocking findings from {', '.join(blocked)}")
    if fixes_changed_code:
        return _outcome(
            Decision.NEW_REVIEW_ROUND,
            "fixes were merged; the changed code needs another review round, and the reviewed revision "
            "still holds what they fix: take them (reviewkit review --apply, or the fix patch) and commit",
        )
    return _outcome(Decision.DEVELOPMENT_COMPLETE, "nothing blocking left")


def _outcome(decision: Decision, reason: str) -> Outcome:
    return Outcome(decision=decision, exit_code=EXIT_CODES[decision], reason=reason)
