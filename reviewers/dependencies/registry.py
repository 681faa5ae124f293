"""The network checks, opt-in (``network = true``): known vulnerabilities from the OSV database for the
versions a change adds or changes, and from PyPI's JSON API whether a release is yanked, younger than
``min_release_age_days``, ``max_majors_behind`` majors behind the latest, or (for a package new to the
project) published as an sdist only, so that installing it runs its setup.py.

Plain HTTPS GETs and one POST with nothing but package names and versions: no credentials are sent. A
registry that fails or answers garbage is noted in the verdict; the offline findings stand.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from packaging.version import InvalidVersion, Version

from .checks import Problem
from .manifests import Declared

_OSV_ECOSYSTEM = {"pypi": "PyPI", "npm": "npm"}


class RegistryError(Exception):
    """A registry could not be asked or did not answer in the expected shape."""


def _fetch(url: str, timeout: float, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", "User-Agent": "reviewkit dependency-hygiene"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read(5_000_000))
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise RegistryError(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise RegistryError(f"{url}: {exc}") from exc


def vulnerabilities(declared: Sequence[Declared], osv_url: str, timeout: float) -> list[Problem]:
    """One finding per pinned dependency with known vulnerabilities, naming their ids."""
    pinned = [d for d in declared if d.pinned_version and d.ecosystem in _OSV_ECOSYSTEM]
    if not pinned:
        return []
    queries = [
        {"package": {"name": d.name, "ecosystem": _OSV_ECOSYSTEM[d.ecosystem]}, "version": d.pinned_version}
        for d in pinned
    ]
    answer = _fetch(f"{osv_url.rstrip('/')}/v1/querybatch", timeout, {"queries": queries})
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != len(pinned):
        raise RegistryError("OSV answered in an unexpected shape")
    problems = []
    for d, result in zip(pinned, results, strict=True):
        ids = sorted(str(v.get("id")) for v in (result or {}).get("vulns", []) if isinstance(v, dict))
        if ids:
            shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
            problems.append(
                Problem(
                    rule="known-vulnerability",
                    severity="high",
                    declared=d,
                    path=d.path,
                    line=d.line,
                    text=d.text,
                    message=f"{d.name} {d.pinned_version} has known vulnerabilities "
                    f"({shown}; osv.dev): pick a fixed release",
                )
            )
    return problems


def release_facts(
    d: Declared, new: bool, pypi_url: str, options: Mapping[str, Any], now: datetime | None = None
) -> list[Problem]:
    """Yanked, very new, far behind, or sdist-only: what PyPI's metadata says about ``d``'s release."""
    if d.ecosystem != "pypi" or d.url:
        return []
    data = _fetch(f"{pypi_url.rstrip('/')}/pypi/{d.name}/json", float(options["timeout"]))
    if not isinstance(data, dict) or not isinstance(data.get("releases"), dict):
        return []
    latest = str(data.get("info", {}).get("version", ""))
    version = d.pinned_version or latest
    files = data["releases"].get(version) or []
    found = []
    if any(f.get("yanked") for f in files):
        found.append(("yanked", "high", f"{d.name} {version} was yanked from PyPI"))
    age = _age_days(files, now or datetime.now(UTC))
    if d.pinned_version and age is not None and age < options["min_release_age_days"]:
        found.append(
            (
                "new-release",
                "medium",
                f"{d.name} {version} was published {age:.0f} day(s) ago; give a "
                f"release {options['min_release_age_days']} days before depending on it (hijacked releases "
                "are usually caught within days)",
            )
        )
    behind = _majors_behind(version, latest)
    if d.pinned_version and behind >= options["max_majors_behind"]:
        found.append(("outdated", "low", f"{d.name} {version} is {behind} major versions behind {latest}"))
    if new and files and not any(f.get("packagetype") == "bdist_wheel" for f in files):
        found.append(
            (
                "install-time-code",
                "medium",
                f"{d.name} {version} is published as an sdist only: installing "
                "it runs its setup.py on every machine that installs the project",
            )
        )
    return [
        Problem(rule=r, severity=s, declared=d, path=d.path, line=d.line, text=d.text, message=m) for r, s, m in found
    ]


def _age_days(files: Sequence[Mapping[str, Any]], now: datetime) -> float | None:
    stamps = []
    for f in files:
        try:
            stamps.append(datetime.fromisoformat(str(f.get("upload_time_iso_8601", "")).replace("Z", "+00:00")))
        except ValueError:
            continue
    return (now - min(stamps)).total_seconds() / 86400 if stamps else None


def _majors_behind(version: str, latest: str) -> int:
    try:
        return max(Version(latest).major - Version(version).major, 0)
    except InvalidVersion:
        return 0
