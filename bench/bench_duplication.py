"""Benchmark: the duplication reviewer on a change to a repository of 50,000 Python files (goal: <= 5 s).

    python bench/bench_duplication.py [--files 50000] [--repo DIR]

Generates the repository once (``--repo`` keeps it between runs; it is packed with ``git gc``, as a
real repository is), then reviews a change that adds a copy of an existing function with its names and
literals changed, and 400 lines of new code. Prints the reviewer's own time and the whole run's, and
checks that the copy was found with its original.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchrepo import init_repo

from reviewkit.pipeline import ReviewRequest, review


def module(n: int) -> str:
    methods = "".join(
        f"    def method_{k}_{n}(self, items):\n        total = {k}\n        for item in items:\n"
        f"            if item.kind == 'k{(n + k) % 13}':\n                total += item.size * {k + n % 7}\n"
        f"        return total\n\n"
        for k in range(4)
    )
    return (
        f'"""Module {n}."""\n\nimport os\n\n\nclass Thing{n}:\n    def __init__(self, value):\n'
        f"        self.value = value + {n}\n\n{methods}"
    )


ORIGINAL = """
def reconcile_{n}(ledger, statements, tolerance):
    unmatched = []
    by_reference = {{entry.reference: entry for entry in ledger}}
    for statement in statements:
        entry = by_reference.pop(statement.reference, None)
        if entry is None or abs(entry.amount - statement.amount) > tolerance:
            unmatched.append((statement.reference, statement.amount))
            continue
        entry.cleared_on = statement.date
    leftovers = sorted(by_reference.values(), key=lambda e: e.booked_on)
    return unmatched, [e.reference for e in leftovers]
"""


def generate(repo: Path, files: int) -> None:
    git = init_repo(repo)
    for n in range(files):
        target = repo / f"pkg{n % 100}" / f"sub{n % 37}" / f"m{n}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        extra = ORIGINAL.format(n=n) if n == files // 2 else ""
        target.write_text(module(n) + extra, encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "generated")
    git("gc", "-q")


def change(repo: Path) -> None:
    env = {
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
        "PATH": "/usr/bin:/bin",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)

    git("checkout", "-q", "-f", "-B", "feature", "main")  # first: a kept repository may be on an old feature
    random.seed(7)
    copy = ORIGINAL.format(n="copy").replace("ledger", "book").replace("tolerance", "slack")
    fresh = "".join(
        f"def handler_{i}(request):\n    value = request.args.get('v{i}', {random.randint(0, 99)})\n"
        f"    return {{'id': {i}, 'value': int(value) * {random.randint(2, 9)}}}\n\n\n"
        for i in range(80)
    )
    (repo / "app").mkdir(exist_ok=True)
    (repo / "app" / "books.py").write_text("import os\n" + copy, encoding="utf-8")
    (repo / "app" / "handlers.py").write_text(fresh, encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "change")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repo", type=Path)
    args = parser.parse_args()
    repo = args.repo or Path(tempfile.mkdtemp(prefix="bench-dup-")) / "repo"
    if not (repo / ".git").is_dir():
        started = time.monotonic()
        generate(repo, args.files)
        print(f"generated {args.files} files in {time.monotonic() - started:.1f}s")
    change(repo)
    for attempt in range(3):
        started = time.monotonic()
        report = review(ReviewRequest(repo=repo, base="main", head="feature", reviewers=("duplication",), offline=True))
        total = time.monotonic() - started
        (verdict,) = report.verdicts
        found = [f"{f.path}:{f.line} {f.message}" for f in verdict.findings]
        print(f"run {attempt + 1}: reviewer {verdict.duration_s:.2f}s, whole run {total:.2f}s, findings: {found}")
        assert any(f"m{args.files // 2}.py" in line for line in found), "the copy was not found"


if __name__ == "__main__":
    main()
