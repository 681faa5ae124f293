"""Transport limits of the model provider, read from the environment when a run starts (so a bad
value is a usage error before any reviewer runs, and nothing heavy is imported to check it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reviewkit.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Transport limits. Set from ``REVIEWKIT_MODEL_*`` environment variables (see README)."""

    request_timeout_s: float = 300.0
    max_attempts: int = 5
    backoff_s: float = 1.0
    backoff_cap_s: float = 30.0
    retry_after_cap_s: float = 60.0
    max_output_tokens: int = 8192
    token_budget: int = 2_000_000
    context_window: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        spec: dict[str, tuple[str, type]] = {
            "request_timeout_s": ("REVIEWKIT_MODEL_TIMEOUT", float),
            "max_attempts": ("REVIEWKIT_MODEL_ATTEMPTS", int),
            "backoff_s": ("REVIEWKIT_MODEL_BACKOFF", float),
            "backoff_cap_s": ("REVIEWKIT_MODEL_BACKOFF_CAP", float),
            "retry_after_cap_s": ("REVIEWKIT_MODEL_RETRY_AFTER_CAP", float),
            "max_output_tokens": ("REVIEWKIT_MODEL_MAX_OUTPUT", int),
            "token_budget": ("REVIEWKIT_MODEL_TOKEN_BUDGET", int),
            "context_window": ("REVIEWKIT_MODEL_CONTEXT_WINDOW", int),
        }
        values: dict[str, Any] = {}
        for field_name, (var, kind) in spec.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                value = kind(raw)
            except ValueError:
                value = 0
            if not value > 0:
                raise ConfigError(f"environment variable {var}: {raw!r} is not a positive {kind.__name__}")
            values[field_name] = value
        return cls(**values)
