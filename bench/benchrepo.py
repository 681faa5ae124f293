"""A scratch git repository for benchmarks: a base commit on main, then whatever the benchmark adds."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def init_repo(repo: Path) -> Callable[..., None]:
    """Create ``repo`` with one base commit on main; returns ``git(*args)`` bound to it."""
    env = {**os.environ, **_IDENTITY}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    repo.mkdir(parents=True)
    git("init", "-q", "-b", "main")
    (repo / "README.md").write_text("bench\n", encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    return git


def releases_repos(sdists: list[Path], workdir: Path) -> list[tuple[str, Path, str, str]]:
    """One git repository per package with each sdist of it committed in version order; returns every
    consecutive pair as ``(label, repo, base sha, head sha)``."""
    import tarfile

    by_package: dict[str, list[tuple[tuple[int, ...], Path]]] = {}
    for sdist in sdists:
        name, _, version = sdist.name.removesuffix(".tar.gz").rpartition("-")
        key = tuple(int(p) for p in version.split(".") if p.isdigit())
        by_package.setdefault(name.lower().replace("_", "-"), []).append((key, sdist))
    pairs = []
    for name, versions in sorted(by_package.items()):
        versions.sort()
        repo = workdir / name
        git = init_repo(repo)
        shas = []
        for _, sdist in versions:
            for child in repo.iterdir():
                if child.name != ".git":
                    subprocess.run(["rm", "-rf", str(child)], check=True)
            with tarfile.open(sdist) as archive:
                top = archive.getnames()[0].split("/")[0]
                archive.extractall(workdir / "x", filter="data")
            subprocess.run(["cp", "-a", f"{workdir / 'x' / top}/.", f"{repo}/"], check=True)
            subprocess.run(["rm", "-rf", str(workdir / "x")], check=True)
            git("add", "-A")
            git("commit", "-q", "--allow-empty", "-m", sdist.name)
            shas.append(
                subprocess.run(
                    ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
                ).stdout.strip()
            )
        for (_, before), (_, after), base, head in zip(versions, versions[1:], shas, shas[1:], strict=False):
            pairs.append(
                (f"{before.name.removesuffix('.tar.gz')} -> {after.name.removesuffix('.tar.gz')}", repo, base, head)
            )
    return pairs
