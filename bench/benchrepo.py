"""A scratch git repository for benchmarks: a base commit on main, then whatever the benchmark adds."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterable
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


def copy_modules(
    sources: Iterable[tuple[Path, Path, frozenset[str]]], enough: Callable[[int, int, int], bool]
) -> tuple[int, int]:
    """Real code for a benchmark's change: for each ``(root, destination, skip)``, the whole Python modules
    of ``root`` in sorted order (none under a folder named in ``skip``) written under ``destination``,
    until ``enough(lines, files, bytes)`` of all written so far. Returns (lines, files)."""
    lines = files = size = 0
    for root, destination, skip in sources:
        for path in sorted(root.rglob("*.py")):
            if enough(lines, files, size):
                return lines, files
            if skip & set(path.relative_to(root).parts):
                continue
            take = path.read_text(encoding="utf-8", errors="replace").split("\n")  # whole files: a cut
            text = "\n".join(take) + "\n"  # one would not parse, and would not be reviewed
            target = destination / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            lines, files, size = lines + len(take), files + 1, size + len(text.encode("utf-8"))
    return lines, files


def release_history(sdists: list[Path], root: Path) -> list[tuple[str, Path, str, str]]:
    """Consecutive releases of each package among ``sdists`` (``pip download --no-deps --no-binary :all:
    pkg==A pkg==B``) as commits of one git repository per package under ``root``: ``(label, repo, base,
    head)`` for every release and the one before it."""
    by_package: dict[str, list[tuple[tuple[int, ...], Path]]] = {}
    for sdist in sdists:
        name, _, version = sdist.name.removesuffix(".tar.gz").rpartition("-")
        key = tuple(int(p) for p in version.split(".") if p.isdigit())
        by_package.setdefault(name.lower().replace("_", "-"), []).append((key, sdist))
    pairs = []
    for name, versions in sorted(by_package.items()):
        versions.sort()
        repo = root / name
        git = init_repo(repo)
        shas = [_commit_release(repo, sdist, root, git) for _, sdist in versions]
        for (_, before), (_, after), base, head in zip(versions, versions[1:], shas, shas[1:], strict=False):
            label = f"{before.name.removesuffix('.tar.gz')} -> {after.name.removesuffix('.tar.gz')}"
            pairs.append((label, repo, base, head))
    return pairs


def _commit_release(repo: Path, sdist: Path, root: Path, git: Callable[..., None]) -> str:
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    unpacked = root / "unpacked"
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    (top,) = list(unpacked.iterdir())
    for item in top.iterdir():
        shutil.move(str(item), repo / item.name)
    shutil.rmtree(unpacked)
    git("add", "-A")
    git("commit", "-q", "--allow-empty", "-m", sdist.name)
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True)
    return out.stdout.strip()
