""".agents/config.toml: read, validated with schemas/config.schema.json, turned into a frozen Config.

Errors name the file, the key and (where it can be found) the line, in one line: a user fixing a
typo in CI should not need to run anything else to see what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from reviewkit.errors import ConfigError
from reviewkit.schemas import validator
from reviewkit.triggers import TriggerSet, parse_triggers

CONFIG_PATH = Path(".agents") / "config.toml"
DEFAULT_REVIEWERS = ("security", "test-integrity", "goal-adherence")
DEFAULT_MODEL = "claude-sonnet-5-5"
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([smh]?)\s*$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSpec:
    """A custom reviewer declared in ``[[review_agents]]``: a markdown prompt file run by a model."""

    name: str
    prompt_file: Path
    prompt: str
    trigger: TriggerSet
    blocking: bool = False
    model: str | None = None
    description: str = ""
    optional_without_model: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewerSettings:
    """``[reviewer.NAME]``: overrides for one reviewer, and free-form options the reviewer reads."""

    blocking: bool | None = None
    trigger: TriggerSet | None = None
    model: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    optional_without_model: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppression:
    rule: str
    paths: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    path: Path | None = None
    enabled: bool = True
    parallel: bool = True
    reviewers: tuple[str, ...] = DEFAULT_REVIEWERS
    test_command: str | None = None
    test_timeout_s: float = 900.0
    model: str = DEFAULT_MODEL
    goal_file: str | None = None
    max_concurrent: int = 5
    reviewer_timeout_s: float | None = None
    auto_merge_fixes: bool = True
    max_session_duration_s: float = 7200.0
    review_agents: tuple[AgentSpec, ...] = ()
    reviewer_settings: Mapping[str, ReviewerSettings] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()

    def settings_for(self, name: str) -> ReviewerSettings:
        return self.reviewer_settings.get(name, ReviewerSettings())

    def required_without_model(self, name: str) -> bool:
        """Whether a model reviewer that cannot run (no model) makes the review incomplete: the
        configuration made it blocking (``[[review_agents]] blocking = true`` or ``[reviewer.NAME]
        blocking = true``) and did not mark it ``optional_without_model``."""
        agent = next((a for a in self.review_agents if a.name == name), None)
        settings = self.reviewer_settings.get(name)
        if settings is not None and settings.blocking is not None:
            blocking = settings.blocking
        else:
            blocking = agent is not None and agent.blocking
        optional = (agent is not None and agent.optional_without_model) or (
            settings is not None and settings.optional_without_model
        )
        return blocking and not optional


def load_config(root: Path | None, explicit: Path | None = None) -> Config:
    """The configuration for a run: ``explicit`` (``--config``), else ``root/.agents/config.toml``,
    else the defaults. Prompt files are resolved against ``root`` (the repository root)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found (--config)")
        return parse_config(explicit.read_bytes(), path=explicit, root=root or explicit.parent)
    if root is not None and (root / CONFIG_PATH).is_file():
        path = root / CONFIG_PATH
        return parse_config(path.read_bytes(), path=path, root=root)
    return Config()


def parse_config(data: bytes, *, path: Path, root: Path, read_prompt: Any = None) -> Config:
    """Parse configuration bytes. ``read_prompt(relpath) -> str | None`` reads prompt files (from the
    base revision in CI); by default they are read from ``root`` on disk."""
    text = _decode(data, path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    _validate(raw, text, path)
    reader = read_prompt or _disk_prompt_reader(root)
    section = raw.get("code_review", {})
    delegation = raw.get("delegation", {})
    supervisor = raw.get("supervisor", {})
    return Config(
        path=path,
        enabled=section.get("enabled", True),
        parallel=section.get("parallel", True),
        reviewers=tuple(section.get("reviewers", DEFAULT_REVIEWERS)),
        test_command=section.get("test_command"),
        test_timeout_s=_seconds(section.get("test_timeout", 900), path, "code_review.test_timeout"),
        model=section.get("model", DEFAULT_MODEL),
        goal_file=section.get("goal_file"),
        max_concurrent=delegation.get("max_concurrent", 5),
        reviewer_timeout_s=_optional_seconds(delegation.get("reviewer_timeout"), path),
        auto_merge_fixes=supervisor.get("auto_merge_fixes", True),
        max_session_duration_s=_seconds(
            supervisor.get("max_session_duration", 7200), path, "supervisor.max_session_duration"
        ),
        review_agents=_agents(raw.get("review_agents", []), path, text, reader),
        reviewer_settings=_settings(raw.get("reviewer", {}), path, text),
        suppressions=tuple(
            Suppression(rule=item["rule"], paths=tuple(item.get("paths", ())), reason=item.get("reason", ""))
            for item in raw.get("suppress", [])
        ),
    )


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _validate(raw: dict[str, Any], text: str, path: Path) -> None:
    errors = sorted(validator("config").iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    error = errors[0]
    keys = [str(part) for part in error.absolute_path]
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        keys.append(unknown[0] if unknown else "?")
        problem = "unknown key"
        if keys[:1] == ["code_review"] or len(keys) == 1:
            allowed = ", ".join(sorted(error.schema.get("properties", {})))
            problem += f" (allowed: {allowed})"
    elif error.validator == "propertyNames":
        problem = "reviewer names are lowercase letters, digits, '-', '_' and '.'"
    else:
        problem = error.message
    raise ConfigError(f"{path}{_line_of(text, keys)}: key {_dotted(keys)!r}: {problem}")


def _dotted(keys: list[str]) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if key.isdigit() else (f".{key}" if out else key)
    return out or "(top level)"


def _line_of(text: str, keys: list[str]) -> str:
    """``:LINE`` of the last named key in the file, best effort (tomllib keeps no positions)."""
    names = [key for key in keys if not key.isdigit()]
    for name in reversed(names):
        # Blanks, not \s: from every line start \s* also ran over all the blank lines after it.
        pattern = re.compile(rf"^[ \t]*(\[\[?[ \t]*)?([\w.\-\"]*\.)?\"?{re.escape(name)}\"?[ \t]*(=|\]|\.)", re.M)
        match = pattern.search(text)
        if match:
            return f":{text.count(chr(10), 0, match.start()) + 1}"
    return ""


def _seconds(value: Any, path: Path, key: str) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ConfigError(f"{path}: key {key!r}: {value!r} is not a duration such as '90s', '15m' or '2h'")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _optional_seconds(value: Any, path: Path) -> float | None:
    return None if value is None else _seconds(value, path, "delegation.reviewer_timeout")


def _trigger(spec: Any, path: Path, text: str, where: str) -> TriggerSet:
    try:
        return parse_triggers(spec)
    except ValueError as exc:
        raise ConfigError(f"{path}{_line_of(text, ['trigger'])}: key {where!r}: {exc}") from exc


def _disk_prompt_reader(root: Path) -> Any:
    def read(relpath: str) -> str | None:
        candidate = (root / relpath).resolve()
        if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
            return None
        return candidate.read_text(encoding="utf-8", errors="replace")

    return read


def _agents(items: list[dict[str, Any]], path: Path, text: str, read_prompt: Any) -> tuple[AgentSpec, ...]:
    agents, seen = [], set()
    for index, item in enumerate(items):
        where = f"review_agents[{index}]"
        name = item["name"]
        if name in seen:
            raise ConfigError(f"{path}{_line_of(text, ['name'])}: key '{where}.name': duplicate reviewer {name!r}")
        seen.add(name)
        prompt_file = item["prompt_file"]
        if Path(prompt_file).is_absolute() or ".." in Path(prompt_file).parts:
            raise ConfigError(
                f"{path}: key '{where}.prompt_file': {prompt_file!r} must be a path inside the repository"
            )
        prompt = read_prompt(prompt_file)
        if prompt is None:
            raise ConfigError(
                f"{path}{_line_of(text, ['prompt_file'])}: key '{where}.prompt_file': "
                f"{prompt_file!r} not found in the repository"
            )
        agents.append(
            AgentSpec(
                name=name,
                prompt_file=Path(prompt_file),
                prompt=prompt,
                trigger=_trigger(item.get("trigger", "always"), path, text, f"{where}.trigger"),
                blocking=item.get("blocking", False),
                model=item.get("model"),
                description=item.get("description", ""),
                optional_without_model=item.get("optional_without_model", False),
            )
        )
    return tuple(agents)


def _settings(items: dict[str, dict[str, Any]], path: Path, text: str) -> dict[str, ReviewerSettings]:
    return {
        name: ReviewerSettings(
            blocking=item.get("blocking"),
            trigger=_trigger(item["trigger"], path, text, f"reviewer.{name}.trigger") if "trigger" in item else None,
            model=item.get("model"),
            options=item.get("options", {}),
            optional_without_model=item.get("optional_without_model", False),
        )
        for name, item in items.items()
    }


# --- configuration at a revision ----------------------------------------------------------------------


def config_at(repo: Path, revision: str, config_path: str | None) -> Config:
    """The configuration in ``revision`` (``config_path`` or .agents/config.toml), prompt files from there too.

    Untrusted reviews read it so: a change must not be able to rewrite the rules it is reviewed by. No
    file at the default path means the defaults; a missing explicit path is a ConfigError.
    """
    relative = _relative(config_path or str(CONFIG_PATH), "--config")
    data = _blob(repo, revision, relative)
    if data is None:
        if config_path:
            raise ConfigError(f"{relative}: configuration file not found in the base revision {revision[:12]}")
        return Config()

    def read_prompt(path: str) -> str | None:
        blob = _blob(repo, revision, _relative(path, "prompt_file"))
        return None if blob is None else blob.decode("utf-8", "replace")

    try:
        return parse_config(data, path=Path(relative), root=repo, read_prompt=read_prompt)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (read from the base revision {revision[:12]})") from exc


def _relative(path: str, what: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ConfigError(f"{what} {path!r}: must be a path inside the repository")
    return str(pure)


def _blob(repo: Path, revision: str, path: str) -> bytes | None:
    from reviewkit.git import git_text, run_git

    spec = f"{revision}:{path}"
    if git_text(repo, ["cat-file", "-t", spec], check=False) != "blob":
        return None
    return run_git(repo, ["cat-file", "blob", spec])
