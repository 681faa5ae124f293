"""The model provider: the only part of reviewkit that talks to a model (Anthropic's Messages API).

``model_access(config)`` gives the object reviewers see as ``context.model``. Importing this package
is cheap: the anthropic SDK is imported on the first model call, so ``reviewkit --version`` and
offline runs never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reviewkit.config import Config
from reviewkit.errors import ProviderError
from reviewkit.provider.access import AnthropicAccess
from reviewkit.provider.output import ToolLoopResult
from reviewkit.provider.settings import Settings
from reviewkit.reviewer import ReviewContext

__all__ = ["AnthropicAccess", "ProviderError", "Settings", "ToolLoopResult", "model_access", "run_tool_loop"]


def model_access(config: Config, *, settings: Settings | None = None) -> AnthropicAccess:
    """Model access for one run. Credentials and the API address come from the environment only
    (``ANTHROPIC_API_KEY`` or ``ANTHROPIC_AUTH_TOKEN``, ``ANTHROPIC_BASE_URL``); limits from
    ``REVIEWKIT_MODEL_*`` (a bad value raises ConfigError here, before any reviewer runs)."""
    return AnthropicAccess(config, settings=settings)


def run_tool_loop(
    context: ReviewContext,
    *,
    instructions: str,
    tools: Sequence[dict[str, Any]],
    execute: Callable[[str, dict[str, Any]], str],
    max_turns: int = 20,
    max_tokens: int = 4096,
    model: str | None = None,
) -> ToolLoopResult:
    """Let the model work with ``tools`` until it ends its turn: each tool call it makes is run by
    ``execute(name, input) -> str`` and the result sent back. The shared prompt prefix (rules, goal,
    diff) comes first and ``instructions`` (fenced as untrusted) after it.

    Raises ProviderError without a model, when ``max_turns`` pass, when the token budget or the
    reviewer's deadline runs out, or on a refusal or truncated answer.
    """
    if context.model is None:
        raise ProviderError("a tool loop needs a model: set ANTHROPIC_API_KEY and drop --offline")
    result: ToolLoopResult = context.model.run_tool_loop(
        context,
        instructions=instructions,
        tools=tools,
        execute=execute,
        max_turns=max_turns,
        max_tokens=max_tokens,
        model=model,
    )
    return result
