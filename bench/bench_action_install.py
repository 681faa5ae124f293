"""How long the Action takes to get reviewkit ready: a fresh install against a cached one.

Runs the action's own step scripts from action.yml (the key step and the install step) on a copy of
this checkout, as the runner would:

- fresh: no cache; ``python -m venv`` and ``pip install`` of the action, with pip's download cache
  empty, so every wheel comes from the package index (as on a new runner);
- cached: the environment the fresh run built, packed with tar (actions/cache packs with tar and
  zstd) and unpacked again, then the install step with ``CACHE_HIT=true``, which only checks that
  ``reviewkit --version`` runs. The cache service's download time is not included.

Run: python bench/bench_action_install.py [RUNS]   (default 3; needs the package index)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def step_script(step_id: str) -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    return next(step["run"] for step in steps if step.get("id") == step_id)


def run_step(step_id: str, env: dict[str, str], scratch: Path) -> float:
    output = scratch / "github-output"
    output.write_text("")
    started = time.perf_counter()
    subprocess.run(
        ["bash", "-c", step_script(step_id)],
        env={**os.environ, **env, "GITHUB_OUTPUT": str(output)},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def one_round(scratch: Path, action: Path) -> tuple[float, float]:
    venv = scratch / "reviewkit-venv"
    env = {
        "PYTHON": sys.executable,
        "ACTION_PATH": str(action),
        "VENV": str(venv),
        "PYTHON_VERSION": ".".join(map(str, sys.version_info[:3])),
        "RUNNER_KIND": "Linux-X64",
        "PIP_CACHE_DIR": str(scratch / "pip-cache"),  # empty: every wheel is downloaded
    }
    fresh = run_step("key", env, scratch) + run_step("install", {**env, "CACHE_HIT": ""}, scratch)
    archive = scratch / "cache.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(venv, arcname="reviewkit-venv")
    shutil.rmtree(venv)  # a new runner has no environment yet (deleting one is not part of a real run)
    cached = run_step("key", env, scratch)
    started = time.perf_counter()
    with tarfile.open(archive) as tar:  # the restore: tar in Python, slower than actions/cache's native tar
        tar.extractall(scratch, filter="tar")
    cached += time.perf_counter() - started + run_step("install", {**env, "CACHE_HIT": "true"}, scratch)
    return fresh, cached


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    fresh, cached = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="rk-action-bench-") as folder:
            scratch = Path(folder)
            action = scratch / "action"
            shutil.copytree(ROOT, action, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info"))
            one_fresh, one_cached = one_round(scratch, action)
        fresh.append(one_fresh)
        cached.append(one_cached)
        print(f"fresh install {one_fresh:6.1f} s   cached {one_cached:5.2f} s", flush=True)
    print(f"median of {runs}: fresh {statistics.median(fresh):.1f} s, cached {statistics.median(cached):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
