"""Model-backed fixing: the model edits the reviewer's own workspace through Anthropic's text-editor
tool (and a run-tests tool), under a turn, token and time budget.

The edits are not trusted for being made: the fix stage merges the workspace's diff with every other
reviewer's fixes and merges it only if the test gate passes, like any mechanical fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from reviewkit.delegation import Delegator
from reviewkit.errors import FixAborted, ProviderError
from reviewkit.findings import Finding, Side
from reviewkit.reviewer import ReviewContext

DEFAULT_MAX_CALLS = 40
FIX_INSTRUCTIONS = """\
You are fixing problems that a code reviewer found in this change. Your workspace holds the head of
the change; edit it with the str_replace_based_edit_tool (paths relative to the repository root).
Fix exactly the findings listed below and nothing else: keep each edit minimal, keep the code's style,
never weaken, skip or delete a test to make it pass. If a run_tests tool is offered, run the tests
after editing and repair what your edit broke. A finding you cannot fix safely: leave it as it is.
When you are done, answer with one line per finding: fixed or left, and why.

Findings to fix:
"""


def fix_with_model(context: ReviewContext, findings: Sequence[Finding], *, max_calls: int | None = None) -> bool:
    """Let the model fix ``findings`` in ``context.workspace``. True when it ran to the end.

    Runs by default only where a fix can be verified, that is when ``code_review.test_command`` is set
    (without a test gate a fix is never merged, and a tool loop costs several model calls); the
    reviewer's ``fix`` option forces it on (fixes proposed as patches) or off. Does nothing without a
    model or a workspace (e.g. reviewing a patch with no repository). The fixer may delegate to
    sub-agents as ``[delegation] max_depth`` allows (reviewkit.delegation). A fix that does not finish
    (a provider failure, its depth or token budget passed) is undone and the verdict's fix is an error;
    the findings stay, unfixed: a reviewer that found problems still reports them.
    """
    wanted = [f for f in findings if not f.fixed and f.side is Side.HEAD]
    if not wanted or context.model is None or context.workspace is None:
        return False
    if not context.options.get("fix", context.config.test_command is not None):
        return False
    calls = max_calls or int(context.options.get("fix_max_calls", DEFAULT_MAX_CALLS))
    delegator = _delegator(context, calls)
    context.declare_fixes(wanted)  # the model is asked to fix these and no others
    listing = "\n".join(f"- {f.rule} at {f.path}:{f.line}: {f.message}\n  code: {f.evidence.strip()}" for f in wanted)
    start = context.workspace.tree()
    try:
        result = context.model.run_tool_loop(
            context,
            instructions=FIX_INSTRUCTIONS + listing,
            tools=delegator.tools_at(0),
            execute=delegator.execute_at(0),
            max_turns=calls + 1,
        )
    except (ProviderError, FixAborted) as exc:
        # Never a silent partial edit: whatever the fixer (or a sub-agent) wrote before it stopped goes.
        context.workspace.write_tree(start)
        context.fix_failed(str(exc))
        context.note(f"model fix abandoned, its edits undone: {exc}")
        return False
    context.note(f"model fix: {result.tool_calls} tool call(s) in {result.turns} turn(s)")
    return True


def _delegator(context: ReviewContext, calls: int) -> Delegator:
    """The fixer's tools: the editor bound to its workspace (and the test gate), and delegation."""
    from reviewkit.editor_tool import editor_for  # workspaces and the test gate only when fixing

    editor = editor_for(
        context.workspace,
        test_command=context.config.test_command,
        test_timeout_s=context.config.test_timeout_s,
        max_calls=calls,
        untrusted=context.untrusted,
        test_network=context.config.test_network,
        repo=context.repo,
    )
    return Delegator(context, tools=editor.tools(), execute=editor.call, max_turns=calls + 1)
