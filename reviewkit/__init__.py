"""reviewkit: a pluggable, automated code-review pipeline.

The names a plugin author needs are importable from here; everything else is internal. They are
loaded on first use (PEP 562), so that ``reviewkit --version`` and the command line's start-up do not
pay for the whole plugin API: it runs in pre-commit hooks and on every CI push.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewkit.errors import (
        ConfigError,
        InputError,
        PluginError,
        ProviderError,
        ReviewkitError,
        Skip,
    )
    from reviewkit.findings import Finding, Severity, Side
    from reviewkit.hookspecs import hookimpl
    from reviewkit.reporters import Reporter
    from reviewkit.reviewer import ReviewContext, Reviewer, Rule
    from reviewkit.verdict import Status, Usage, Verdict

__version__ = "0.1.0"

_WHERE = {
    "ConfigError": "reviewkit.errors",
    "InputError": "reviewkit.errors",
    "PluginError": "reviewkit.errors",
    "ProviderError": "reviewkit.errors",
    "ReviewkitError": "reviewkit.errors",
    "Skip": "reviewkit.errors",
    "Finding": "reviewkit.findings",
    "Severity": "reviewkit.findings",
    "Side": "reviewkit.findings",
    "hookimpl": "reviewkit.hookspecs",
    "Reporter": "reviewkit.reporters",
    "ReviewContext": "reviewkit.reviewer",
    "Reviewer": "reviewkit.reviewer",
    "Rule": "reviewkit.reviewer",
    "Status": "reviewkit.verdict",
    "Usage": "reviewkit.verdict",
    "Verdict": "reviewkit.verdict",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'reviewkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "ConfigError",
    "Finding",
    "InputError",
    "PluginError",
    "ProviderError",
    "Reporter",
    "ReviewContext",
    "Reviewer",
    "ReviewkitError",
    "Rule",
    "Severity",
    "Side",
    "Skip",
    "Status",
    "Usage",
    "Verdict",
    "__version__",
    "hookimpl",
]
