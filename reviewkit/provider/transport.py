"""Calls to the Messages API: the SDK client, reviewkit's own retry policy, deadlines, budgets and
usage. The one place that imports anthropic (callers import this module lazily).

The SDK's retries are off (``max_retries=0``): it would sleep as long as ``retry-after`` says and
multiply with ours. Ours back off exponentially with jitter up to a cap, honour ``retry-after`` up to
a cap (and give up at once when the server asks for longer), and never sleep past a deadline.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import anthropic
import httpx2

from reviewkit.errors import ProviderError
from reviewkit.provider.pricing import cost_usd
from reviewkit.provider.settings import Settings
from reviewkit.reviewer import ReviewContext
from reviewkit.verdict import Usage

_RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
_RETRY_ERROR_TYPES = frozenset({"overloaded_error", "rate_limit_error", "api_error", "timeout_error"})
_STOP_ERRORS = {
    "max_tokens": "the model's answer was cut off at max_tokens ({max_tokens}); raise "
    "REVIEWKIT_MODEL_MAX_OUTPUT or narrow the reviewer's trigger",
    "refusal": "the model refused to answer (stop_reason refusal)",
    "model_context_window_exceeded": "the prompt exceeded the model's context window",
    "pause_turn": "the model paused its turn (server tools are not used by reviewkit)",
}


def make_client(timeout_s: float) -> anthropic.Anthropic:
    """A client with credentials and base URL from the environment only (never from the repository).

    ``ANTHROPIC_API_KEY`` goes out as ``x-api-key``, the header the API documents for keys and the one
    gateways in front of it expect (this SDK would send it as a Bearer token);
    ``ANTHROPIC_AUTH_TOKEN`` goes out as ``Authorization: Bearer``.
    """
    api_key = os.environ.get("ANTHROPIC_API_KEY") or None
    token = None if api_key else (os.environ.get("ANTHROPIC_AUTH_TOKEN") or None)
    if api_key is None and token is None:
        raise ProviderError("no credentials: set ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN")
    headers: dict[str, Any] = {"x-api-key": api_key, "Authorization": anthropic.Omit()} if api_key else {}
    return anthropic.Anthropic(
        api_key=api_key,
        auth_token=token,
        base_url=os.environ.get("ANTHROPIC_BASE_URL") or None,
        default_headers=headers,
        max_retries=0,
        timeout=httpx2.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
    )


class _Interrupted(Exception):
    """A response that stopped before it was complete; retried like a dropped connection."""


class Transport:
    """Sends one request at a time per caller; shared by all reviewers of a run (thread-safe)."""

    def __init__(self, settings: Settings, client: anthropic.Anthropic | None = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings.request_timeout_s)

    def count_tokens(self, context: ReviewContext, params: dict[str, Any]) -> int:
        keep = ("model", "system", "messages", "tools", "output_config")
        body = {key: value for key, value in params.items() if key in keep}
        result = self._retrying(context, lambda timeout: self.client.messages.count_tokens(**body, timeout=timeout))
        return int(result.input_tokens)

    def create(
        self,
        context: ReviewContext,
        params: dict[str, Any],
        *,
        on_start: Callable[[], None] | None = None,
        allow: frozenset[str] = frozenset({"end_turn", "stop_sequence"}),
        input_estimate: int = 0,
    ) -> Any:
        """One Messages call, streamed so that ``on_start`` fires when the response begins (the moment
        its prompt prefix is in the cache for others). Usage is recorded before the stop reason is
        judged: a refused or truncated answer is billed too."""
        self._check_budget(context, int(params["max_tokens"]) + input_estimate)

        def attempt(timeout: float) -> Any:
            stop_at = time.monotonic() + timeout
            with self.client.messages.stream(**params, timeout=timeout) as stream:
                for _event in stream:
                    if on_start is not None:
                        on_start()
                    if time.monotonic() > stop_at:  # a server that trickles pings forever
                        raise ProviderError(f"the response did not finish within {timeout:.0f}s")
                message = stream.get_final_message()
            if message.stop_reason is None:  # the stream ended before message_delta: a cut connection
                self._record(context, params["model"], message)  # what was started is billed
                raise _Interrupted("the response stream ended early")
            return message

        message = self._retrying(context, attempt)
        self._record(context, params["model"], message)
        stop = message.stop_reason
        if stop not in allow:
            template = _STOP_ERRORS.get(stop or "", "the model stopped for an unexpected reason: {stop}")
            raise ProviderError(template.format(max_tokens=params.get("max_tokens"), stop=stop))
        return message

    # --- retries ---------------------------------------------------------------------------------

    def _retrying(self, context: ReviewContext, call: Callable[[float], Any]) -> Any:
        last = ""
        for attempt in range(self.settings.max_attempts):
            remaining = context.remaining_s()
            if remaining <= 0.05:
                raise ProviderError(f"the reviewer's deadline passed before the model answered{last}")
            try:
                return call(min(self.settings.request_timeout_s, remaining))
            except anthropic.APIStatusError as exc:
                wait = self._status_wait(exc, attempt)
                last = f" (last: {_describe(exc)})"
            except (anthropic.APIConnectionError, httpx2.TransportError, _Interrupted) as exc:
                # Mid-stream faults reach us as httpx2's own errors: the SDK wraps only the request.
                wait = self._backoff(attempt)
                timed_out = isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException)
                last = f" (last: {'timed out' if timed_out else 'connection failed'})"
            except (ValueError, RuntimeError, KeyError, TypeError, AssertionError, httpx2.HTTPError) as exc:
                raise ProviderError(f"malformed response from the Messages API: {type(exc).__name__}") from exc
            if attempt + 1 >= self.settings.max_attempts:
                break
            if wait >= context.remaining_s():
                raise ProviderError(f"retrying in {wait:.1f}s would pass the reviewer's deadline{last}")
            time.sleep(wait)
        raise ProviderError(f"the Messages API failed {self.settings.max_attempts} times{last}")

    def _status_wait(self, exc: anthropic.APIStatusError, attempt: int) -> float:
        if not _retryable(exc):
            raise ProviderError(_describe(exc)) from exc
        asked = _retry_after(exc.response.headers)
        if asked is None:
            return self._backoff(attempt)
        if asked > self.settings.retry_after_cap_s:
            raise ProviderError(
                f"{_describe(exc)}: the API asked to retry after {asked:.0f}s, over the "
                f"{self.settings.retry_after_cap_s:.0f}s cap (REVIEWKIT_MODEL_RETRY_AFTER_CAP)"
            ) from exc
        return asked

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_cap_s, self.settings.backoff_s * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter: parallel reviewers do not retry in step

    # --- budget and usage --------------------------------------------------------------------------

    def _check_budget(self, context: ReviewContext, needed: int) -> None:
        budget = int(context.options.get("token_budget", self.settings.token_budget))
        used = _tokens(context.usage)
        if used + needed > budget:
            raise ProviderError(
                f"token budget exceeded: {used} tokens used, the next call may take {needed}, the budget is "
                f"{budget} (options.token_budget or REVIEWKIT_MODEL_TOKEN_BUDGET)"
            )

    def _record(self, context: ReviewContext, model: str, message: Any) -> None:
        usage = message.usage
        cache_read = usage.cache_read_input_tokens or 0
        cache_write = usage.cache_creation_input_tokens or 0
        context.add_usage(
            Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_input_tokens=cache_read,
                cache_creation_input_tokens=cache_write,
                cost_usd=cost_usd(
                    model,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cache_read=cache_read,
                    cache_write=cache_write,
                ),
            )
        )


def _tokens(usage: Usage) -> int:
    return usage.input_tokens + usage.output_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens


def _retryable(exc: anthropic.APIStatusError) -> bool:
    if exc.status_code in _RETRY_STATUS:
        return True
    # An error event inside a 200 stream carries its type in the body.
    return exc.status_code == 200 and _error_type(exc) in _RETRY_ERROR_TYPES


def _error_type(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("type", ""))
    return ""


def _describe(exc: anthropic.APIStatusError) -> str:
    kind = _error_type(exc) or "error"
    hint = " (check ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN)" if exc.status_code in (401, 403) else ""
    return f"Messages API HTTP {exc.status_code} {kind}{hint}"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``retry-after`` as seconds or a date."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return max(float(raw) * scale, 0.0)
        except ValueError:
            pass
        try:
            return max(email.utils.parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            continue
    return None
