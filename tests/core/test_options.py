"""Reviewer options are declared (``Reviewer.options_schema``) and checked by the core before any review:
a bad value is one configuration error naming the file, the line and the key; declared defaults reach
``context.options``; keys a reviewer did not declare are refused."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pytest
from conftest import GitRepo, review_with

from reviewkit import ConfigError, Finding, PluginError, ReviewContext, Reviewer


class Counting(Reviewer):
    """Reports the options it was given as one finding, so a test sees exactly what reached it."""

    name = "counting"
    options_schema: ClassVar[Mapping[str, Any] | None] = {
        "properties": {
            "max_lines": {"type": "integer", "minimum": 1, "default": 8},
            "mode": {"enum": ["fast", "thorough"], "default": "fast"},
            "paths": {"type": "array", "items": {"type": "string"}},
        }
    }

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        line = next(context.change.added_lines())
        message = ", ".join(f"{key}={value}" for key, value in sorted(context.options.items()))
        return [
            Finding(
                rule=f"{self.name}/options",
                severity="info",
                path=line.path,
                line=line.number,
                message=message,
                evidence=line.text,
            )
        ]


class Plain(Counting):
    name = "plain"
    options_schema = None


@pytest.fixture
def change(feature_repo: GitRepo) -> GitRepo:
    feature_repo.commit("code", **{"app.py": "x = 1\n"})
    return feature_repo


def options_seen(report: Any) -> str:
    return report.verdicts[0].findings[0].message


def test_declared_defaults_reach_the_reviewer(change: GitRepo) -> None:
    assert options_seen(review_with([Counting()], change)) == "max_lines=8, mode=fast"


def test_configured_values_replace_the_defaults(change: GitRepo) -> None:
    change.config('[reviewer.counting.options]\nmax_lines = 20\npaths = ["src/**"]\n')
    assert options_seen(review_with([Counting()], change)) == "max_lines=20, mode=fast, paths=['src/**']"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "max_lines = 0",
            ":4: key 'reviewer.counting.options.max_lines': 0 is less than the minimum of 1",
        ),
        (
            'mode = "slow"',
            ":4: key 'reviewer.counting.options.mode': 'slow' is not one of ['fast', 'thorough']",
        ),
        (
            'paths = "src"',
            ":4: key 'reviewer.counting.options.paths': 'src' is not of type 'array'",
        ),
        (
            "max_line = 3",
            ":4: key 'reviewer.counting.options.max_line': unknown key (did you mean 'max_lines'?) (allowed: fix, "
            "fix_max_calls, max_lines, mode, paths, token_budget)",
        ),
    ],
)
def test_a_bad_option_is_one_line_naming_file_line_and_key(change: GitRepo, toml: str, expected: str) -> None:
    # Another reviewer's table first: the line must be found under the right [reviewer.NAME.options].
    change.config(f"[reviewer.other.options]\nmax_lines = 1\n[reviewer.counting.options]\n{toml}\n")
    with pytest.raises(ConfigError) as caught:
        review_with([Counting()], change)
    assert str(caught.value) == f"{change.root / '.agents/config.toml'}{expected}"


def test_a_reviewer_that_declares_nothing_takes_only_the_core_options(change: GitRepo) -> None:
    change.config("[reviewer.plain.options]\ntoken_budget = 5000\nfix = false\n")
    assert options_seen(review_with([Plain()], change)) == "fix=False, token_budget=5000"
    change.config("[reviewer.plain.options]\nthreshold = 3\n")
    with pytest.raises(ConfigError, match=r"key 'reviewer.plain.options.threshold': unknown key \(allowed: fix, "):
        review_with([Plain()], change)


def test_core_options_are_checked_for_every_reviewer(change: GitRepo) -> None:
    change.config('[reviewer.plain.options]\ntoken_budget = "lots"\n')
    expected = "key 'reviewer.plain.options.token_budget': 'lots' is not of type"
    with pytest.raises(ConfigError, match=re.escape(expected)):
        review_with([Plain()], change)


def test_an_invalid_options_schema_is_the_plugins_error(change: GitRepo) -> None:
    class Broken(Plain):
        name = "broken"
        options_schema = {"properties": {"n": {"type": "number-ish"}}}

    with pytest.raises(PluginError, match="reviewer 'broken': options_schema is not a valid JSON schema"):
        review_with([Broken()], change)
