"""reviewkit: a pluggable, automated code-review pipeline.

The names a plugin author needs are importable from here; everything else is internal.
"""

from __future__ import annotations

from reviewkit.errors import (
    ConfigError,
    InputError,
    PluginError,
    ProviderError,
    ReviewkitError,
    Skip,
)
from reviewkit.findings import EvidenceRun, Finding, Severity, Side
from reviewkit.hookspecs import hookimpl
from reviewkit.reporters import Reporter
from reviewkit.reviewer import ReviewContext, Reviewer
from reviewkit.verdict import Status, Usage, Verdict

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "EvidenceRun",
    "Finding",
    "InputError",
    "PluginError",
    "ProviderError",
    "Reporter",
    "ReviewContext",
    "Reviewer",
    "ReviewkitError",
    "Severity",
    "Side",
    "Skip",
    "Status",
    "Usage",
    "Verdict",
    "__version__",
    "hookimpl",
]
