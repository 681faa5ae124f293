"""Loading plugins: a fresh pluggy manager per run, entry points of group ``reviewkit``, and the
registries of reviewers and reporters they fill.

Built-in reviewers come through the same entry points as third-party ones (from reviewkit's own
distribution). ``REVIEWKIT_DISABLE_PLUGIN_AUTOLOAD=1`` loads only those; ``-p no:NAME`` blocks one.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pluggy

from reviewkit import hookspecs
from reviewkit.config import Config, options_schema, reviewer_options
from reviewkit.errors import ConfigError, InputError, PluginError, ReviewkitError
from reviewkit.hints import did_you_mean
from reviewkit.reporter import Reporter
from reviewkit.reviewer import Reviewer
from reviewkit.triggers import parse_triggers

DISTRIBUTION = "reviewkit"
AUTOLOAD_ENV = "REVIEWKIT_DISABLE_PLUGIN_AUTOLOAD"
# Core plugins that are part of reviewkit itself rather than reviewers: always registered.
CORE_PLUGINS = ("reviewkit.reporters", "reviewkit.suppress")
# The built-in plugin that turns [[review_agents]] entries into reviewers.
MARKDOWN_PLUGIN = "markdown"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredReviewer:
    reviewer: Reviewer
    plugin: str
    builtin: bool
    options: Mapping[str, Any] = field(default_factory=dict)  # validated, with declared defaults


@dataclass(frozen=True, slots=True, kw_only=True)
class Plugins:
    manager: pluggy.PluginManager
    reviewers: dict[str, RegisteredReviewer]
    reporters: dict[str, Reporter]


def load_plugins(
    config: Config,
    *,
    blocked: Iterable[str] = (),
    autoload: bool | None = None,
    extra: Iterable[object] = (),
    checkout: Path | None = None,
) -> Plugins:
    """A fresh plugin manager with every plugin loaded and its reviewers and reporters registered.

    :param extra: plugin objects to register besides the entry points (embedding and tests), like
        ``pytest.main(plugins=[...])``; they count as third-party.
    :param checkout: the repository under review: no plugin is ever loaded from inside it (nor from the
        current directory), since a change could add one there. Entry points come from the installed
        environment only.
    """
    if autoload is None:
        autoload = os.environ.get(AUTOLOAD_ENV, "") in ("", "0")
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in blocked:
        manager.set_blocked(name)
    for module_name in CORE_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
    builtin_names, installed = _load_entry_points(manager, autoload=autoload, checkout=checkout)
    _check_blocked_names(blocked, installed)
    for plugin in extra:
        manager.register(plugin)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(exc.plugin_name if hasattr(exc, "plugin_name") else "?", str(exc)) from exc
    reviewers = _collect_reviewers(manager, config, builtin_names)
    if autoload and not blocked:  # otherwise a name may belong to a reviewer deliberately left out
        _check_configured_names(config, reviewers)
    reporters = _collect_reporters(manager)
    return Plugins(manager=manager, reviewers=reviewers, reporters=reporters)


def _load_entry_points(
    manager: pluggy.PluginManager, *, autoload: bool, checkout: Path | None
) -> tuple[set[str], set[str]]:
    """Register the entry points; returns the built-in plugin names and every installed one."""
    builtin: set[str] = set()
    installed: set[str] = set()
    _refuse_shadowed_builtins()
    for dist in installed_distributions(checkout):
        dist_name = (dist.metadata["Name"] or "").lower()
        is_ours = dist_name == DISTRIBUTION
        entries = [entry for entry in dist.entry_points if entry.group == hookspecs.PROJECT]
        installed.update(entry.name for entry in entries)
        if not (is_ours or autoload):
            continue
        for entry in entries:
            if manager.is_blocked(entry.name):
                continue
            if manager.has_plugin(entry.name):
                continue  # the same distribution seen twice on sys.path
            try:
                module = entry.load()
                manager.register(module, name=entry.name)
            except pluggy.PluginValidationError as exc:
                raise PluginError(entry.name, f"{exc} (from {dist_name})") from exc
            except Exception as exc:
                raise PluginError(
                    entry.name,
                    f"failed to load {entry.value!r} from {dist_name}: {type(exc).__name__}: {exc}; "
                    f"disable it with -p no:{entry.name} or {AUTOLOAD_ENV}=1",
                ) from exc
            if is_ours:
                builtin.add(entry.name)
    return builtin, installed


def installed_distributions(checkout: Path | None = None) -> Iterable[importlib.metadata.Distribution]:
    """The distributions of the installed environment: none found inside the checkout under review or
    the current directory (where ``python -m`` or ``PYTHONPATH=.`` would let a change plant a
    ``*.dist-info`` with a ``reviewkit`` entry point), unless that place is the interpreter's own
    site-packages (a virtual environment kept inside a project)."""
    untrusted = [Path.cwd().resolve(), *([checkout.resolve()] if checkout is not None else [])]
    site_dirs = _site_dirs()
    for dist in importlib.metadata.distributions():
        location = _location(dist)
        if location is None or location in site_dirs or not any(location.is_relative_to(u) for u in untrusted):
            yield dist


def _location(dist: importlib.metadata.Distribution) -> Path | None:
    """The sys.path entry a distribution was found in (the folder holding its ``.dist-info``)."""
    path = getattr(dist, "_path", None)  # PathDistribution: the .dist-info / .egg-info folder
    return Path(path).resolve().parent if path is not None else None


def _site_dirs() -> set[Path]:
    import site
    import sysconfig

    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    dirs += [sysconfig.get_paths()[key] for key in ("purelib", "platlib")]
    return {Path(d).resolve() for d in dirs if d}


def _refuse_shadowed_builtins() -> None:
    """The built-in reviewers must be reviewkit's own: ``reviewers`` is a common name, and a checkout on
    ``sys.path`` (``PYTHONPATH=.``) holding a ``reviewers/`` package would have its code run in place of
    them, with reviewkit's secrets. Checked before anything of it is imported."""
    import importlib.util

    ours = Path(__file__).resolve().parent.parent  # reviewkit/ and reviewers/ are installed side by side
    spec = importlib.util.find_spec("reviewers")
    origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
    if origin is None or not origin.is_relative_to(ours):
        raise PluginError(
            "reviewers",
            f"reviewkit's built-in reviewers would be imported from {origin or 'nowhere'}, not from reviewkit's "
            f"installation {ours}: a package on sys.path shadows them. Run the 'reviewkit' command (or "
            "'python -P -m reviewkit'), and keep the checkout under review off PYTHONPATH",
        )


def _check_blocked_names(blocked: Iterable[str], installed: set[str]) -> None:
    """``-p no:NAME`` must name a plugin: a typo would otherwise leave the plugin running, silently."""
    known = installed | set(CORE_PLUGINS)
    for name in blocked:
        if name not in known:
            raise InputError(
                f"-p no:{name}: no plugin is named {name!r}{did_you_mean(name, known)}; "
                f"installed plugins: {', '.join(sorted(installed)) or 'none'}"
            )


def _check_configured_names(config: Config, reviewers: dict[str, RegisteredReviewer]) -> None:
    """``[reviewer.NAME]`` must name a reviewer: a typo would leave its settings (``blocking``, a
    trigger) silently unapplied."""
    for name in config.reviewer_settings:
        if name not in reviewers:
            raise ConfigError(
                f"{config.where('reviewer', name)}: unknown reviewer {name!r}{did_you_mean(name, reviewers)}; "
                f"registered: {', '.join(sorted(reviewers)) or 'none'}"
            )


def _call_each(manager: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Call every implementation of a hook on its own, so a failure names the plugin that failed."""
    caller = getattr(manager.hook, hook_name)
    for impl in caller.get_hookimpls():
        try:
            impl.function(*(kwargs[arg] for arg in impl.argnames))
        except ReviewkitError:  # already says what and where (a plugin's own ConfigError, say)
            raise
        except Exception as exc:
            raise PluginError(impl.plugin_name, f"{hook_name} raised {type(exc).__name__}: {exc}") from exc


def _collect_reviewers(
    manager: pluggy.PluginManager, config: Config, builtin_names: set[str]
) -> dict[str, RegisteredReviewer]:
    reviewers: dict[str, RegisteredReviewer] = {}
    caller = manager.hook.register_reviewers
    for impl in caller.get_hookimpls():
        plugin = impl.plugin_name

        def register(reviewer: Reviewer, plugin: str = plugin) -> None:
            _check_reviewer(reviewer, plugin)
            if reviewer.name in reviewers:
                _name_taken(config, reviewer.name, plugin, reviewers[reviewer.name].plugin)
            reviewers[reviewer.name] = RegisteredReviewer(
                reviewer=reviewer,
                plugin=plugin,
                builtin=plugin in builtin_names,
                options=reviewer_options(config, reviewer.name, reviewer.options_schema),
            )

        args = {"register": register, "config": config}
        try:
            impl.function(*(args[arg] for arg in impl.argnames))
        except ReviewkitError:  # already says what and where (a plugin's own ConfigError, say)
            raise
        except Exception as exc:
            raise PluginError(plugin, f"register_reviewers raised {type(exc).__name__}: {exc}") from exc
    return reviewers


def _name_taken(config: Config, name: str, plugin: str, other: str) -> NoReturn:
    """Two reviewers with one name: when one is a ``[[review_agents]]`` entry, the configuration is
    what to change, so say where it is."""
    index = next((i for i, agent in enumerate(config.review_agents) if agent.name == name), None)
    if index is None:
        raise PluginError(plugin, f"reviewer {name!r} is already registered by {other!r}")
    owner = other if plugin == MARKDOWN_PLUGIN else plugin
    raise ConfigError(
        f"{config.where('review_agents', index, 'name')}: {name!r} is already the name of a reviewer from "
        f"plugin {owner!r}; give this reviewer another name"
    )


def _check_reviewer(reviewer: object, plugin: str) -> None:
    if not isinstance(reviewer, Reviewer):
        raise PluginError(plugin, f"register() takes a reviewkit.Reviewer, got {type(reviewer).__name__}")
    if not reviewer.name or not isinstance(reviewer.name, str):
        raise PluginError(plugin, f"{type(reviewer).__name__} has no name")
    try:
        parse_triggers(reviewer.trigger)
    except ValueError as exc:
        raise PluginError(plugin, f"reviewer {reviewer.name!r}: {exc}") from exc
    _check_options_schema(reviewer, plugin)


def _check_options_schema(reviewer: Reviewer, plugin: str) -> None:
    import jsonschema

    schema = reviewer.options_schema
    if schema is not None and not isinstance(schema, Mapping):
        raise PluginError(plugin, f"reviewer {reviewer.name!r}: options_schema must be a mapping (a JSON schema)")
    try:
        jsonschema.Draft202012Validator.check_schema(options_schema(schema))
    except jsonschema.SchemaError as exc:
        raise PluginError(
            plugin, f"reviewer {reviewer.name!r}: options_schema is not a valid JSON schema: {exc.message}"
        ) from exc


def _collect_reporters(manager: pluggy.PluginManager) -> dict[str, Reporter]:
    reporters: dict[str, Reporter] = {}

    def register(reporter: Reporter) -> None:
        if reporter.name in reporters:
            raise PluginError(reporter.name, f"reporter {reporter.name!r} is registered twice")
        reporters[reporter.name] = reporter

    _call_each(manager, "register_reporters", register=register)
    return reporters
