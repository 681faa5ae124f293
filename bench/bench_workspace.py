"""Benchmark: creating 6 workspaces over a generated repository of 50,000 files.

    python bench/bench_workspace.py [--files 50000] [--workspaces 6]

Measures each backend as reviewkit uses it (overlay over the checkout; a worktree sparse to the
changed files; a plain copy) against ``git worktree add`` of the whole tree, and prints one JSON
object. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from reviewkit.workspace import WorkspaceFactory, can_mount

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=ENV, check=True, capture_output=True, text=True).stdout


def generate(root: Path, files: int) -> list[str]:
    """A repository of ``files`` small Python files in 100 packages; returns 10 'changed' paths."""
    git(root, "init", "-q", "-b", "main")
    paths = []
    for n in range(files):
        path = f"pkg{n % 100:03}/sub{n // 100 % 10}/mod{n}.py"
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"VALUE_{n} = {n}\n\n\ndef f{n}(x):\n    return x + {n}\n")
        paths.append(path)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "generated")
    return paths[:: max(files // 10, 1)][:10]


def timed_workspaces(repo: Path, parent: Path, backend: str, count: int, sparse: list[str] | None) -> dict[str, float]:
    factory_started = time.perf_counter()
    factory = WorkspaceFactory(repo, "HEAD", parent=parent, backends=(backend,))
    try:
        started = time.perf_counter()
        setups = []
        for _ in range(count):
            workspace = factory.create(sparse=sparse)
            workspace.root  # noqa: B018 - made on first use
            setups.append(workspace.setup_s)
        total = time.perf_counter() - started
        cleanup_started = time.perf_counter()
    finally:
        factory.close()
    return {
        "total_ms": round(total * 1000, 1),
        "each_ms": [round(s * 1000, 1) for s in setups],
        "with_factory_ms": round((time.perf_counter() - factory_started) * 1000, 1),
        "cleanup_ms": round((time.perf_counter() - cleanup_started) * 1000, 1),
    }


def full_worktrees(repo: Path, parent: Path, count: int) -> dict[str, float]:
    targets = [parent / f"full-{n}" for n in range(count)]
    started = time.perf_counter()
    for target in targets:
        git(repo, "worktree", "add", "-q", "--detach", str(target), "HEAD")
    total = time.perf_counter() - started
    for target in targets:
        git(repo, "worktree", "remove", "--force", str(target))
    return {"total_ms": round(total * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--workspaces", type=int, default=6)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="reviewkit-bench-"))
    try:
        repo = base / "repo"
        repo.mkdir()
        changed = generate(repo, args.files)
        parent = base / "ws"
        parent.mkdir()
        results: dict[str, object] = {"files": args.files, "workspaces": args.workspaces}
        if can_mount(str(parent)):
            results["overlay"] = timed_workspaces(repo, parent, "overlay", args.workspaces, None)
        else:
            results["overlay"] = "skipped: this process may not mount"
        results["worktree_sparse"] = timed_workspaces(repo, parent, "worktree", args.workspaces, changed)
        results["git_worktree_add_full"] = full_worktrees(repo, parent, args.workspaces)
        results["copy"] = timed_workspaces(repo, parent, "copy", 1, None)
        sparse_ms = results["worktree_sparse"]["total_ms"]  # type: ignore[index]
        results["full_over_sparse_ratio"] = round(results["git_worktree_add_full"]["total_ms"] / sparse_ms, 1)  # type: ignore[index]
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
