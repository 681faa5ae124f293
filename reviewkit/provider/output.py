"""The model's answer, checked before anything is believed: strict JSON, the output schema, then
findings with the reviewer's rule prefix, its scope and sanitized text."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from reviewkit.errors import ProviderError
from reviewkit.findings import Finding
from reviewkit.provider.safety import redact, restore_invisible, sanitize_posted, strip_invisible
from reviewkit.schemas import load_schema, validate

SCHEMA = "model-output"
# Keywords structured outputs do not accept; they stay in the local check.
_LOCAL_ONLY = frozenset(
    {
        "$id",
        "$schema",
        "title",
        "description",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "maxItems",
    }
)
_RULE_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    summary: str
    findings: tuple[Finding, ...]
    dismissals: tuple[tuple[int, str], ...]
    out_of_scope: int


@functools.cache
def request_schema() -> dict[str, Any]:
    """The output schema as sent to the API (``output_config.format``)."""
    schema: dict[str, Any] = _without_local_keywords(copy.deepcopy(load_schema(SCHEMA)))
    return schema


def _without_local_keywords(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_local_keywords(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("properties", "$defs"):  # names of properties, not keywords: keep them all
            out[key] = {name: _without_local_keywords(sub) for name, sub in value.items()}
        elif key not in _LOCAL_ONLY:
            out[key] = _without_local_keywords(value)
    return out


def parse_answer(
    text: str, *, reviewer: str, scope: Collection[str], env_values: Sequence[str], repo_url: str | None
) -> Answer:
    """Parse and check the model's JSON; raise ProviderError when it is not a valid answer."""
    data = _strict_json(text)
    errors = validate(SCHEMA, data)
    if errors:
        raise ProviderError(f"the model's answer does not match the output schema: {errors[0]}")
    findings, outside = [], 0
    for item in data["findings"]:
        if item["path"] not in scope:
            outside += 1
            continue
        findings.append(_finding(item, reviewer, env_values, repo_url))
    dismissals = tuple(
        (item["index"], sanitize_posted(item["reason"], repo_url=repo_url, env_values=env_values))
        for item in data.get("dismissals", [])
    )
    return Answer(
        summary=sanitize_posted(data["summary"], repo_url=repo_url, env_values=env_values),
        findings=tuple(findings),
        dismissals=dismissals,
        out_of_scope=outside,
    )


def _strict_json(text: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        duplicate = next((key for key in keys if keys.count(key) > 1), None)
        if duplicate is not None:
            raise ProviderError(f"the model's answer repeats the key {duplicate!r}")
        return dict(pairs)

    def no_constants(name: str) -> Any:
        raise ProviderError(f"the model's answer contains {name}, which is not JSON")

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ProviderError(f"the model's answer is not JSON ({exc.msg} at char {exc.pos})") from exc


def _finding(item: dict[str, Any], reviewer: str, env_values: Sequence[str], repo_url: str | None) -> Finding:
    line = item["line"]
    end_line = max(item.get("end_line", line), line)
    return Finding(
        rule=rule_id(reviewer, item["rule"]),
        severity=item["severity"],
        path=item["path"],
        line=line,
        end_line=end_line,
        message=sanitize_posted(item["message"], repo_url=repo_url, env_values=env_values) or "(no message)",
        # The quote must match the file, so invisible characters come back; secrets never do.
        evidence=redact(restore_invisible(item["evidence"]), env_values),
        confidence=item.get("confidence"),
    )


def rule_id(reviewer: str, rule: str) -> str:
    """``<reviewer>/<kebab-id>`` whatever prefix or spelling the model used."""
    name = strip_invisible(rule).lower().removeprefix(f"{reviewer}/")
    slug = _RULE_CHARS.sub("-", name).strip("-")[:60] or "finding"
    return f"{reviewer}/{slug}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolLoopResult:
    """How a tool loop ended: the model's final text (sanitized), turns taken and tool calls made."""

    text: str
    turns: int
    tool_calls: int
