"""dependency-hygiene: what a change does to the project's dependencies and its supply chain.

Offline, on changed manifests (requirements files, pyproject.toml, setup.cfg, setup.py, Pipfile,
package.json) and added imports: pins loosened and hashes dropped, direct URL/VCS references, names one
edit away from a popular PyPI or npm package (lists shipped with reviewkit, refreshed by
scripts/refresh_popular_names.py), a manifest changed without the lock file beside it, an import no
manifest declares, and a new runtime dependency nothing imports. With ``network = true`` (opt-in): known
vulnerabilities of the pinned versions it adds or changes (OSV), and from PyPI whether a release is
yanked, very new, majors behind, or sdist-only (runs code at install). Warnings.

deptry and pip-audit were considered as libraries: deptry's checks need the project's environment
installed and read the whole project, pip-audit resolves and audits an environment through a private
API; a review of a diff needs neither, so the two ideas (import-to-distribution names, OSV queries) are
used directly on what the change declares.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Callable, Iterable, Sequence

from reviewkit import FileStatus, Finding, ProviderError, ReviewContext, Reviewer, Side, hookimpl

from . import checks, registry
from .manifests import LOCKS, Declared, is_manifest, parse

MODEL_INSTRUCTIONS = """\
You are the dependency-hygiene reviewer. Deterministic checks already looked at pins, hashes, URLs,
typosquats, locks and known vulnerabilities. Judge only the supply-chain risk of dependencies the change
adds: a package doing far more than the need it serves, an unmaintained or single-maintainer package
for a security-sensitive job, a dependency duplicating one the project already has. Quote the added
manifest or import line. Severity low. Rule ids: dependency-hygiene/<kebab-case-name>.
"""


class DependencyHygiene(Reviewer):
    name = "dependency-hygiene"
    description = "Loosened pins, dropped hashes, URL/VCS deps, typosquats, lock drift, undeclared imports; OSV opt-in."
    blocking = False
    trigger = "always"
    options_schema = {
        "properties": {
            "network": {"type": "boolean", "default": False, "description": "ask OSV and PyPI (opt-in)"},
            "osv_url": {"type": "string", "pattern": "^https?://", "default": "https://api.osv.dev"},
            "pypi_url": {"type": "string", "pattern": "^https?://", "default": "https://pypi.org"},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 10},
            "min_release_age_days": {"type": "number", "minimum": 0, "default": 7},
            "max_majors_behind": {"type": "integer", "minimum": 1, "default": 2},
            "undeclared_imports": {"type": "boolean", "default": True},
            "model_review": {"type": "boolean", "default": True},
        }
    }

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        added = {f.path: f.added_line_numbers() for f in context.files if f.status is not FileStatus.DELETED}
        manifests = [p for p in added if is_manifest(p)]
        head = [d for p in manifests for d in parse(p, context.read(p) or "")]
        base = [d for p in manifests for d in parse(p, context.read(p, Side.BASE) or "")]
        problems = checks.compare(base, head, added)
        problems += checks.lock_drift(base, head, set(context.change.paths), self._locks(context, manifests))
        problems += _unused(context, base, head, added)
        if context.options["undeclared_imports"]:
            problems += _undeclared(context, added)
        if context.options["network"]:
            problems += _network(context, base, head, added)
        findings = [_finding(p) for p in problems]
        if context.model is not None and context.options["model_review"] and (manifests or findings):
            findings += _model_findings(context, added)
        return findings

    def _locks(self, context: ReviewContext, manifests: Sequence[str]) -> set[str]:
        folders = {p.rsplit("/", 1)[0] + "/" if "/" in p else "" for p in manifests}
        return {
            f"{folder}{lock}" for folder in folders for lock in LOCKS if context.read(f"{folder}{lock}") is not None
        }


def _finding(problem: checks.Problem) -> Finding:
    return Finding(
        rule=f"dependency-hygiene/{problem.rule}",
        severity=problem.severity,
        path=problem.path,
        line=problem.line,
        message=problem.message,
        evidence=problem.text,
    )


def _all_declared(context: ReviewContext) -> list[Declared]:
    """Every Python dependency the head declares anywhere in the repository (manifests found by git)."""
    if context.repo is None or not context.change.head:
        return []
    listing = subprocess.run(
        ["git", "-C", str(context.repo), "ls-tree", "-r", "--name-only", context.change.head],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    ).stdout.split("\n")
    paths = [p for p in listing if is_manifest(p) and p.count("/") <= 3 and "node_modules/" not in p]
    return [d for p in paths for d in parse(p, context.read(p) or "") if d.ecosystem == "pypi"]


def _undeclared(context: ReviewContext, added: dict[str, frozenset[int]]) -> list[checks.Problem]:
    python = [p for p in added if p.endswith(".py") and added[p]]
    if not python:
        return []
    declared = _all_declared(context)
    if not declared:
        return []  # no Python manifest: nothing to compare imports with
    problems: list[checks.Problem] = []
    folders: dict[str, list[str]] = {}
    for path in python:
        text = context.read(path) or ""
        lines = text.split("\n")
        first_party = _first_party(context, path, folders)
        problems += checks.undeclared(path, lines, added[path], declared, first_party, _optional(text))
    return problems


def _first_party(context: ReviewContext, path: str, cache: dict[str, list[str]]) -> set[str]:
    """Top-level names importable from the repository itself, as seen from ``path``."""
    names = set()
    parts = path.split("/")
    for depth in range(len(parts)):
        folder = "/".join(parts[:depth])
        prefix = f"{folder}/" if folder else ""
        for line in _listing(context, prefix, cache):
            names.add(line.removesuffix(".py"))
    for root in ("src/", "lib/", "python/"):
        names.update(line.removesuffix(".py") for line in _listing(context, root, cache))
    return names


def _listing(context: ReviewContext, prefix: str, cache: dict[str, list[str]]) -> list[str]:
    """The names in a folder of the head (asked once per folder: many changed files share folders)."""
    if prefix not in cache:
        cache[prefix] = _list_tree(context, prefix)
    return cache[prefix]


def _list_tree(context: ReviewContext, prefix: str) -> list[str]:
    if context.repo is None or not context.change.head:
        return []
    out = subprocess.run(
        ["git", "-C", str(context.repo), "ls-tree", "--name-only", f"{context.change.head}:{prefix}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stdout
    return [line for line in out.split("\n") if line]


def _optional(text: str) -> set[int]:
    """Lines of imports guarded by ``try/except ImportError`` or ``if TYPE_CHECKING``: not requirements."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return set()
    lines: set[int] = set()
    for node in ast.walk(tree):
        guarded = (
            isinstance(node, ast.Try)
            and any(
                "ImportError" in ast.unparse(h.type or ast.Name("BaseException")) or h.type is None
                for h in node.handlers
            )
        ) or (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
        if guarded:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    lines.add(inner.lineno)
    return lines


def _unused(
    context: ReviewContext, base: Sequence[Declared], head: Sequence[Declared], added: dict[str, frozenset[int]]
) -> list[checks.Problem]:
    """New runtime Python dependencies that no Python file of the head imports."""
    known = {(d.path, d.key) for d in base}
    fresh = [
        d
        for d in head
        if d.ecosystem == "pypi"
        and d.runtime
        and (d.path, d.key) not in known
        and d.line in added.get(d.path, ())
        and not d.url
        and not checks.NOT_IMPORTED.match(d.key)
    ]
    if not fresh or context.repo is None or not context.change.head:
        return []
    problems = []
    for d in fresh:
        pattern = r"^\s*(import|from)\s+(" + "|".join(sorted(checks.import_names(d))) + r")\b"
        grep = subprocess.run(
            ["git", "-C", str(context.repo), "grep", "-q", "-i", "-E", pattern, context.change.head, "--", "*.py"],
            capture_output=True,
            check=False,
            timeout=120,
        )
        if grep.returncode == 1:
            problems.append(
                checks.Problem(
                    rule="unused",
                    severity="low",
                    declared=d,
                    path=d.path,
                    line=d.line,
                    text=d.text,
                    message=f"{d.name} is added as a dependency but no Python "
                    "file imports it: drop it, or say in a comment what loads it",
                )
            )
    return problems


def _network(
    context: ReviewContext, base: Sequence[Declared], head: Sequence[Declared], added: dict[str, frozenset[int]]
) -> list[checks.Problem]:
    options = context.options
    before = {(d.path, d.key): d for d in base}
    touched = [d for d in head if d.line in added.get(d.path, ()) and before.get((d.path, d.key)) != d]
    problems: list[checks.Problem] = []
    try:
        problems += registry.vulnerabilities(touched, options["osv_url"], float(options["timeout"]))
    except registry.RegistryError as exc:
        context.note(f"OSV not consulted: {exc}")
    for d in touched:
        try:
            problems += registry.release_facts(d, (d.path, d.key) not in before, options["pypi_url"], options)
        except registry.RegistryError as exc:
            context.note(f"PyPI metadata for {d.name} not consulted: {exc}")
    return problems


def _model_findings(context: ReviewContext, added: dict[str, frozenset[int]]) -> list[Finding]:
    try:
        found = context.model.review_with_prompt(context, instructions=MODEL_INSTRUCTIONS) if context.model else []
    except ProviderError as exc:
        context.note(f"model pass not completed ({exc}); deterministic findings stand")
        return []
    return [f for f in found if f.line in added.get(f.path, ())]


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(DependencyHygiene())
