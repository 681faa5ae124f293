"""One error hierarchy; the command line maps it to exit codes in one place (reviewkit.cli)."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The process's exit codes (the policy's table in DESIGN.md; also importable from reviewkit.policy)."""

    OK = 0
    BLOCKED = 1
    USAGE = 2
    NOTIFY_MANAGEMENT = 3
    INTERRUPTED = 130


class ReviewkitError(Exception):
    """Base of every error reviewkit reports to a user as one line on stderr."""


class ConfigError(ReviewkitError):
    """The configuration or a prompt file it names is wrong: the message names the file and the key."""


class InputError(ReviewkitError):
    """The diff, a revision, a goal file or a verdict file given to reviewkit cannot be used."""


class PluginError(ReviewkitError):
    """A plugin failed to load or register; the message names the plugin."""

    def __init__(self, plugin_name: str, message: str) -> None:
        super().__init__(f"plugin {plugin_name!r}: {message}")
        self.plugin_name = plugin_name


class ProviderError(ReviewkitError):
    """The model provider could not give a usable answer (refusal, budget, transport)."""


class FixAborted(ReviewkitError):
    """A model fixer went past its delegation depth or token budget: the whole fix is abandoned (its
    edits undone), however deep in its tree of sub-agents it happened."""


class ReviewerTimeout(ReviewkitError):
    """A reviewer ran past its deadline."""


class Skip(Exception):
    """Raised by a reviewer to say it has nothing to do here, with the reason shown in the report.

    Example: ``raise Skip("needs a model: set ANTHROPIC_API_KEY or drop --offline")``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
