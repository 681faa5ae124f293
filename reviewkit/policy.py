"""The merge policy: verdicts in, one decision and an exit code out (DESIGN.md's table, a contract)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from reviewkit.verdict import Status, Verdict


class Decision(enum.StrEnum):
    DEVELOPMENT_COMPLETE = "DEVELOPMENT_COMPLETE"
    NEW_REVIEW_ROUND = "NEW_REVIEW_ROUND"
    CONTINUE_DEVELOPMENT = "CONTINUE_DEVELOPMENT"
    STOP_DEVELOPMENT = "STOP_DEVELOPMENT"
    NOTIFY_MANAGEMENT = "NOTIFY_MANAGEMENT"


class ExitCode(enum.IntEnum):
    OK = 0
    BLOCKED = 1
    USAGE = 2
    NOTIFY_MANAGEMENT = 3


EXIT_CODES = {
    Decision.DEVELOPMENT_COMPLETE: ExitCode.OK,
    Decision.NEW_REVIEW_ROUND: ExitCode.OK,
    Decision.CONTINUE_DEVELOPMENT: ExitCode.BLOCKED,
    Decision.STOP_DEVELOPMENT: ExitCode.BLOCKED,
    Decision.NOTIFY_MANAGEMENT: ExitCode.NOTIFY_MANAGEMENT,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    decision: Decision
    exit_code: ExitCode
    reason: str


def decide(
    verdicts: Sequence[Verdict],
    *,
    fixes_changed_code: bool = False,
    persisted_every_round: bool = False,
    fixes_keep_failing: bool = False,
) -> Outcome:
    """Apply the policy.

    :param fixes_changed_code: fixes were merged into the code under review, so another round
        would review new code.
    :param persisted_every_round: a blocking finding survived every one of several rounds.
    :param fixes_keep_failing: the fixes failed the test gate in every round that had fixes.
    """
    failed = [v.reviewer for v in verdicts if v.blocking and v.status is Status.ERROR]
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
        return _outcome(Decision.NEW_REVIEW_ROUND, "fixes were merged; the changed code needs another review round")
    return _outcome(Decision.DEVELOPMENT_COMPLETE, "nothing blocking left")


def _outcome(decision: Decision, reason: str) -> Outcome:
    return Outcome(decision=decision, exit_code=EXIT_CODES[decision], reason=reason)
