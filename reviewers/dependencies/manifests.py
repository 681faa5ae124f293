"""Dependency manifests read into plain requirements: name, version spec, where it is declared, and how
(a direct URL or VCS reference, hashes). Python: requirements files, pyproject.toml (PEP 621, dependency
groups, Poetry), setup.cfg, setup.py (literal ``install_requires``), Pipfile. JavaScript: package.json.
Lock files are recognised by name only: what matters here is whether they changed with their manifest.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

LOCKS = {
    "poetry.lock": "pypi",
    "uv.lock": "pypi",
    "pdm.lock": "pypi",
    "Pipfile.lock": "pypi",
    "package-lock.json": "npm",
    "yarn.lock": "npm",
    "pnpm-lock.yaml": "npm",
    "npm-shrinkwrap.json": "npm",
}
_REQUIREMENTS = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|[^/]*requirements\.(txt|in)|requirements/[^/]+\.(txt|in))$"
)
_URL = re.compile(
    r"^(git\+|hg\+|svn\+|bzr\+|https?://|file:|github:|gitlab:|bitbucket:|git://|ssh://)|^[\w.-]+/[\w.-]+(#.*)?$"
)
_DEV = re.compile(r"dev|test|lint|doc|typ|check|ci|bench|example", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """One declared dependency. ``runtime`` is False for dev/test groups and files."""

    ecosystem: str  # pypi | npm
    name: str
    spec: str  # the version part as written ("==1.2", "^4.0", "" for none)
    path: str
    line: int
    text: str  # the declaring line, for evidence
    url: str = ""  # a direct URL or VCS reference
    hashed: bool = False
    runtime: bool = True

    @property
    def key(self) -> str:
        return normalise(self.name) if self.ecosystem == "pypi" else self.name

    @property
    def pinned_version(self) -> str | None:
        """The exact version when the spec pins one (``==1.2.3``, npm ``1.2.3``)."""
        if self.ecosystem == "pypi":
            match = re.fullmatch(r"===?\s*([\w.!+-]+)", self.spec.strip())
            return match.group(1) if match and "*" not in match.group(1) else None
        match = re.fullmatch(r"=?v?(\d+\.\d+\.\d+[\w.+-]*)", self.spec.strip())
        return match.group(1) if match else None


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_manifest(path: str) -> bool:
    name = PurePosixPath(path).name
    return bool(_REQUIREMENTS.search(path)) or name in (
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "Pipfile",
        "package.json",
    )


def parse(path: str, text: str) -> list[Declared]:
    """The dependencies ``path`` declares; [] for a file that is not a manifest or does not parse."""
    name = PurePosixPath(path).name
    try:
        if _REQUIREMENTS.search(path):
            return list(_requirements(path, text))
        reader = _READERS.get(name)
        return list(reader(path, text)) if reader else []
    except (ValueError, SyntaxError, tomllib.TOMLDecodeError, json.JSONDecodeError, RecursionError):
        return []


def _requirements(path: str, text: str) -> Iterator[Declared]:
    runtime = not _DEV.search(path)
    lines = text.split("\n")
    for number, raw in enumerate(lines, 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or (number > 1 and lines[number - 2].rstrip().endswith("\\")):
            continue
        full = line
        follow = number
        while full.endswith("\\") and follow < len(lines):
            full = full[:-1] + " " + lines[follow].strip()
            follow += 1
        editable = full.startswith(("-e ", "--editable "))
        if full.startswith("-") and not editable:
            continue
        item = full.split(maxsplit=1)[1] if editable else full
        declared = _pep508(item.split(" --hash")[0].strip(), path, number, raw, runtime)
        if declared is not None:
            yield replace(declared, hashed="--hash" in full)


def _pep508(item: str, path: str, line: int, text: str, runtime: bool) -> Declared | None:
    if _URL.match(item):
        egg = re.search(r"#egg=([\w.-]+)", item)
        name = egg.group(1) if egg else item.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        return Declared(
            ecosystem="pypi", name=name, spec="", path=path, line=line, text=text, url=item, runtime=runtime
        )
    try:
        req = Requirement(item)
    except InvalidRequirement:
        return None
    return Declared(
        ecosystem="pypi",
        name=req.name,
        spec=str(req.specifier),
        path=path,
        line=line,
        text=text,
        url=req.url or "",
        runtime=runtime,
    )


def _pyproject(path: str, text: str) -> Iterator[Declared]:
    data = tomllib.loads(text)
    project = data.get("project", {})
    yield from _strings(path, text, project.get("dependencies", []), runtime=True)
    # Extras and groups are optional: what they hold is often loaded by other means (plugins, entry points).
    for items in {**project.get("optional-dependencies", {}), **data.get("dependency-groups", {})}.values():
        yield from _strings(path, text, [i for i in items if isinstance(i, str)], runtime=False)
    poetry = data.get("tool", {}).get("poetry", {})
    yield from _poetry(path, text, poetry.get("dependencies", {}), runtime=True)
    for group, table in {**poetry.get("group", {})}.items():
        yield from _poetry(path, text, table.get("dependencies", {}), runtime=not _DEV.search(group))
    yield from _poetry(path, text, poetry.get("dev-dependencies", {}), runtime=False)


def _strings(path: str, text: str, items: list[Any], *, runtime: bool) -> Iterator[Declared]:
    for item in items:
        if isinstance(item, str):
            line, quoted = _line_of(text, item)
            declared = _pep508(item, path, line, quoted, runtime)
            if declared is not None:
                yield declared


def _poetry(path: str, text: str, table: Mapping[str, Any], *, runtime: bool) -> Iterator[Declared]:
    for name, value in table.items():
        if name.lower() == "python":
            continue
        line, quoted = _line_of(text, name, key=True)
        spec, url = (value, "") if isinstance(value, str) else ("", "")
        if isinstance(value, dict):
            spec = str(value.get("version", ""))
            url = str(value.get("git") or value.get("url") or value.get("path") or "")
        yield Declared(
            ecosystem="pypi",
            name=name,
            spec=_poetry_spec(spec),
            path=path,
            line=line,
            text=quoted,
            url=url,
            runtime=runtime,
        )


def _poetry_spec(spec: str) -> str:
    return f"=={spec}" if re.fullmatch(r"\d+(\.\d+)*", spec.strip()) else spec


def _setup_cfg(path: str, text: str) -> Iterator[Declared]:
    block = re.search(r"^install_requires\s*=\s*\n((?:[ \t]+.*\n?)+)", text, re.MULTILINE)
    if block:
        items = [
            line.strip() for line in block.group(1).splitlines() if line.strip() and not line.strip().startswith("#")
        ]
        yield from _strings(path, text, items, runtime=True)


def _setup_py(path: str, text: str) -> Iterator[Declared]:
    tree = ast.parse(text)
    lists = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "install_requires":
            value = lists.get(node.value.id) if isinstance(node.value, ast.Name) else node.value
            if isinstance(value, ast.List):
                items = [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                yield from _strings(path, text, items, runtime=True)


def _pipfile(path: str, text: str) -> Iterator[Declared]:
    data = tomllib.loads(text)
    yield from _poetry(path, text, {k: _pipfile_spec(v) for k, v in data.get("packages", {}).items()}, runtime=True)
    yield from _poetry(
        path, text, {k: _pipfile_spec(v) for k, v in data.get("dev-packages", {}).items()}, runtime=False
    )


def _pipfile_spec(value: Any) -> Any:
    return "" if value == "*" else value


def _package_json(path: str, text: str) -> Iterator[Declared]:
    data = json.loads(text)
    for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        table = data.get(section) if isinstance(data, dict) else None
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            spec = str(spec)
            line, quoted = _line_of(text, f'"{name}"')
            url = spec if _URL.match(spec) or spec.startswith(("git", "http", "file:", "link:")) else ""
            yield Declared(
                ecosystem="npm",
                name=name,
                spec="" if url else spec,
                path=path,
                line=line,
                text=quoted,
                url=url,
                runtime=section == "dependencies",
            )


def _line_of(text: str, needle: str, *, key: bool = False) -> tuple[int, str]:
    """The first line holding ``needle`` (as a TOML key when ``key``), and that line; (1, first line) if none."""
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if (stripped.startswith((needle, f'"{needle}"')) and "=" in stripped) if key else needle in line:
            return number, line
    return 1, lines[0] if lines else ""


_READERS = {
    "pyproject.toml": _pyproject,
    "setup.cfg": _setup_cfg,
    "setup.py": _setup_py,
    "Pipfile": _pipfile,
    "package.json": _package_json,
}
