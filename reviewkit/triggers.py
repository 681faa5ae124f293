"""Triggers and the router: which reviewers fire on a change, and why.

``always`` fires every run; ``path:<pattern>`` when a changed path (either side of a rename) matches
gitignore-style patterns; ``label:<name>`` when the pull request carries the label. In a list, the
path patterns form one gitignore spec (so ``path:!docs/**`` excludes what an earlier pattern included)
and the list fires when any of its triggers does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pathspec

KINDS = ("always", "path", "label")


@dataclass(frozen=True, slots=True, kw_only=True)
class Firing:
    """Why a reviewer fired (or not): the trigger that fired and the paths it matched."""

    fired: bool
    trigger: str | None
    matched_paths: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class TriggerSet:
    """A parsed trigger or list of triggers."""

    specs: tuple[str, ...]
    always: bool
    labels: tuple[str, ...]
    patterns: tuple[str, ...]

    def __str__(self) -> str:
        return self.specs[0] if len(self.specs) == 1 else ", ".join(self.specs)

    def evaluate(self, paths: Sequence[tuple[str, ...]], labels: Iterable[str]) -> Firing:
        """Fire against the change's files (each as its paths, new first) and the PR's labels."""
        if self.always:
            return Firing(fired=True, trigger="always", matched_paths=(), reason="fires on every change")
        present = set(labels)
        for label in self.labels:
            if label in present:
                return Firing(fired=True, trigger=f"label:{label}", matched_paths=(), reason=f"label {label!r} is set")
        matched = self._matching(paths) if self.patterns else ()
        if matched:
            spec = "path:" + ",".join(self.patterns) if len(self.patterns) > 1 else f"path:{self.patterns[0]}"
            return Firing(fired=True, trigger=spec, matched_paths=matched, reason=f"{len(matched)} path(s) match")
        return Firing(fired=False, trigger=None, matched_paths=(), reason=self._why_not(paths, present))

    def _matching(self, paths: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
        spec = _compile(self.patterns)
        return tuple(candidates[0] for candidates in paths if any(spec.match_file(path) for path in candidates))

    def _why_not(self, paths: Sequence[tuple[str, ...]], labels: set[str]) -> str:
        reasons = []
        if self.labels:
            wanted = ", ".join(self.labels)
            have = ", ".join(sorted(labels)) or "none"
            reasons.append(f"label {wanted} not set (labels: {have})")
        if self.patterns:
            reasons.append(f"no changed path matches {', '.join(self.patterns)} ({len(paths)} path(s) changed)")
        return "; ".join(reasons) or "no trigger"


def _compile(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return _SPEC_CACHE.get(patterns) or _SPEC_CACHE.setdefault(patterns, pathspec.GitIgnoreSpec.from_lines(patterns))


_SPEC_CACHE: dict[tuple[str, ...], pathspec.GitIgnoreSpec] = {}


def parse_triggers(spec: str | Sequence[str]) -> TriggerSet:
    """Parse ``"always"``, ``"path:src/**"``, ``"label:security"`` or a list of them.

    :raises ValueError: naming the bad trigger and the kinds that exist.
    """
    items = [spec] if isinstance(spec, str) else list(spec)
    if not items:
        raise ValueError("an empty trigger list never fires; use 'always' or remove the trigger")
    always, labels, patterns = False, [], []
    for item in items:
        kind, _, value = item.partition(":")
        kind = kind.strip()
        if kind == "always" and not value:
            always = True
        elif kind == "label" and value.strip():
            labels.append(value.strip())
        elif kind == "path" and value.strip():
            patterns.append(value.strip())
        elif kind in KINDS:
            raise ValueError(f"trigger {item!r} needs a value, e.g. 'path:src/**' or 'label:security'")
        else:
            raise ValueError(f"unknown trigger kind {kind!r} in {item!r}; use always, path:<pattern> or label:<name>")
    if patterns and all(p.startswith("!") for p in patterns):
        raise ValueError(f"path triggers {patterns} only exclude; add a pattern that includes paths")
    return TriggerSet(tuple(items), always, tuple(labels), tuple(patterns))
