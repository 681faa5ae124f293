"""Import contracts a repository declares, read from its own files: import-linter's (``.importlinter``,
``setup.cfg`` ``[importlinter...]``, ``[tool.importlinter]`` in ``pyproject.toml``) and tach's
(``tach.toml``), or ``contracts`` in ``[reviewer.architecture.options]``. Kinds: ``layers`` (a higher
layer may import a lower one, never the reverse), ``forbidden`` (sources must not import these),
``independence`` (the modules must not import each other), and tach's ``depends_on`` lists.

Only direct imports are checked: the evidence is the import line itself.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Contract:
    name: str
    kind: str  # layers | forbidden | independence | depends
    layers: tuple[tuple[str, ...], ...] = ()  # highest first; alternatives separated by "|"
    sources: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    allowed: Mapping[str, tuple[str, ...] | None] | None = None  # tach: module -> what it may import (None: any)


def within(module: str, parent: str) -> bool:
    return module == parent or module.startswith(parent + ".")


def broken(contract: Contract, importer: str, imported: str) -> str | None:
    """Why the direct import ``importer -> imported`` breaks ``contract``, or None."""
    check: Callable[[Contract, str, str], str | None] = _CHECKS[contract.kind]
    return check(contract, importer, imported)


def _layers(contract: Contract, importer: str, imported: str) -> str | None:
    rank = {}
    for index, layer in enumerate(contract.layers):
        for module in layer:
            rank[module] = index
    low = next((rank[m] for m in rank if within(importer, m)), None)
    high = next((rank[m] for m in rank if within(imported, m)), None)
    if low is not None and high is not None and high < low:
        return (
            f"layer {'|'.join(contract.layers[low])} may not import the higher layer {'|'.join(contract.layers[high])}"
        )
    return None


def _forbidden(contract: Contract, importer: str, imported: str) -> str | None:
    if any(within(importer, s) for s in contract.sources):
        hit = next((f for f in contract.forbidden if within(imported, f)), None)
        if hit:
            return f"{importer} may not import {hit}"
    return None


def _independence(contract: Contract, importer: str, imported: str) -> str | None:
    a = next((m for m in contract.modules if within(importer, m)), None)
    b = next((m for m in contract.modules if within(imported, m)), None)
    return f"{a} and {b} must stay independent" if a and b and a != b else None


def _depends(contract: Contract, importer: str, imported: str) -> str | None:
    allowed = contract.allowed or {}
    source = max((m for m in allowed if within(importer, m)), key=len, default=None)
    target = max((m for m in allowed if within(imported, m)), key=len, default=None)
    permitted = allowed.get(source) if source else None
    if source and target and source != target and permitted is not None and target not in permitted:
        return f"{source} does not declare a dependency on {target} (tach depends_on)"
    return None


_CHECKS = {"layers": _layers, "forbidden": _forbidden, "independence": _independence, "depends": _depends}


def from_importlinter(sections: Mapping[str, Mapping[str, Any]]) -> list[Contract]:
    """Contracts from import-linter's sections (``importlinter:contract:ID`` or ``contracts`` list)."""
    found = []
    for name, section in sections.items():
        kind = str(section.get("type", ""))
        if kind not in ("layers", "forbidden", "independence"):
            continue
        found.append(
            Contract(
                name=str(section.get("name", name)),
                kind=kind,
                layers=_layer_list(section.get("layers", ()), section.get("containers", ())),
                sources=_names(section.get("source_modules", ())),
                forbidden=_names(section.get("forbidden_modules", ())),
                modules=_names(section.get("modules", ())),
            )
        )
    return found


def _names(value: Any) -> tuple[str, ...]:
    items = value.split() if isinstance(value, str) else list(value)
    return tuple(str(item).strip() for item in items if str(item).strip())


def _layer_list(value: Any, containers: Any) -> tuple[tuple[str, ...], ...]:
    layers = [tuple(x.strip() for x in layer.replace(":", "|").split("|") if x.strip()) for layer in _names(value)]
    parents = _names(containers) or ("",)
    return tuple(tuple(f"{p}.{m}" if p else m for m in layer for p in parents) for layer in layers)


def read(read_file: Callable[[str], str | None], configured: Sequence[Mapping[str, Any]]) -> list[Contract]:
    """Every contract the repository declares (through ``read_file``) plus the configured ones."""
    contracts = from_importlinter({f"options[{i}]": c for i, c in enumerate(configured)})
    for path in (".importlinter", "setup.cfg"):
        text = read_file(path)
        if text:
            contracts += from_importlinter(_ini_sections(text))
    pyproject = _toml(read_file("pyproject.toml"))
    section = pyproject.get("tool", {}).get("importlinter", {})
    contracts += from_importlinter({f"pyproject[{i}]": c for i, c in enumerate(section.get("contracts", []))})
    contracts += _tach(_toml(read_file("tach.toml")))
    return contracts


def _ini_sections(text: str) -> dict[str, dict[str, str]]:
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {s.split(":", 2)[-1]: dict(parser[s]) for s in parser.sections() if s.startswith("importlinter:contract")}


def _toml(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _tach(config: Mapping[str, Any]) -> list[Contract]:
    modules: Iterable[Mapping[str, Any]] = config.get("modules", [])
    allowed: dict[str, tuple[str, ...] | None] = {}
    for module in modules:
        if isinstance(module.get("path"), str):
            depends = module.get("depends_on")
            names = None if depends is None else tuple(d if isinstance(d, str) else d.get("path", "") for d in depends)
            allowed[module["path"]] = names
    return [Contract(name="tach.toml", kind="depends", allowed=allowed)] if allowed else []
