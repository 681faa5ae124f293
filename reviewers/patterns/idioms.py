"""idioms: the project's own style, as its own linter configuration states it, on the lines a change adds.

ruff runs with the repository's configuration (``ruff.toml``, ``.ruff.toml`` or ``[tool.ruff]`` in
``pyproject.toml`` at the root; read from the base revision when the change is untrusted, so a change
cannot switch off the rules it is checked by). Without one, a small conservative rule set runs: rules
that find mistakes rather than taste. Only diagnostics on added lines are reported; ruff's own *safe*
fixes for them become a patch (the test gate decides, like any fix). With a model, a second pass looks
for departures from the patterns the surrounding code follows. Never blocks.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable

from reviewkit import Finding, ReviewContext, Reviewer, Severity, Side, hookimpl

from . import ruff
from .source import PySource, python_sources, unified_patch

# Without a configuration: unused imports and variables, redefinitions, comparisons to None/True with
# ==, `not x in y`, bare except, mutable default arguments, f-strings without placeholders,
# `key in d.keys()`, and `assert` on a tuple (always true).
CONSERVATIVE_RULES = (
    "F401",
    "F541",
    "F811",
    "F841",
    "E711",
    "E712",
    "E713",
    "E714",
    "E721",
    "E722",
    "B006",
    "F631",
    "SIM118",
)
MODEL_INSTRUCTIONS = """\
You are the idioms reviewer. A linter already checked the added lines. Look only for added code that
departs from a pattern the surrounding unchanged code of the same repository clearly follows (how errors
are raised, logging, naming, helpers that already exist for the job). Quote the added line; name the
existing pattern with its path. Style taste without such a precedent is not a finding. Severity: low.
Rule ids: idioms/<kebab-case-name>.
"""


class Idioms(Reviewer):
    name = "idioms"
    description = "The project's own style on added lines: its ruff configuration (or a conservative rule set)."
    blocking = False
    trigger = "always"
    options_schema = {
        "properties": {
            "select": {"type": "array", "items": {"type": "string"}, "description": "rules instead of the config's"},
            "ignore": {"type": "array", "items": {"type": "string"}, "default": []},
            "safe_fixes": {"type": "boolean", "default": True, "description": "propose ruff's safe fixes"},
            "model_review": {"type": "boolean", "default": True},
        }
    }

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        sources = {s.path: s for s in python_sources(context)}
        config = repository_config(context)
        select = context.options.get("select") or (() if config else CONSERVATIVE_RULES)
        diagnostics = ruff.check(
            {path: s.text for path, s in sources.items()},
            select=select,
            config=config,
            ignore=context.options["ignore"],
            honour_noqa=not context.untrusted,
        )
        on_added = _the_projects_rules(context, diagnostics, sources)
        findings = [_finding(d, sources[d.path]) for d in on_added]
        if context.options["safe_fixes"]:
            _propose_fixes(context, on_added, findings, sources)
        if context.model is not None and context.options["model_review"]:
            findings += _model_findings(context, sources)
        return findings

    def blocks(self, finding: Finding) -> bool:
        """Style never blocks a merge, whatever the configuration says."""
        return False


def repository_config(context: ReviewContext) -> tuple[str, str] | None:
    """The repository's ruff configuration at the root, as ``(file name, text)``."""
    side = Side.BASE if context.untrusted else Side.HEAD
    for name in ruff.CONFIG_FILES:
        text = context.read(name, side)
        if text is None:
            continue
        if name != "pyproject.toml":
            return name, text
        try:
            if "ruff" in tomllib.loads(text).get("tool", {}):
                return name, text
        except tomllib.TOMLDecodeError:
            context.note("pyproject.toml does not parse: ruff ran with the conservative rule set")
    return None


def _the_projects_rules(
    context: ReviewContext, diagnostics: list[ruff.Diagnostic], sources: dict[str, PySource]
) -> list[ruff.Diagnostic]:
    """Diagnostics on added lines, less rules that unchanged code of the reviewed files breaks too: a rule
    the project does not follow (or a newer ruff's rule its configuration lets in) is not its style."""
    ignored = {d.code for d in diagnostics if d.line not in sources[d.path].added}
    kept = [d for d in diagnostics if d.line in sources[d.path].added and d.code not in ignored]
    dropped = sorted(ignored)
    if len(kept) < sum(d.line in sources[d.path].added for d in diagnostics):
        context.note(f"not reported: rules the unchanged code of the same file breaks too ({', '.join(dropped[:8])})")
    return kept


def _finding(diagnostic: ruff.Diagnostic, source: PySource) -> Finding:
    return Finding(
        rule=f"idioms/{diagnostic.code}",
        severity=Severity.LOW,
        path=diagnostic.path,
        line=diagnostic.line,
        message=f"{diagnostic.message} (ruff {diagnostic.code})",
        evidence=source.line(diagnostic.line),
    )


def _propose_fixes(
    context: ReviewContext, diagnostics: list[ruff.Diagnostic], findings: list[Finding], sources: dict[str, PySource]
) -> None:
    """One patch of ruff's safe fixes whose edits stay on added lines."""
    patch, fixed = [], []
    for path, source in sorted(sources.items()):
        chosen = [
            (d, f)
            for d, f in zip(diagnostics, findings, strict=True)
            if d.path == path and d.safe_fix and all(_within_added(e, source) for e in d.safe_fix)
        ]
        new = ruff.apply_edits(source.text, [e for d, _ in chosen for e in d.safe_fix]) if chosen else None
        if new is not None and new != source.text and "\ufffd" not in source.text:
            patch.append(unified_patch(path, source.text, new))
            fixed.extend(f for _, f in chosen)
    if patch:
        context.propose_fix("".join(patch), fixes=fixed)


def _within_added(edit: ruff.Edit, source: PySource) -> bool:
    rows = range(edit.start[0], edit.end[0] + (0 if edit.end[1] == 1 and edit.end[0] > edit.start[0] else 1))
    return all(row in source.added for row in rows)


def _model_findings(context: ReviewContext, sources: dict[str, PySource]) -> list[Finding]:
    from reviewkit import ProviderError

    try:
        found = context.model.review_with_prompt(context, instructions=MODEL_INSTRUCTIONS) if context.model else []
    except ProviderError as exc:
        context.note(f"model pass not completed ({exc}); linter findings stand")
        return []
    return [f for f in found if f.path in sources and f.line in sources[f.path].added]


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(Idioms())
