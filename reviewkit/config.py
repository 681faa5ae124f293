""".agents/config.toml (or [tool.reviewkit] in pyproject.toml): read, validated with
schemas/config.schema.json, turned into a frozen Config.

Errors name the file, the key and (where it can be found) the line, in one line: a user fixing a
typo in CI should not need to run anything else to see what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from reviewkit.errors import ConfigError
from reviewkit.hints import did_you_mean
from reviewkit.schemas import validator
from reviewkit.triggers import TriggerSet, parse_triggers

CONFIG_PATH = Path(".agents") / "config.toml"
PYPROJECT = Path("pyproject.toml")
PYPROJECT_TABLE = ("tool", "reviewkit")
DEFAULT_REVIEWERS = ("security", "test-integrity", "goal-adherence")
DEFAULT_MODEL = "claude-sonnet-5-5"
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([smh]?)\s*$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
# Options every reviewer accepts in [reviewer.NAME.options]: the core reads them, not the reviewer.
CORE_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {
        "token_budget": {
            "type": "integer",
            "minimum": 1,
            "description": "model tokens this reviewer may use in one run (default REVIEWKIT_MODEL_TOKEN_BUDGET)",
        },
        "fix": {
            "type": "boolean",
            "description": "model fixes: true proposes them without a test gate, false never asks (default: "
            "only with code_review.test_command)",
        },
        "fix_max_calls": {"type": "integer", "minimum": 1, "description": "tool calls a model fix may make (40)"},
    }
)


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
    test_network: bool = True  # False: the test gate's sandbox has loopback only
    model: str = DEFAULT_MODEL
    goal_file: str | None = None
    max_concurrent: int = 5
    max_depth: int = 1  # how deep a model fixer may delegate (a sub-agent of a sub-agent is depth 2)
    memory_enabled: bool = True  # review memory: reuse results for files unchanged since reviewed
    reviewer_timeout_s: float | None = None
    auto_merge_fixes: bool = True
    max_session_duration_s: float = 7200.0
    review_agents: tuple[AgentSpec, ...] = ()
    reviewer_settings: Mapping[str, ReviewerSettings] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    # Where the settings came from, so checks made after parsing (reviewer names, plugin options) can
    # name the file and line: the TOML text and, for pyproject.toml, the table's key prefix.
    text: str = field(default="", repr=False, compare=False)
    key_prefix: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def where(self, *keys: str | int) -> str:
        """``FILE:LINE: key 'a.b'`` for a message about ``keys`` (``FILE`` alone when the line is unknown)."""
        full = [*self.key_prefix, *map(str, keys)]
        return f"{self.path or 'default configuration'}{_line_of(self.text, full)}: key {_dotted(full)!r}"

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
    """The configuration for a run: ``explicit`` (``--config``), else ``root/.agents/config.toml`` or
    ``[tool.reviewkit]`` in ``root/pyproject.toml`` (both is an error), else the defaults. Prompt files
    are resolved against ``root`` (the repository root)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found (--config)")
        prefix = PYPROJECT_TABLE if explicit.name == PYPROJECT.name else ()
        config = parse_config(explicit.read_bytes(), path=explicit, root=root or explicit.parent, key_prefix=prefix)
        if prefix and config.path is None:
            raise ConfigError(f"{explicit}: has no [tool.reviewkit] table (--config)")
        return config
    if root is None:
        return Config()

    def read(relative: Path) -> bytes | None:
        candidate = root / relative
        return candidate.read_bytes() if candidate.is_file() else None

    return _discover(read, lambda relative: root / relative, root, None)


def _discover(
    read: Callable[[Path], bytes | None], shown: Callable[[Path], Path], root: Path, read_prompt: Any
) -> Config:
    """The repository's own configuration: .agents/config.toml or pyproject.toml's [tool.reviewkit]."""
    agents, pyproject = read(CONFIG_PATH), read(PYPROJECT)
    has_table = pyproject is not None and _has_tool_table(pyproject, shown(PYPROJECT))
    if agents is not None and has_table:
        raise ConfigError(
            f"{shown(CONFIG_PATH)} and [tool.reviewkit] in {shown(PYPROJECT)} both configure reviewkit; keep one"
        )
    if agents is not None:
        return parse_config(agents, path=shown(CONFIG_PATH), root=root, read_prompt=read_prompt)
    if pyproject is not None and has_table:
        return parse_config(
            pyproject, path=shown(PYPROJECT), root=root, read_prompt=read_prompt, key_prefix=PYPROJECT_TABLE
        )
    return Config()


def _has_tool_table(data: bytes, path: Path) -> bool:
    """Whether pyproject.toml has a [tool.reviewkit] table. A pyproject.toml that is not valid TOML is
    an error only when it mentions reviewkit: it is usually another tool's business."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        if b"reviewkit" in data:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        return False
    return isinstance(raw.get("tool"), dict) and "reviewkit" in raw["tool"]


def parse_config(
    data: bytes, *, path: Path, root: Path, read_prompt: Any = None, key_prefix: tuple[str, ...] = ()
) -> Config:
    """Parse configuration bytes. ``read_prompt(relpath) -> str | None`` reads prompt files (from the
    base revision in CI); by default they are read from ``root`` on disk. ``key_prefix`` names the
    table that holds the configuration (``("tool", "reviewkit")`` in pyproject.toml); without that
    table the result is the defaults with ``path`` None."""
    text = _decode(data, path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    for key in key_prefix:
        table = raw.get(key)
        if table is None:
            return Config()
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: key {'.'.join(key_prefix)!r}: must be a table")
        raw = table
    located = Config(path=path, text=text, key_prefix=key_prefix)
    _validate(raw, located)
    reader = read_prompt or _disk_prompt_reader(root)
    section = raw.get("code_review", {})
    delegation = raw.get("delegation", {})
    supervisor = raw.get("supervisor", {})
    return replace(
        located,
        enabled=section.get("enabled", True),
        parallel=section.get("parallel", True),
        reviewers=tuple(section.get("reviewers", DEFAULT_REVIEWERS)),
        test_command=section.get("test_command"),
        test_timeout_s=_seconds(section.get("test_timeout", 900), located, "code_review", "test_timeout"),
        test_network=section.get("test_network", True),
        model=section.get("model", DEFAULT_MODEL),
        goal_file=section.get("goal_file"),
        max_concurrent=delegation.get("max_concurrent", 5),
        max_depth=delegation.get("max_depth", 1),
        memory_enabled=raw.get("memory", {}).get("enabled", True),
        reviewer_timeout_s=_optional_seconds(delegation.get("reviewer_timeout"), located),
        auto_merge_fixes=supervisor.get("auto_merge_fixes", True),
        max_session_duration_s=_seconds(
            supervisor.get("max_session_duration", 7200), located, "supervisor", "max_session_duration"
        ),
        review_agents=_agents(raw.get("review_agents", []), located, reader),
        reviewer_settings=_settings(raw.get("reviewer", {}), located),
        suppressions=tuple(
            Suppression(rule=item["rule"], paths=tuple(item.get("paths", ())), reason=item.get("reason", ""))
            for item in raw.get("suppress", [])
        ),
        text=text,
    )


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _validate(raw: dict[str, Any], config: Config) -> None:
    errors = sorted(validator("config").iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    keys, problem = _problem(errors[0])
    raise ConfigError(f"{config.where(*keys)}: {problem}")


def _problem(error: Any) -> tuple[list[str | int], str]:
    """The key path and the one-line problem of a jsonschema ``error`` (did-you-mean for unknown keys)."""
    keys: list[str | int] = list(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        keys.append(unknown[0] if unknown else "?")
        problem = "unknown key" + did_you_mean(str(keys[-1]), allowed)
        if keys[:1] == ["code_review"] or len(keys) <= 1:
            problem += f" (allowed: {', '.join(allowed) or 'none'})"
    elif error.validator == "propertyNames":
        problem = "reviewer names are lowercase letters, digits, '-', '_' and '.'"
    elif error.validator in ("oneOf", "anyOf") and "description" in error.schema:
        # A choice of forms (durations, triggers): name the forms, not "valid under none of the schemas".
        problem = f"{error.instance!r} is not valid: expected {error.schema['description']}"
    else:
        problem = error.message
    return keys, problem


def _dotted(keys: Sequence[str]) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if key.isdigit() else (f".{key}" if out else key)
    return out or "(top level)"


def _line_of(text: str, keys: Sequence[str]) -> str:
    """``:LINE`` of the key path ``keys`` in ``text``, best effort (tomllib keeps no positions).

    Each key is looked for after the previous one, so ``review_agents[1].name`` finds the ``name``
    of the second ``[[review_agents]]`` table, not the first; a key written inline is skipped over.
    """
    position, found, previous = 0, None, ""
    for key in keys:
        if key.isdigit():
            match = _nth_array_table(text, previous, int(key), position)
        else:
            match = re.compile(
                rf"^[ \t]*(\[\[?[ \t]*)?([\w.\-\"]*\.)?\"?{re.escape(key)}\"?[ \t]*(=|\]|\.)", re.MULTILINE
            ).search(text, position)
            previous = key
        if match is not None:
            position, found = match.start(), match.start()
    return "" if found is None else f":{text.count(chr(10), 0, found) + 1}"


def _nth_array_table(text: str, name: str, index: int, start: int) -> re.Match[str] | None:
    header = re.compile(rf"^[ \t]*\[\[[ \t]*([\w.\-\"]*\.)?{re.escape(name)}[ \t]*\]\]", re.MULTILINE)
    matches = list(header.finditer(text, start))
    return matches[index] if index < len(matches) else None


def _seconds(value: Any, config: Config, *keys: str) -> float:
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ConfigError(f"{config.where(*keys)}: {value!r} is not a duration such as 90, '90s', '15m' or '2h'")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _optional_seconds(value: Any, config: Config) -> float | None:
    return None if value is None else _seconds(value, config, "delegation", "reviewer_timeout")


def _trigger(spec: Any, config: Config, *keys: str | int) -> TriggerSet:
    try:
        return parse_triggers(spec)
    except ValueError as exc:
        raise ConfigError(f"{config.where(*keys)}: {exc}") from exc


def _disk_prompt_reader(root: Path) -> Any:
    def read(relpath: str) -> str | None:
        candidate = (root / relpath).resolve()
        if not candidate.is_relative_to(root.resolve()):
            return None
        if candidate.is_dir():
            raise IsADirectoryError(relpath)
        if not candidate.is_file():
            return None
        return candidate.read_text(encoding="utf-8", errors="replace")

    return read


def _agents(items: list[dict[str, Any]], config: Config, read_prompt: Any) -> tuple[AgentSpec, ...]:
    agents, seen = [], set()
    for index, item in enumerate(items):
        name = item["name"]
        if name in seen:
            raise ConfigError(f"{config.where('review_agents', index, 'name')}: duplicate reviewer {name!r}")
        seen.add(name)
        agents.append(
            AgentSpec(
                name=name,
                prompt_file=Path(item["prompt_file"]),
                prompt=_prompt(item["prompt_file"], config, index, read_prompt),
                trigger=_trigger(item.get("trigger", "always"), config, "review_agents", index, "trigger"),
                blocking=item.get("blocking", False),
                model=item.get("model"),
                description=item.get("description", ""),
                optional_without_model=item.get("optional_without_model", False),
            )
        )
    return tuple(agents)


def _prompt(prompt_file: str, config: Config, index: int, read_prompt: Any) -> str:
    where = config.where("review_agents", index, "prompt_file")
    if Path(prompt_file).is_absolute() or ".." in Path(prompt_file).parts:
        raise ConfigError(f"{where}: {prompt_file!r} must be a path inside the repository")
    try:
        prompt = read_prompt(prompt_file)
    except IsADirectoryError:
        raise ConfigError(f"{where}: {prompt_file!r} is a directory; name a markdown file in it") from None
    if prompt is None:
        raise ConfigError(f"{where}: {prompt_file!r} not found in the repository")
    return str(prompt)


def _settings(items: dict[str, dict[str, Any]], config: Config) -> dict[str, ReviewerSettings]:
    return {
        name: ReviewerSettings(
            blocking=item.get("blocking"),
            trigger=_trigger(item["trigger"], config, "reviewer", name, "trigger") if "trigger" in item else None,
            model=item.get("model"),
            options=item.get("options", {}),
            optional_without_model=item.get("optional_without_model", False),
        )
        for name, item in items.items()
    }


# --- reviewer options ----------------------------------------------------------------------------------


def reviewer_options(config: Config, name: str, schema: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """``[reviewer.NAME.options]`` checked against the reviewer's declared ``schema``, with the defaults
    the schema declares for its top-level properties filled in.

    ``schema`` is a JSON schema for the options table (``Reviewer.options_schema``); :data:`CORE_OPTIONS`
    are added to its properties, and keys it does not name are errors unless it sets
    ``additionalProperties``. None means the reviewer takes only the core options. Raises ConfigError
    with the file, the line and the dotted key, like every other configuration error.
    """
    given = dict(config.settings_for(name).options)
    full = options_schema(schema)
    import jsonschema  # ~0.1 s; only runs that load plugins pay for it, and they validate config anyway

    checker = jsonschema.Draft202012Validator(full)
    errors = sorted(checker.iter_errors(given), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        keys, problem = _problem(errors[0])
        raise ConfigError(f"{config.where('reviewer', name, 'options', *keys)}: {problem}")
    properties = full.get("properties", {})
    defaults = {
        key: spec["default"] for key, spec in properties.items() if isinstance(spec, Mapping) and "default" in spec
    }
    return MappingProxyType({**defaults, **given})


def options_schema(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """A reviewer's options schema as the core checks it: with :data:`CORE_OPTIONS`, closed to unknown keys."""
    full: dict[str, Any] = {"type": "object", **(schema or {})}
    full["properties"] = {**CORE_OPTIONS, **full.get("properties", {})}
    full.setdefault("additionalProperties", False)
    return full


# --- configuration at a revision ----------------------------------------------------------------------


def config_at(repo: Path, revision: str, config_path: str | None) -> Config:
    """The configuration in ``revision`` (``config_path``, else .agents/config.toml or pyproject.toml's
    [tool.reviewkit]), prompt files from there too.

    Untrusted reviews read it so: a change must not be able to rewrite the rules it is reviewed by. No
    configuration there means the defaults; a missing explicit path is a ConfigError.
    """

    def read(relative: Path) -> bytes | None:
        return blob_at(repo, revision, _relative(str(relative), "--config"))

    def read_prompt(path: str) -> str | None:
        relative = _relative(path, "prompt_file")
        if _object_type(repo, revision, relative) == "tree":
            raise IsADirectoryError(path)
        blob = blob_at(repo, revision, relative)
        return None if blob is None else blob.decode("utf-8", "replace")

    try:
        if config_path is None:
            return _discover(read, Path, repo, read_prompt)
        relative = Path(_relative(config_path, "--config"))
        data = read(relative)
        if data is None:
            raise ConfigError(f"{relative}: configuration file not found in the base revision {revision[:12]}")
        prefix = PYPROJECT_TABLE if relative.name == PYPROJECT.name else ()
        return parse_config(data, path=relative, root=repo, read_prompt=read_prompt, key_prefix=prefix)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (read from the base revision {revision[:12]})") from exc


def _relative(path: str, what: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ConfigError(f"{what} {path!r}: must be a path inside the repository")
    return str(pure)


def _object_type(repo: Path, revision: str, path: str) -> str:
    from reviewkit.git import git_text

    return git_text(repo, ["cat-file", "-t", f"{revision}:{path}"], check=False)


def blob_at(repo: Path, revision: str, path: str) -> bytes | None:
    """The bytes of file ``path`` in ``revision``, or None when it is not a file there."""
    from reviewkit.git import run_git

    if _object_type(repo, revision, path) != "blob":
        return None
    return run_git(repo, ["cat-file", "blob", f"{revision}:{path}"])
