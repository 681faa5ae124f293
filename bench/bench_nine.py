"""Benchmark: all nine built-in reviewers against security and test-integrity alone, on a 20-commit range
of a real project (goal: nine <= 2x the two).

    python bench/bench_nine.py [--repo DIR] [--range BASE..HEAD] [--runs 3]

Defaults to this repository and the 20 commits before its first API commit (7a21011~20..7a21011).
Offline; the runs alternate between the two selections so that machine load weighs on both alike.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from reviewkit.pipeline import ReviewRequest, review

TWO = ("security", "test-integrity")
NINE = (
    *TWO,
    "goal-adherence",
    "dependency-hygiene",
    "architecture",
    "duplication",
    "performance",
    "concurrency",
    "idioms",
)


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(repo: Path, base: str, head: str, reviewers: tuple[str, ...]) -> tuple[float, float, dict[str, float], int]:
    cpu = cpu_seconds()
    started = time.monotonic()
    report = review(ReviewRequest(repo=repo, base=base, head=head, reviewers=reviewers, offline=True))
    per = {v.reviewer: v.duration_s for v in report.verdicts}
    errors = [v.reviewer for v in report.verdicts if v.error]
    assert not errors, f"reviewers failed: {errors}"
    wall = time.monotonic() - started
    return wall, cpu_seconds() - cpu, per, sum(len(v.findings) for v in report.verdicts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--range", default="7a21011~20..7a21011")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base, head = args.range.split("..")
    walls: dict[tuple[str, ...], list[float]] = {TWO: [], NINE: []}
    cpus: dict[tuple[str, ...], list[float]] = {TWO: [], NINE: []}
    for _ in range(args.runs):
        for selection in (TWO, NINE):
            wall, cpu, per, findings = timed(args.repo, base, head, selection)
            walls[selection].append(wall)
            cpus[selection].append(cpu)
            slowest = sorted(per.items(), key=lambda kv: -kv[1])[:4]
            print(
                f"{len(selection)} reviewers: {wall:.2f}s wall, {cpu:.2f}s CPU, {findings} findings; slowest "
                + ", ".join(f"{name} {s:.2f}s" for name, s in slowest),
                flush=True,
            )
    two, nine = statistics.median(walls[TWO]), statistics.median(walls[NINE])
    print(f"median wall: security+test-integrity {two:.2f}s, all nine {nine:.2f}s = {nine / two:.2f}x (goal <= 2x)")
    two, nine = statistics.median(cpus[TWO]), statistics.median(cpus[NINE])
    print(f"median CPU:  security+test-integrity {two:.2f}s, all nine {nine:.2f}s = {nine / two:.2f}x")


if __name__ == "__main__":
    main()
