"""Review rounds: what one round produced, which findings its fixes fixed, and the decision over rounds.

A round is: reviewers -> verdicts -> fix stage. ``--rounds N`` re-reviews the merged result while
fixes keep changing the code (or keep failing the gate, so a fixer may try again), up to N rounds.
The policy's round-aware inputs are decided here: a blocking finding (same rule, path and quoted
code) that survived every round, and fixes that failed the test gate in every round.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewkit.findings import Finding
from reviewkit.fixes import FixResult, changed_lines, diff_between, is_fixed, reader_at
from reviewkit.policy import Outcome, decide
from reviewkit.report import Fixes, Skipped
from reviewkit.verdict import Fix, Status, Verdict, WorkspaceInfo, decide_status


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundResult:
    verdicts: tuple[Verdict, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    dropped: int = 0
    fixes: FixResult = field(default_factory=FixResult)


def proposed_only(verdicts: Sequence[Verdict]) -> FixResult:
    """A ``--diff`` run has no commit to merge onto: the reviewers' patches are only proposed."""
    patch = "".join(v.fix.patch for v in verdicts if v.fix.patch)
    if not patch:
        return FixResult()
    return FixResult(patch=patch, note="fixes are proposed only: a --diff run has no commit to merge them onto")


def with_fixes(
    verdict: Verdict,
    fixes: FixResult,
    *,
    repo: Path | None,
    blocks: Callable[[Finding], bool],
    workspace: WorkspaceInfo | None = None,
    declared: frozenset[tuple[str, str, str]] | None = None,
) -> Verdict:
    """Mark the findings a merged fix fixed, say what became of the reviewer's fix, re-decide status.

    ``declared``: the keys of the findings the reviewer said its fixes fix; when given, no other
    finding is credited, whatever lines the fix changed.
    """
    verdict = replace(verdict, workspace=workspace or verdict.workspace)
    if verdict.status in (Status.ERROR, Status.SKIPPED):
        return verdict
    own = fixes.contributions.get(verdict.reviewer)
    merged = fixes.merged and verdict.reviewer in fixes.applied
    findings = verdict.findings
    if merged and own and fixes.commit and repo is not None:
        changed, read = changed_lines(own), reader_at(repo, fixes.commit)
        findings = tuple(
            f.with_fixed() if (declared is None or f.key in declared) and is_fixed(f, changed, read) else f
            for f in findings
        )
    notes = [d.split(": ", 1)[1] for d in fixes.dropped if d.startswith(f"{verdict.reviewer}: ")]
    if (verdict.fix.patch or own) and not merged and fixes.note:
        notes.append(fixes.note)
    if merged:
        notes.append("merged")
    status = decide_status(findings, blocking=verdict.blocking, blocks=blocks)
    summary = "; ".join([verdict.summary, *(f"fix {note}" if note == "merged" else f"fix: {note}" for note in notes)])
    return replace(
        verdict,
        findings=findings,
        status=status,
        summary=summary,
        fix=Fix(patch=verdict.fix.patch or own or None, merged=merged, error=verdict.fix.error),
    )


def wants_another_round(result: RoundResult) -> bool:
    """Another round sees something new when fixes were merged, or retries fixes that failed the gate."""
    if any(v.blocking and v.status is Status.ERROR for v in result.verdicts):
        return False
    failed_gate = result.fixes.tests is not None and not result.fixes.tests.passed
    return result.fixes.merged or failed_gate


def decide_rounds(history: Sequence[RoundResult]) -> Outcome:
    """The policy over the rounds so far (the last one's verdicts, the history's persistence)."""
    last = history[-1]
    several = len(history) > 1
    blocking = [{f.key for v in r.verdicts if v.status is Status.BLOCKING for f in v.unfixed} for r in history]
    persisted = several and bool(set.intersection(*blocking))
    keep_failing = several and all(r.fixes.tests is not None and not r.fixes.tests.passed for r in history)
    return decide(
        last.verdicts,
        fixes_changed_code=last.fixes.merged,
        persisted_every_round=persisted,
        fixes_keep_failing=keep_failing,
        revision=history[0].verdicts,
    )


def final_fixes(history: Sequence[RoundResult], *, repo: Path | None, head: str | None) -> Fixes:
    """Merged fixes add up over rounds (one patch against the reviewed head); when the last round's
    fixes were not merged, its proposal is reported with the reason instead."""
    last = history[-1]
    merged = [r.fixes for r in history if r.fixes.merged]
    if not merged or (not last.fixes.merged and last.fixes.patch):
        fixes = last.fixes
        return Fixes(
            patch=fixes.patch,
            merged=False,
            tests=fixes.tests,
            dropped=fixes.dropped,
            note=fixes.note,
            workspace=fixes.workspace,
        )
    final = merged[-1]
    patch = final.patch
    if len(merged) > 1 and repo is not None and head and final.commit:
        patch = diff_between(repo, head, final.commit)
    return Fixes(
        patch=patch,
        merged=True,
        tests=final.tests,
        dropped=last.fixes.dropped,
        note=final.note,
        workspace=final.workspace,
    )
