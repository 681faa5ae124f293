"""reviewkit: a pluggable, automated code-review pipeline.

Everything a reviewer plugin needs is importable from here, and only from here: the built-in reviewers
under ``reviewers/`` use nothing else of reviewkit (a test enforces it), so a third party can write
what they do. Everything else is internal and may change.

- Writing a reviewer: :class:`Reviewer` (subclass it; declare ``options_schema``), :class:`ReviewContext`
  (what ``review()`` receives), :class:`Finding`, :class:`Severity`, :class:`Side`, :class:`Skip`,
  :func:`hookimpl`.
- The change under review: :class:`Change`, :class:`FileChange`, :class:`FileStatus`, :class:`Hunk`,
  :class:`Line`, :class:`AddedLine`; file contents: :class:`Snapshot`.
- Configuration: :class:`Config`, :class:`AgentSpec`, :class:`ReviewerSettings`.
- Models: :class:`ModelAccess` (``context.model``), :func:`fix_with_model`.
- Running a command of the repository (a benchmark) as the test gate runs it: :func:`run_test_gate`.
- Output and results: :class:`Reporter`, :class:`Report`, :class:`Verdict`, :class:`Status`, :class:`Usage`.
- Errors: :class:`ReviewkitError` and its kinds.
"""

from __future__ import annotations

from reviewkit.config import AgentSpec, Config, ReviewerSettings
from reviewkit.diff import AddedLine, Change, FileChange, FileStatus, Hunk, Line
from reviewkit.errors import (
    ConfigError,
    InputError,
    PluginError,
    ProviderError,
    ReviewkitError,
    Skip,
)
from reviewkit.findings import Finding, Severity, Side
from reviewkit.fixes import run_test_gate
from reviewkit.hookspecs import hookimpl
from reviewkit.model_fixer import fix_with_model
from reviewkit.report import Report
from reviewkit.reporter import Reporter
from reviewkit.reviewer import ModelAccess, ReviewContext, Reviewer
from reviewkit.sources import Snapshot
from reviewkit.verdict import Status, Usage, Verdict
from reviewkit.version import __version__

__all__ = [
    "AddedLine",
    "AgentSpec",
    "Change",
    "Config",
    "ConfigError",
    "FileChange",
    "FileStatus",
    "Finding",
    "Hunk",
    "InputError",
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
    "Severity",
    "Side",
    "Skip",
    "Snapshot",
    "Status",
    "Usage",
    "Verdict",
    "__version__",
    "fix_with_model",
    "hookimpl",
    "run_test_gate",
]
