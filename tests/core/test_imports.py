"""The import rules the architecture depends on, checked on the real source tree with grimp.

- The core (``reviewkit``) has no import cycles, counting imports made only for type checking: a
  cycle is where a module can no longer be read, tested or moved on its own.
- A built-in reviewer (``reviewers/``) imports from reviewkit only its top level: what a third-party
  plugin could import. Besides that: the standard library, its own package, and the distribution's
  declared dependencies.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("reviewkit", "reviewers", include_external_packages=True, cache_dir=None)


def core_cycles(g: grimp.ImportGraph) -> list[str]:
    """Each import ``a -> b`` of the core that closes a cycle, with the way back from ``b`` to ``a``."""
    core = {m for m in g.modules if m == "reviewkit" or m.startswith("reviewkit.")}
    cycles = []
    for importer in sorted(core):
        for imported in sorted(g.find_modules_directly_imported_by(importer) & core):
            back = g.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(" -> ".join((importer, *back)))
    return cycles


def declared_top_levels() -> set[str]:
    """Import names of the distributions pyproject.toml declares as dependencies (and extras)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [
        *project["dependencies"],
        *(r for extra in project.get("optional-dependencies", {}).values() for r in extra),
    ]
    wanted = {_normalise(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}
    return {
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if any(_normalise(d) in wanted for d in distributions)
    }


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def plugin_violations(g: grimp.ImportGraph, allowed_external: set[str]) -> list[str]:
    """Imports of modules under ``reviewers/`` that a third-party plugin could not make."""
    found = []
    for importer in sorted(m for m in g.modules if m.startswith("reviewers.")):
        own = ".".join(importer.split(".")[:2])
        for imported in sorted(g.find_modules_directly_imported_by(importer)):
            if _allowed(imported, own, allowed_external):
                continue
            for detail in g.get_import_details(importer=importer, imported=imported):
                found.append((importer, detail["line_number"], detail["line_contents"]))
    return [f"{importer}:{line}: {text}" for importer, line, text in sorted(found)]


def _allowed(imported: str, own: str, allowed_external: set[str]) -> bool:
    top = imported.split(".")[0]
    if imported == "reviewkit":
        return True
    if imported == own or imported.startswith(own + "."):
        return True
    return top not in ("reviewkit", "reviewers") and (top in sys.stdlib_module_names or top in allowed_external)


def test_the_core_has_no_import_cycle() -> None:
    assert core_cycles(graph()) == []


def test_reviewers_import_only_the_public_api() -> None:
    assert plugin_violations(graph(), declared_top_levels()) == []


def test_the_checks_catch_what_they_are_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both checks fail on a tree that breaks the rules (a cycle; a reviewer reaching into the core,
    into another reviewer, and an undeclared third-party package)."""
    for package, files in {
        "reviewkit": {
            "__init__.py": "from reviewkit.a import A\n",
            "a.py": "from reviewkit.b import B\nA = 1\n",
            "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from reviewkit.a import A\nB = 2\n",
        },
        "reviewers": {
            "__init__.py": "",
            "good/__init__.py": "import ast\nimport yaml\nfrom reviewkit import A\nfrom reviewers.good import util\n",
            "good/util.py": "",
            "bad/__init__.py": "from reviewkit.a import A\nfrom reviewers.good import util\nimport leftpad\n",
        },
    }.items():
        for name, text in files.items():
            (tmp_path / package / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / package / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] in ("reviewkit", "reviewers")]:
        monkeypatch.delitem(sys.modules, name)
    g = grimp.build_graph("reviewkit", "reviewers", include_external_packages=True, cache_dir=None)
    assert core_cycles(g) == ["reviewkit.a -> reviewkit.b -> reviewkit.a", "reviewkit.b -> reviewkit.a -> reviewkit.b"]
    assert plugin_violations(g, {"yaml"}) == [
        "reviewers.bad:1: from reviewkit.a import A",
        "reviewers.bad:2: from reviewers.good import util",
        "reviewers.bad:3: import leftpad",
    ]
