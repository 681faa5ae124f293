"""Benchmark: what the test gate's sandbox costs, per tier, on a small real test suite (idna's own tests).

    pip download -q --no-deps --no-binary :all: idna==3.10 -d $TMPDIR/sbx
    tar xzf $TMPDIR/sbx/idna-3.10.tar.gz -C $TMPDIR/sbx
    python bench/bench_sandbox.py $TMPDIR/sbx/idna-3.10 [--runs 9] [--command "python -m pytest -q tests"]
    python bench/bench_sandbox.py $TMPDIR/sbx/idna-3.10 --once --tier userns    # one gate, for a
                                                                                # whole-process timer

The project is committed into a scratch repository and the gate's integration workspace is made as the
fix stage makes it. Then the test command runs through ``run_sandboxed`` in every tier that works here
(``REVIEWKIT_SANDBOX`` forces each), and once more straight through ``/bin/sh`` with the same
environment (``direct``: the gate before the sandbox, for reference). Prints one JSON object: median,
minimum and maximum seconds per tier, and the one-time cost of finding the tier (the probe). Not part
of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchrepo import init_repo

from reviewkit.sandbox import SandboxError, choose_isolation, run_sandboxed, sandbox_environment
from reviewkit.workspace import WorkspaceFactory

TIERS = ("direct", "none", "userns", "privileged")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="a project directory with a test suite (see the docstring)")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--command", default=f"{sys.executable} -m pytest -q -p no:cacheprovider tests")
    parser.add_argument("--once", action="store_true", help="run one gate in --tier and exit")
    parser.add_argument("--tier", choices=TIERS, default="privileged")
    args = parser.parse_args(argv)
    if not args.project.is_dir():
        print(f"{args.project}: not a directory (see this file's docstring)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="reviewkit-bench-sandbox-") as scratch:
        repo = Path(scratch) / "repo"
        commit_project(args.project, repo)
        with WorkspaceFactory(repo, "HEAD", parent=Path(scratch)) as factory:
            workspace = factory.create().root
            if args.once:
                seconds = gate(args.tier, args.command, workspace)
                print(json.dumps({"tier": args.tier, "seconds": round(seconds, 3)}))
                return 0
            print(json.dumps(compare(args.command, workspace, args.runs), indent=2))
    return 0


def commit_project(project: Path, repo: Path) -> None:
    git = init_repo(repo)
    shutil.copytree(project, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    git("add", "-A")
    git("commit", "-q", "-m", "project")


def gate(tier: str, command: str, workspace: Path) -> float:
    """One gate in ``tier``; its wall time. Raises when the tests do not pass (a broken bench)."""
    started = time.perf_counter()
    if tier == "direct":
        proc = subprocess.run(
            ["/bin/sh", "-c", command], cwd=workspace, env=sandbox_environment(), capture_output=True, check=False
        )
        passed, tail = proc.returncode == 0, proc.stdout.decode(errors="replace")[-500:]
    else:
        os.environ["REVIEWKIT_SANDBOX"] = tier
        run = run_sandboxed(command, workspace, timeout_s=600)
        passed, tail = run.passed, run.output_tail[-500:]
    if not passed:
        raise SystemExit(f"the test command failed in tier {tier}:\n{tail}")
    return time.perf_counter() - started


def compare(command: str, workspace: Path, runs: int) -> dict[str, object]:
    results: dict[str, object] = {"command": command, "runs": runs, "probe_s": round(timed(choose_isolation), 3)}
    for tier in TIERS:
        try:
            gate(tier, command, workspace)  # warm-up (and: does this tier work here?)
        except SandboxError as exc:
            results[tier] = f"unavailable: {exc}"
            continue
        times = [gate(tier, command, workspace) for _ in range(runs)]
        results[tier] = {
            "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3),
            "max_s": round(max(times), 3),
        }
    os.environ.pop("REVIEWKIT_SANDBOX", None)
    return results


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
