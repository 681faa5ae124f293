"""The model's part, when there is one: a second look at ambiguous blocking findings (it may dismiss
those it can show are legitimate, never in an untrusted review), and, with a goal, whether each
expectation the change edits together with the code is a behaviour change the goal asks for (it may
add a blocking finding for one that is not). A model failure changes nothing: the static judgement stands.
"""

from __future__ import annotations

from collections.abc import Callable

from reviewkit import Finding, ReviewContext

TRIAGE_INSTRUCTIONS = """\
You are the test-integrity reviewer's second pass. Each finding below flags a change that may make
tests pass by checking less (a mock of the unit under test, a conditional skip, a narrowed test
selection, production code that treats test inputs specially). Dismiss a finding only when the diff
shows it is legitimate: e.g. the mock replaces a collaborator rather than the unit, or the skip's
condition never holds where the tests run. Keep it in any doubt.
"""
GOAL_INSTRUCTIONS = """\
You are the test-integrity reviewer's goal check. Each item below is a test whose expected values the
change edits in the same change that edits the production code the test covers, with the old and new
values. Read the goal. For each item whose behaviour change the goal does NOT ask for (the new value
only makes the test agree with code the goal did not ask to change), report one finding with rule
"expected-value-off-goal", severity "high", the item's path and line, and that line quoted as
evidence. Report nothing for changes the goal asks for, or that you cannot judge from the goal.
"""
_AMBIGUOUS = 0.8  # blocking findings less sure than this go to the model when there is one
_EXPECTATION = "test-integrity/expected-value-changed"


def triage(context: ReviewContext, findings: list[Finding], blocks: Callable[[Finding], bool]) -> list[Finding]:
    """Let the model dismiss the ambiguous blocking findings it can show are legitimate; keep the rest.
    A model failure keeps every finding: a review that could not be completed never passes silently.
    In an untrusted review the model never sees a blocking finding to dismiss: the change's author
    writes the text the model reads, so the model's word cannot lift a block."""
    assert context.model is not None
    ambiguous = [f for f in findings if blocks(f) and (f.confidence or 1.0) < _AMBIGUOUS]
    if context.untrusted:
        if ambiguous:
            context.note(f"untrusted change: {len(ambiguous)} blocking finding(s) kept without asking the model")
        return findings
    if not ambiguous:
        return findings
    try:
        _kept, dismissed = context.model.triage(context, ambiguous, instructions=TRIAGE_INSTRUCTIONS)
    except Exception as exc:  # the deterministic findings stand on their own
        context.note(f"model triage failed, all findings kept: {type(exc).__name__}: {exc}")
        return findings
    gone = {f for f, _ in dismissed if f in ambiguous}
    for item, reason in dismissed:
        if item in gone:
            context.note(f"model dismissed {item.rule} at {item.path}:{item.line}: {reason}")
    return [f for f in findings if f not in gone]


def goal_check(context: ReviewContext, findings: list[Finding]) -> list[Finding]:
    """Findings the model adds for expectations edited off the goal (none without a goal)."""
    assert context.model is not None
    edited = [f for f in findings if f.rule == _EXPECTATION]
    if not edited or not context.goal:
        return []
    listing = "\n".join(f"- {f.path}:{f.line}: {f.evidence} ({f.message.split('. ')[0]})" for f in edited)
    try:
        added = context.model.review_with_prompt(context, instructions=GOAL_INSTRUCTIONS + "\nItems:\n" + listing)
    except Exception as exc:
        context.note(f"model goal check failed; edited expectations stay notes: {type(exc).__name__}: {exc}")
        return []
    cited = {(f.path, f.line) for f in edited}
    return [f for f in added if (f.path, f.line) in cited]
