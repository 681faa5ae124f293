"""The security reviewer's whole pass against bandit alone on the same files, and a 70,000-line patch.

    python bench/bench_security_speed.py [SOURCE_DIR] [--lines N]

The same Python files (from SOURCE_DIR, default the running interpreter's stdlib, tests excluded, in sorted
order until N added lines; default 20,000) are (a) scanned by bandit alone, in-process with its default
settings, as ``bandit -r`` would, and (b) added by one commit and reviewed by the security reviewer
(``reviewkit review --reviewer security --offline``): bandit on the shared parse, reviewkit's rules, the
secrets scan. Prints best-of-three seconds for each and their ratio (goal: at most 1.2), then the same
review of a 70,000-added-line patch (goal: at most 10 s). Exits 1 when a goal is missed.

Both are measured in CPU seconds of this process and the processes it waited for (the reviewer runs in a
forked child, with its own worker on a big change; git's processes are counted too), so that other load on
a shared machine does not skew the ratio; wall-clock seconds are printed beside them.
"""

from __future__ import annotations

import resource
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchrepo import copy_modules, init_repo

from reviewers.security import bandit_scan
from reviewkit.pipeline import ReviewRequest, review


def main(argv: list[str]) -> int:
    lines = int(argv[argv.index("--lines") + 1]) if "--lines" in argv else 20_000
    args = [a for i, a in enumerate(argv) if a != "--lines" and (i == 0 or argv[i - 1] != "--lines")]
    source_root = Path(args[0]) if args else Path(sysconfig.get_paths()["stdlib"])
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        added, files = _build_repo(source_root, repo, lines)
        paths = sorted((repo / "src").rglob("*.py"))
        _review(repo)  # warm-up: bandit's plugins load once per process, as in a real run
        bandit_cpu, bandit_wall = _best(lambda: bandit_scan.run_default(paths))
        ours_cpu, ours_wall = _best(lambda: _review(repo))
        big_repo = Path(tmp) / "big"
        big_added, big_files = _build_repo(source_root, big_repo, 70_000)
        big_cpu, big_wall = _best(lambda: _review(big_repo), runs=1)
    ratio = ours_cpu / bandit_cpu
    print(f"files: {files} ({added} added Python lines) from {source_root}")
    print(
        f"bandit alone: {bandit_cpu:.2f} s CPU ({bandit_wall:.2f} s wall); security review (whole run): "
        f"{ours_cpu:.2f} s CPU ({ours_wall:.2f} s wall); ratio {ratio:.2f} (goal <= 1.2)"
    )
    print(f"{big_added}-line patch ({big_files} files): {big_cpu:.2f} s CPU ({big_wall:.2f} s wall) (goal <= 10 s)")
    return 0 if ratio <= 1.2 and big_cpu <= 10 else 1


def _review(repo: Path) -> None:
    report = review(ReviewRequest(repo=repo, base="HEAD~1", head="HEAD", reviewers=("security",), offline=True))
    (verdict,) = report.verdicts
    if verdict.error:
        raise SystemExit(f"review failed: {verdict.error}")


def _best(run: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the fastest of ``runs``."""
    times = []
    for _ in range(runs):
        cpu, wall = _cpu(), time.perf_counter()
        run()
        times.append((_cpu() - cpu, time.perf_counter() - wall))
    return min(times)


def _cpu() -> float:
    """CPU seconds of this process and of every child it has waited for (reviewers, their workers, git)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _build_repo(source_root: Path, repo: Path, target: int) -> tuple[int, int]:
    git = init_repo(repo)
    skip = frozenset({"test", "tests", "site-packages", "idlelib"})
    added = copy_modules([(source_root, repo / "src", skip)], enough=lambda lines, _, __: lines >= target)
    git("add", "-A")
    git("commit", "-q", "-m", "add sources")
    return added


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
