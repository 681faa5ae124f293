"""The router: which reviewers a run considers, with their effective settings, and which of them fire.

Triggers themselves are parsed and evaluated in reviewkit.triggers; this stage applies them to the
registered reviewers, the configuration and the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reviewkit.config import Config
from reviewkit.diff import Change
from reviewkit.errors import ConfigError, InputError
from reviewkit.hints import did_you_mean
from reviewkit.plugins import RegisteredReviewer
from reviewkit.triggers import Firing, TriggerSet, parse_triggers


@dataclass(frozen=True, slots=True, kw_only=True)
class Selected:
    """A reviewer chosen for this run, with its effective settings and whether it fired."""

    registered: RegisteredReviewer
    name: str
    blocking: bool
    triggers: TriggerSet
    firing: Firing


def select_reviewers(
    config: Config,
    registered: Mapping[str, RegisteredReviewer],
    change: Change,
    *,
    labels: Sequence[str] = (),
    only: Sequence[str] = (),
) -> list[Selected]:
    """The reviewers a run considers, in a stable order, each with its trigger evaluated.

    :param only: ``--reviewer`` names; otherwise built-ins named in ``code_review.reviewers``, then
        ``[[review_agents]]``, then every third-party reviewer.
    """
    names = list(only) or _configured_names(config, registered)
    unknown = [name for name in names if name not in registered]
    if unknown:
        known = ", ".join(sorted(registered)) or "none"
        hint = did_you_mean(unknown[0], registered)
        if only:
            raise InputError(f"--reviewer {unknown[0]}: unknown reviewer{hint}; registered: {known}")
        raise ConfigError(
            f"{config.where('code_review', 'reviewers')}: unknown reviewer {unknown[0]!r}{hint}; registered: {known}"
        )
    paths = [f.paths for f in change.files]
    selected = []
    for name in names:
        entry = registered[name]
        settings = config.settings_for(name)
        triggers = settings.trigger or parse_triggers(entry.reviewer.trigger)
        blocking = settings.blocking if settings.blocking is not None else entry.reviewer.blocking
        firing = triggers.evaluate(paths, labels)
        selected.append(Selected(registered=entry, name=name, blocking=blocking, triggers=triggers, firing=firing))
    return selected


def _configured_names(config: Config, registered: Mapping[str, RegisteredReviewer]) -> list[str]:
    agents = [agent.name for agent in config.review_agents]
    third_party = [name for name, entry in registered.items() if not entry.builtin]
    return list(dict.fromkeys([*config.reviewers, *agents, *third_party]))


def explain(selected: Sequence[Selected]) -> dict[str, Any]:
    """``reviewkit explain``: which reviewers fire, by which trigger, on which paths."""
    details = [
        {
            "reviewer": s.name,
            "fired": s.firing.fired,
            "trigger": s.firing.trigger if s.firing.fired else str(s.triggers),
            "matched_paths": list(s.firing.matched_paths),
            "reason": s.firing.reason,
        }
        for s in selected
    ]
    fired = [s.name for s in selected if s.firing.fired]
    return {"outcome": "request-reviews" if fired else "no-reviews", "reviewers": fired, "details": details}
