"""A generic tool-use loop for model-backed fixers: the model asks for tool calls, ``execute`` runs
them (e.g. the text-editor tool bound to a workspace), the results go back, until the model ends its
turn or the turn and token budgets run out.

Tool results are file contents from a workspace: secrets in them are redacted before they are sent.
A tool that raises is reported back to the model as an error result; it does not end the loop, unless
it raises FixAborted (a delegation past its depth or budget, reviewkit.delegation), which ends the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reviewkit.errors import FixAborted, ProviderError
from reviewkit.provider.output import ToolLoopResult
from reviewkit.provider.safety import redact, sanitize_posted
from reviewkit.provider.transport import Transport
from reviewkit.reviewer import ReviewContext

# A tool result longer than this is cut: one huge file view must not eat the reviewer's budget.
_MAX_RESULT_CHARS = 60_000
_ALLOW = frozenset({"end_turn", "stop_sequence", "tool_use"})


class ToolLoop:
    def __init__(self, *, transport: Transport, env_values: Sequence[str], repo_url: str | None) -> None:
        self.transport = transport
        self.env_values = env_values
        self.repo_url = repo_url

    def run(
        self,
        context: ReviewContext,
        *,
        model: str,
        system: list[dict[str, Any]],
        first: str,
        tools: Sequence[dict[str, Any]],
        execute: Callable[[str, dict[str, Any]], str],
        max_turns: int,
        max_tokens: int,
    ) -> ToolLoopResult:
        messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": first}]}]
        calls = 0
        for turn in range(1, max_turns + 1):
            params = {
                "model": model,
                "max_tokens": max_tokens,
                "system": system,
                "tools": list(tools),
                "messages": _with_breakpoint(messages),
            }
            message = self.transport.create(context, params, allow=_ALLOW)
            if message.stop_reason != "tool_use":
                return ToolLoopResult(text=self._final_text(message), turns=turn, tool_calls=calls)
            uses = [block for block in message.content if block.type == "tool_use"]
            if not uses:
                raise ProviderError("the model stopped for tool_use but asked for no tool")
            messages.append({"role": "assistant", "content": [block_param(block) for block in message.content]})
            messages.append({"role": "user", "content": [self._result(block, execute) for block in uses]})
            calls += len(uses)
        raise ProviderError(f"the tool loop did not finish within {max_turns} turns ({calls} tool calls)")

    def _result(self, block: Any, execute: Callable[[str, dict[str, Any]], str]) -> dict[str, Any]:
        try:
            output, is_error = execute(block.name, dict(block.input or {})), False
        except FixAborted:  # past the delegation depth or budget: the whole fix ends, not just this call
            raise
        except Exception as exc:  # the model sees the failure and can try another way
            output, is_error = f"error: {type(exc).__name__}: {exc}", True
        text = redact(str(output), self.env_values)
        if len(text) > _MAX_RESULT_CHARS:
            text = text[:_MAX_RESULT_CHARS] + f"\n[... cut: {len(text) - _MAX_RESULT_CHARS} more characters]"
        return {"type": "tool_result", "tool_use_id": block.id, "content": text, "is_error": is_error}

    def _final_text(self, message: Any) -> str:
        text = "".join(block.text for block in message.content if block.type == "text")
        return sanitize_posted(text, repo_url=self.repo_url, env_values=self.env_values)


def block_param(block: Any) -> dict[str, Any]:
    """An assistant's content block as it goes back to the API in the next request."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    data: dict[str, Any] = block.model_dump(exclude_none=True)
    return data


def _with_breakpoint(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation with one cache breakpoint on its newest block, so each turn reads the previous
    turns from the cache (the API allows four breakpoints; the system prefix holds one)."""
    out = [dict(message, content=list(message["content"])) for message in messages]
    last = out[-1]["content"]
    last[-1] = {**last[-1], "cache_control": {"type": "ephemeral"}}
    return out
