"""The security reviewer's time on a 20,000-line added Python diff (goal: under 10 s).

    python bench/bench_security.py [SITE_PACKAGES_DIR]

The diff adds real code: Python files from the packages installed in SITE_PACKAGES_DIR (default: the
running interpreter's stdlib), taken in sorted order until 20,000 lines. Prints the reviewer's own
duration (the verdict's duration_s) and the whole run's wall time, best of three.
"""

from __future__ import annotations

import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from benchrepo import copy_modules, init_repo

from reviewkit.pipeline import ReviewRequest, review

TARGET_LINES = 20_000


def main(argv: list[str]) -> int:
    source_root = Path(argv[0]) if argv else Path(sysconfig.get_paths()["stdlib"])
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        lines, files = _build_repo(source_root, repo)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            report = review(ReviewRequest(repo=repo, base="HEAD~1", head="HEAD", reviewers=("security",), offline=True))
            runs.append((time.perf_counter() - started, report.verdicts[0]))
    wall, verdict = min(runs, key=lambda run: run[0])
    print(f"diff: {files} files, {lines} added Python lines from {source_root}")
    print(
        f"security reviewer: {verdict.duration_s:.2f}s (whole run {wall:.2f}s, best of 3); "
        f"{len(verdict.findings)} findings; status {verdict.status.value}"
    )
    return 0 if verdict.duration_s < 10 else 1


def _build_repo(source_root: Path, repo: Path) -> tuple[int, int]:
    git = init_repo(repo)
    skip = frozenset({"test", "site-packages"})
    added = copy_modules([(source_root, repo / "src", skip)], enough=lambda lines, _, __: lines >= TARGET_LINES)
    git("add", "-A")
    git("commit", "-q", "-m", "add sources")
    return added


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
