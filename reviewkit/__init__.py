"""reviewkit: a pluggable, automated code-review pipeline.

Everything a reviewer plugin needs is importable from here, and only from here: the built-in reviewers
under ``reviewers/`` use nothing else of reviewkit (a test enforces it), so a third party can write
what they do. Everything else is internal and may change.

- Writing a reviewer: :class:`Reviewer` (subclass it; declare ``options_schema`` and ``rules``),
  :class:`ReviewContext` (what ``review()`` receives), :class:`Finding`, :class:`Severity`, :class:`Side`,
  :class:`Skip`, :class:`Rule`, :func:`hookimpl`; :class:`Accepted` and :class:`Learning` (what
  maintainers said of findings).
- The change under review: :class:`Change`, :class:`FileChange`, :class:`FileStatus`, :class:`Hunk`,
  :class:`Line`, :class:`AddedLine`; file contents: :class:`Snapshot`.
- Configuration: :class:`Config`, :class:`AgentSpec`, :class:`ReviewerSettings`.
- Models: :class:`ModelAccess` (``context.model``), :func:`fix_with_model`.
- Running a command of the repository (a benchmark) sandboxed as the test gate runs it: :func:`run_sandboxed`.
- Big changes: :func:`in_halves` (half the work in a forked worker, on a second CPU), :func:`collect_after`
  (a batch of work with the cyclic garbage collector paused).
- Output and results: :class:`Reporter`, :class:`Report`, :class:`Verdict`, :class:`Status`, :class:`Usage`.
- Errors: :class:`ReviewkitError` and its kinds.

The names are loaded on first use (PEP 562), so that ``reviewkit --version`` and the command line's
start-up do not pay for the whole plugin API: it runs in pre-commit hooks and on every CI push.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reviewkit.version import __version__

if TYPE_CHECKING:
    from reviewkit.config import AgentSpec, Config, ReviewerSettings
    from reviewkit.diff import AddedLine, Change, FileChange, FileStatus, Hunk, Line
    from reviewkit.errors import ConfigError, InputError, PluginError, ProviderError, ReviewkitError, Skip
    from reviewkit.findings import Accepted, EvidenceRun, Finding, Learning, Severity, Side
    from reviewkit.hookspecs import hookimpl
    from reviewkit.isolation import collect_after, in_halves
    from reviewkit.model_fixer import fix_with_model
    from reviewkit.report import Report
    from reviewkit.reporter import Reporter
    from reviewkit.reviewer import ModelAccess, ReviewContext, Reviewer, Rule
    from reviewkit.sandbox import run_sandboxed
    from reviewkit.sources import Snapshot
    from reviewkit.verdict import Status, Usage, Verdict

_WHERE = {
    "AgentSpec": "reviewkit.config",
    "Config": "reviewkit.config",
    "ReviewerSettings": "reviewkit.config",
    "AddedLine": "reviewkit.diff",
    "Change": "reviewkit.diff",
    "FileChange": "reviewkit.diff",
    "FileStatus": "reviewkit.diff",
    "Hunk": "reviewkit.diff",
    "Line": "reviewkit.diff",
    "ConfigError": "reviewkit.errors",
    "InputError": "reviewkit.errors",
    "PluginError": "reviewkit.errors",
    "ProviderError": "reviewkit.errors",
    "ReviewkitError": "reviewkit.errors",
    "Skip": "reviewkit.errors",
    "EvidenceRun": "reviewkit.findings",
    "Accepted": "reviewkit.findings",
    "Finding": "reviewkit.findings",
    "Learning": "reviewkit.findings",
    "Severity": "reviewkit.findings",
    "Side": "reviewkit.findings",
    "hookimpl": "reviewkit.hookspecs",
    "in_halves": "reviewkit.isolation",
    "collect_after": "reviewkit.isolation",
    "fix_with_model": "reviewkit.model_fixer",
    "Report": "reviewkit.report",
    "Reporter": "reviewkit.reporter",
    "ModelAccess": "reviewkit.reviewer",
    "ReviewContext": "reviewkit.reviewer",
    "Reviewer": "reviewkit.reviewer",
    "Rule": "reviewkit.reviewer",
    "run_sandboxed": "reviewkit.sandbox",
    "Snapshot": "reviewkit.sources",
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
    "Accepted",
    "AddedLine",
    "AgentSpec",
    "Change",
    "Config",
    "ConfigError",
    "EvidenceRun",
    "FileChange",
    "FileStatus",
    "Finding",
    "Hunk",
    "InputError",
    "Learning",
    "Line",
    "ModelAccess",
    "PluginError",
    "ProviderError",
    "Report",
    "Reporter",
    "ReviewContext",
    "Reviewer",
    "ReviewerSettings",
    "ReviewkitError",
    "Rule",
    "Severity",
    "Side",
    "Skip",
    "Snapshot",
    "Status",
    "Usage",
    "Verdict",
    "__version__",
    "collect_after",
    "fix_with_model",
    "hookimpl",
    "in_halves",
    "run_sandboxed",
]
