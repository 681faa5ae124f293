"""The hooks a reviewkit plugin may implement. New parameters may be added; none is renamed or removed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    from reviewkit.config import Config
    from reviewkit.findings import Finding
    from reviewkit.report import Report
    from reviewkit.reporter import Reporter
    from reviewkit.reviewer import ReviewContext, Reviewer

PROJECT = "reviewkit"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_reviewers(register: Callable[[Reviewer], None], config: Config) -> None:
    """Register Reviewer objects by calling ``register(reviewer)`` once for each.

    :param register: the callback; reviewer names must be unique across all plugins.
    :param config: the run's configuration (read it to build reviewers from settings, as the
        markdown reviewers do from ``[[review_agents]]``).
    """


@hookspec
def register_reporters(register: Callable[[Reporter], None]) -> None:
    """Register output formats by calling ``register(reporter)``; ``--format NAME`` selects one.

    :param register: the callback; reporter names must be unique.
    """


@hookspec
def modify_findings(context: ReviewContext, findings: list[Finding]) -> None:
    """Filter or change one reviewer's findings in place (suppressions, false-positive rules).

    Called once per reviewer after it finished, before evidence checking and the policy.

    :param context: the reviewer's context (``context.reviewer`` names it).
    :param findings: the list to modify in place.
    """


@hookspec
def review_finished(context: Any, report: Report) -> None:
    """Observe a finished run (metrics, notifications). Exceptions here are reported, never fatal.

    :param context: the run (``RunContext``): change, configuration, labels, goal.
    :param report: the final report.
    """
