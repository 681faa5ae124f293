"""Bounded fixers: a model fixer may hand part of its work to a sub-agent, only so deep and within budget.

While ``[delegation] max_depth`` allows one more level, the fixer's tools include ``delegate``: the
sub-agent it starts works in the same workspace with the same tools (and ``delegate`` itself while the
depth allows). Every sub-agent spends from the reviewer's token budget (``token_budget``), so the
whole tree of agents fits the budget the fixer alone had; each delegation is listed in the verdict's
usage with what it spent (its own sub-agents included).

A call of ``delegate`` past ``max_depth`` (a model can call a tool it was not offered) or a budget
exhausted anywhere in the tree ends the whole fix with :class:`FixAborted`: nothing the tree wrote is
kept (see :func:`reviewkit.model_fixer.fix_with_model`), and the verdict's fix is an error. A fix is
never a silent partial edit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reviewkit.errors import FixAborted, ProviderError
from reviewkit.reviewer import ReviewContext
from reviewkit.verdict import Delegation, Usage

DELEGATE_TOOL_NAME = "delegate"
DELEGATE_TOOL: dict[str, Any] = {
    "name": DELEGATE_TOOL_NAME,
    "description": "Hand one self-contained part of the fix (say, writing a test for it) to a sub-agent that "
    "works in the same workspace with the same tools; returns its final answer. It spends from your budget.",
    "input_schema": {
        "type": "object",
        "properties": {"task": {"type": "string", "description": "what the sub-agent must do, in full"}},
        "required": ["task"],
        "additionalProperties": False,
    },
}
SUB_AGENT_INSTRUCTIONS = """\
You are a sub-agent of a fixer that is repairing problems a code reviewer found. Do exactly the task
below in your workspace with the tools you have, keep edits minimal, never weaken, skip or delete a
test. When you are done, answer with one line saying what you did.

Task:
"""
_TASK_SHOWN_CHARS = 200

Execute = Callable[[str, Mapping[str, Any]], str]


class Delegator:
    """The fixer's tools and their executor at each depth (0 is the fixer itself)."""

    def __init__(
        self, context: ReviewContext, *, tools: Sequence[dict[str, Any]], execute: Execute, max_turns: int
    ) -> None:
        self.context = context
        self.base_tools = list(tools)
        self.execute = execute
        self.max_turns = max_turns
        self.max_depth = context.config.max_depth

    def tools_at(self, depth: int) -> list[dict[str, Any]]:
        return [*self.base_tools, DELEGATE_TOOL] if depth < self.max_depth else list(self.base_tools)

    def execute_at(self, depth: int) -> Callable[[str, dict[str, Any]], str]:
        def run(name: str, tool_input: dict[str, Any]) -> str:
            if name != DELEGATE_TOOL_NAME:
                return self.execute(name, tool_input)
            if depth >= self.max_depth:
                raise FixAborted(f"a delegation to depth {depth + 1} is past [delegation] max_depth = {self.max_depth}")
            return self._delegate(depth + 1, str(tool_input.get("task", "")).strip())

        return run

    def _delegate(self, depth: int, task: str) -> str:
        if self.context.model is None:  # pragma: no cover - a fixer only runs with a model
            raise FixAborted("a delegation needs a model")
        before = self.context.usage
        try:
            result = self.context.model.run_tool_loop(
                self.context,
                instructions=SUB_AGENT_INSTRUCTIONS + task,
                tools=self.tools_at(depth),
                execute=self.execute_at(depth),
                max_turns=self.max_turns,
            )
        except FixAborted as exc:
            self._record(depth, task, before, f"aborted: {exc}")
            raise
        except ProviderError as exc:
            self._record(depth, task, before, f"failed: {exc}")
            raise FixAborted(f"the sub-agent at depth {depth} failed: {exc}") from exc
        self._record(depth, task, before, f"done in {result.turns} turn(s), {result.tool_calls} tool call(s)")
        return str(result.text or "done")

    def _record(self, depth: int, task: str, before: Usage, outcome: str) -> None:
        spent = self.context.usage - before
        shown = task if len(task) <= _TASK_SHOWN_CHARS else task[:_TASK_SHOWN_CHARS] + "…"
        record = Delegation(
            depth=depth,
            task=shown,
            outcome=outcome,
            input_tokens=spent.input_tokens,
            output_tokens=spent.output_tokens,
            cache_read_input_tokens=spent.cache_read_input_tokens,
            cache_creation_input_tokens=spent.cache_creation_input_tokens,
            cost_usd=spent.cost_usd,
        )
        self.context.add_usage(Usage(delegations=(record,)))  # no tokens of its own: they are counted already
