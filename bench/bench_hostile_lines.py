"""Review time of hostile lines: one line of N characters repeating what once made a regex backtrack.

    python bench/bench_hostile_lines.py [N ...]        (default: 4000 16000 64000)

Each case adds one such line to the kind of file whose reviewer reads it (the issue's `-token` line
in a YAML file, `fail_under` then blanks in pyproject.toml, ...) and runs the offline review
in-process with every built-in reviewer. Prints the reviewers' own durations (the verdicts'
duration_s), best of three: security, test integrity and the slowest of all. Linear
patterns: the time grows with N, not with its square; every figure should stay well under a second.
"""

from __future__ import annotations

import io
import sys
import tempfile
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

from benchrepo import init_repo

from reviewkit.cli import main as reviewkit_main
from reviewkit.pipeline import ReviewRequest, review


def _repeat(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


# case name -> (path, content for a line length n)
CASES: dict[str, tuple[str, Callable[[int], str]]] = {
    "-token in YAML": ("ci.yml", lambda n: f"args: {_repeat('-token', n)}\n"),
    "add_marker( in CI": (".github/workflows/ci.yml", lambda n: f"run: pytest {_repeat('add_marker(', n)}\n"),
    "fail_under + blanks": ("pyproject.toml", lambda n: f"[tool.coverage.report]\nfail_under{' ' * n}x\n"),
    "{{ in a template": ("templates/page.html", lambda n: f"<p>{_repeat('{{', n)}</p>\n"),
    "sys.argv[0] in Python": ("app/main.py", lambda n: f"MODE = '{_repeat('sys.argv[0]', n)}'\n"),
    '\\" in Python': ("app/quotes.py", lambda n: f'QUOTES = "{_repeat(chr(92) + chr(34), n)}\n'),
}


def main(argv: list[str]) -> int:
    sizes = [int(arg) for arg in argv] or [4_000, 16_000, 64_000]
    reviewers = _installed_reviewers()
    print(f"reviewers: {', '.join(reviewers)}")
    print(f"{'case':24} {'chars':>7} {'security':>9} {'test-integrity':>15}  slowest reviewer")
    worst = 0.0
    for name, (path, content) in CASES.items():
        for n in sizes:
            durations = _best_of_three(path, content(n), reviewers)
            slowest = max(durations, key=durations.__getitem__)
            worst = max(worst, durations[slowest])
            security, integrity = durations.get("security", 0.0), durations.get("test-integrity", 0.0)
            print(f"{name:24} {n:>7,} {security:>8.3f}s {integrity:>14.3f}s  {slowest} {durations[slowest]:.3f}s")
    return 0 if worst < 1.0 else 1


def _installed_reviewers() -> tuple[str, ...]:
    """Every registered reviewer, as `reviewkit reviewers` lists them (name first, details indented)."""
    listing = io.StringIO()
    with redirect_stdout(listing):
        reviewkit_main(["reviewers"])
    return tuple(line.split()[0] for line in listing.getvalue().splitlines() if line and not line[0].isspace())


def _best_of_three(path: str, text: str, reviewers: tuple[str, ...]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        git = init_repo(repo)
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        git("add", "-A")
        git("commit", "-q", "-m", "hostile line")
        best: dict[str, float] = {}
        for _ in range(3):
            report = review(ReviewRequest(repo=repo, base="HEAD~1", head="HEAD", reviewers=reviewers, offline=True))
            for verdict in report.verdicts:
                best[verdict.reviewer] = min(best.get(verdict.reviewer, float("inf")), verdict.duration_s)
        return best


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
