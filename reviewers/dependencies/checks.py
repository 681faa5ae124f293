"""The offline checks: what a change does to its declared dependencies (pins loosened, hashes dropped,
direct URL/VCS references, names one edit from a popular package, manifests changed without their lock
file) and imports it adds that no manifest declares, or declarations nothing imports."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .manifests import LOCKS, Declared, normalise

# Distributions whose import name differs from their own (the common cases; others compare normalised).
IMPORT_NAMES = {
    "pyyaml": "yaml",
    "beautifulsoup4": "bs4",
    "pillow": "PIL",
    "scikit-learn": "sklearn",
    "opencv-python": "cv2",
    "opencv-python-headless": "cv2",
    "python-dateutil": "dateutil",
    "attrs": "attr",
    "protobuf": "google",
    "psycopg2-binary": "psycopg2",
    "psycopg-binary": "psycopg",
    "pyjwt": "jwt",
    "python-dotenv": "dotenv",
    "typing-extensions": "typing_extensions",
    "msgpack-python": "msgpack",
    "pymysql": "pymysql",
    "google-cloud-storage": "google",
    "google-api-python-client": "googleapiclient",
    "pyzmq": "zmq",
    "python-multipart": "multipart",
    "djangorestframework": "rest_framework",
    "scikit-image": "skimage",
    "pycryptodome": "Crypto",
    "pyopenssl": "OpenSSL",
    "setuptools": "pkg_resources",
    "ruamel-yaml": "ruamel",
    "markdown-it-py": "markdown_it",
    "importlib-metadata": "importlib_metadata",
    "pygobject": "gi",
}
# Declared for what they do outside ``import`` (servers, tools, plugins, drivers loaded by name).
NOT_IMPORTED = re.compile(
    r"^(types-.*|.*-stubs|pytest-.*|flake8-.*|sphinx.*|mypy|ruff|black|isort|tox|nox|pre-commit|coverage|gunicorn|"
    r"uvicorn|hypercorn|wheel|setuptools|pip|build|twine|hatchling|poetry-core|psycopg.*|mysqlclient|"
    r"uwsgi|supervisor|celery|ipython|jupyter.*|[^\[\n]*\[.*\])$"  # from the first '[': one try, not one per '['
)
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+(\w+)[\w.]*\s+import\s|import\s+(\w+))")
_SKIP_PATHS = re.compile(
    r"(^|/)(tests?|docs?|examples?|scripts?|benchmarks?|bench)/|(^|/)(test_[^/]*|conftest|setup|noxfile)\.py$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    rule: str
    severity: str
    declared: Declared | None
    path: str
    line: int
    text: str
    message: str


def compare(base: Sequence[Declared], head: Sequence[Declared], added: dict[str, frozenset[int]]) -> list[Problem]:
    """What the change does to each declaration it added or edited (only lines the diff added count)."""
    before = {(d.path, d.ecosystem, d.key): d for d in base}
    problems = []
    for d in head:
        if d.line not in added.get(d.path, frozenset()):
            continue
        old = before.get((d.path, d.ecosystem, d.key))
        problems.extend(_edits(d, old))
    return problems


def _edits(d: Declared, old: Declared | None) -> Iterable[Problem]:
    if d.url and (old is None or not old.url):
        yield _problem(
            "direct-reference",
            "medium",
            d,
            f"{d.name} comes from {d.url!r}, not a registry release: "
            "no version to audit or pin, and whoever controls that address controls the code installed",
        )
    if old is None:
        squat = typosquat(d)
        if squat:
            yield _problem(
                "typosquat",
                "high",
                d,
                f"{d.name!r} is one edit away from the popular {squat!r} and is not "
                "itself a popular package: check that it is the package you meant",
            )
        return
    if old.pinned_version and not d.pinned_version and not d.url:
        yield _problem(
            "pin-loosened",
            "medium",
            d,
            f"{d.name} was pinned to {old.pinned_version} and is now "
            f"{d.spec or 'unpinned'}: installs will pick up releases nobody reviewed",
        )
    if old.hashed and not d.hashed:
        yield _problem(
            "hashes-dropped",
            "medium",
            d,
            f"{d.name} lost its --hash entries: the install no longer checks that the files are the ones reviewed",
        )


def _problem(rule: str, severity: str, d: Declared, message: str) -> Problem:
    return Problem(rule=rule, severity=severity, declared=d, path=d.path, line=d.line, text=d.text, message=message)


@functools.cache
def popular(ecosystem: str) -> tuple[str, ...]:
    text = (Path(__file__).parent / f"popular-{ecosystem}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@functools.cache
def _popular_keys(ecosystem: str) -> frozenset[str]:
    return frozenset(normalise(n) if ecosystem == "pypi" else n for n in popular(ecosystem))


def typosquat(d: Declared, top: int = 1000) -> str | None:
    """The popular name (among the ``top`` most downloaded) ``d`` is one edit away from, if it is not popular."""
    key = d.key
    if len(key) < 5 or key in _popular_keys(d.ecosystem):
        return None
    for name in popular(d.ecosystem)[:top]:
        target = normalise(name) if d.ecosystem == "pypi" else name
        if abs(len(target) - len(key)) <= 1 and _one_edit(key, target):
            return name
    return None


def _one_edit(a: str, b: str) -> bool:
    """Damerau distance exactly 1 (one insertion, deletion, substitution or swap of neighbours)."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = sorted((a, b), key=len)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


def lock_drift(
    base: Sequence[Declared], head: Sequence[Declared], changed: set[str], locks_at_head: set[str]
) -> list[Problem]:
    """Manifests whose dependencies changed while the lock file beside them did not."""
    problems = []
    for path in sorted({d.path for d in head} | {d.path for d in base}):
        name = PurePosixPath(path).name
        if name not in ("pyproject.toml", "Pipfile", "package.json"):
            continue
        old = {(d.key, d.spec, d.url) for d in base if d.path == path}
        new = [d for d in head if d.path == path]
        edited = [d for d in new if (d.key, d.spec, d.url) not in old]
        if not edited and len(new) == len(old):
            continue
        folder = str(PurePosixPath(path).parent)
        ecosystem = "npm" if name == "package.json" else "pypi"
        beside = [
            f"{folder}/{lock}".lstrip("./") if folder != "." else lock
            for lock, eco in LOCKS.items()
            if eco == ecosystem
        ]
        present = [lock for lock in beside if lock in locks_at_head]
        if present and not any(lock in changed for lock in present) and edited:
            d = edited[0]
            problems.append(
                _problem(
                    "lock-drift",
                    "medium",
                    d,
                    f"{path} changes {d.name} but {present[0]} was not "
                    "updated: installs from the lock will not get it (regenerate the lock file)",
                )
            )
    return problems


def import_names(d: Declared) -> set[str]:
    key = d.key
    return {IMPORT_NAMES.get(key, key.replace("-", "_")), key.replace("-", "_"), key.replace("-", "")}


def undeclared(
    path: str,
    lines: Sequence[str],
    added: Iterable[int],
    declared: Iterable[Declared],
    first_party: set[str],
    optional: set[int],
) -> list[Problem]:
    """Added imports of third-party modules no Python manifest of the repository declares."""
    if _SKIP_PATHS.search(path):
        return []
    known = {name.lower() for d in declared if d.ecosystem == "pypi" for name in import_names(d)}
    problems = []
    for number in sorted(added):
        match = _IMPORT_LINE.match(lines[number - 1]) if number <= len(lines) else None
        module = (match.group(1) or match.group(2)) if match else None
        if not module or number in optional or module in sys.stdlib_module_names or module == "__future__":
            continue
        if module in first_party or module.lower() in known:
            continue
        problems.append(
            Problem(
                rule="undeclared",
                severity="medium",
                declared=None,
                path=path,
                line=number,
                text=lines[number - 1],
                message=f"imports {module}, which no manifest of the "
                "repository declares: add it to the dependencies (or it works only where "
                "something else happened to install it)",
            )
        )
    return problems
