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
