"""The import graphs of the packages a change touches, at the base and at the head, built by grimp.

Each revision's packages are exported from git's objects into a scratch directory and grimp builds their
graph in a separate Python process (grimp finds packages through ``sys.path``, which a reviewer running
in a thread beside others must not change). Imports made only for type checking are left out: they
cannot make a cycle at run time. The edges come back as JSON and are loaded into a grimp
``ImportGraph`` here, for its chain queries.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import grimp

# Runs in the child: grimp is imported before the scratch roots go on sys.path, so a reviewed package
# named like an installed one is the one graphed, and grimp itself cannot be shadowed.
_DUMP = """
import json, sys
import grimp
roots, packages = json.loads(sys.argv[1])
sys.path[:0] = roots
graph = grimp.build_graph(*packages, include_external_packages=True, exclude_type_checking_imports=True, cache_dir=None)
edges = []
for importer in graph.modules:
    for imported in graph.find_modules_directly_imported_by(importer):
        for d in graph.get_import_details(importer=importer, imported=imported) or [{}]:
            edges.append([importer, imported, d.get("line_number", 0), d.get("line_contents", "")])
json.dump({"modules": sorted(graph.modules), "edges": edges}, sys.stdout)
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """A top-level package: the directory it sits in (``""`` for the repository root) and its name."""

    root: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    importer: str
    imported: str
    line: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Graph:
    graph: grimp.ImportGraph
    imports: tuple[Import, ...]
    modules: frozenset[str]

    def chain(self, importer: str, imported: str) -> tuple[str, ...] | None:
        if importer not in self.modules or imported not in self.modules:
            return None
        return self.graph.find_shortest_chain(importer=importer, imported=imported)


def package_of(path: str, has_init: Iterable[str]) -> Package | None:
    """The top-level package holding ``path``: the outermost directory of an unbroken run of
    ``__init__.py`` files above it."""
    inits = set(has_init)
    parts = PurePosixPath(path).parts[:-1]
    top = None
    for depth in range(len(parts), 0, -1):
        if "/".join(parts[:depth]) + "/__init__.py" not in inits:
            break
        top = depth
    if top is None:
        return None
    return Package(root="/".join(parts[: top - 1]), name=parts[top - 1])


def module_of(path: str, package: Package) -> str:
    relative = PurePosixPath(path).relative_to(package.root) if package.root else PurePosixPath(path)
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def build(repo: Path, revision: str, packages: Sequence[Package], timeout_s: float) -> Graph:
    """The import graph of ``packages`` at ``revision`` (only those packages' files are exported)."""
    with tempfile.TemporaryDirectory(prefix="reviewkit-arch-") as scratch:
        paths = [f"{p.root}/{p.name}" if p.root else p.name for p in packages]
        _export(repo, revision, paths, Path(scratch))
        roots = sorted({str(Path(scratch) / p.root) for p in packages})
        present = [p.name for p in packages if (Path(scratch) / p.root / p.name / "__init__.py").is_file()]
        if not present:
            return Graph(graph=grimp.ImportGraph(), imports=(), modules=frozenset())
        proc = subprocess.run(
            [sys.executable, "-I", "-c", _DUMP, json.dumps([roots, sorted(set(present))])],
            capture_output=True,
            check=False,
            timeout=timeout_s,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"grimp could not build the import graph: {proc.stderr.decode()[-400:]}")
    data = json.loads(proc.stdout)
    graph = grimp.ImportGraph()
    imports = []
    for importer, imported, line, text in data["edges"]:
        graph.add_import(importer=importer, imported=imported, line_number=line, line_contents=text)
        imports.append(Import(importer=importer, imported=imported, line=line, text=text))
    return Graph(graph=graph, imports=tuple(imports), modules=frozenset(data["modules"]))


def _export(repo: Path, revision: str, paths: Sequence[str], target: Path) -> None:
    proc = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", revision, "--", *paths],
        capture_output=True,
        check=False,
        timeout=600,
    )
    if proc.returncode != 0:  # a package that does not exist in this revision (new in the change)
        existing = [p for p in paths if _exists(repo, revision, p)]
        if not existing:
            return
        proc = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", revision, "--", *existing],
            capture_output=True,
            check=True,
            timeout=600,
        )
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(target, filter="data")


def _exists(repo: Path, revision: str, path: str) -> bool:
    spec = f"{revision}:{path}"
    return (
        subprocess.run(["git", "-C", str(repo), "cat-file", "-e", spec], capture_output=True, check=False).returncode
        == 0
    )
