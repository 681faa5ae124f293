"""performance: static patterns warn; only a measured regression of ``bench_command`` (base vs head, by
median) blocks, quoting both figures."""

from __future__ import annotations

import re

import pytest
from conftest import GitRepo, assert_valid

from reviewkit.pipeline import ReviewRequest, review

BENCH = "import time\n\ntime.sleep({delay})\nprint('score {score}')\n"


def performance(repo: GitRepo):
    report = review(ReviewRequest(repo=repo.root, base="main", head="HEAD", reviewers=("performance",)))
    assert_valid("report", report.to_dict())
    return report


@pytest.fixture
def bench_repo(repo: GitRepo) -> GitRepo:
    repo.config('[reviewer.performance.options]\nbench_command = "python bench.py"\nbench_repeat = 3\n')
    repo.commit("base", **{"bench.py": BENCH.format(delay=0.05, score=100), "lib.py": "X = 1\n"})
    repo.branch("feature")
    return repo


def test_a_slower_head_blocks_and_quotes_both_medians(bench_repo: GitRepo) -> None:
    bench_repo.commit("slower", **{"bench.py": BENCH.format(delay=0.4, score=100)})
    report = performance(bench_repo)
    (finding,) = report.verdicts[0].findings
    assert finding.rule == "performance/measured-regression" and finding.blocking
    figures = re.search(r"base median ([\d.]+) s, head median ([\d.]+) s over 3 runs each", finding.message)
    assert figures and float(figures[2]) - float(figures[1]) > 0.3
    assert "over the 10% allowed" in finding.message
    assert report.exit_code == 1 and report.decision.value == "CONTINUE_DEVELOPMENT"


def test_a_head_within_the_limit_passes_with_the_figures_noted(bench_repo: GitRepo) -> None:
    # The same benchmark on both sides; a generous limit, since a busy machine makes timings noisy.
    bench_repo.config(
        '[reviewer.performance.options]\nbench_command = "python bench.py"\nbench_repeat = 3\nmax_regression = 2.0\n'
    )
    bench_repo.commit("same", **{"lib.py": "X = 2\n"})
    report = performance(bench_repo)
    (verdict,) = report.verdicts
    assert verdict.findings == () and report.exit_code == 0
    assert "benchmark: 'python bench.py': base median" in verdict.summary


def test_a_figure_read_from_the_output_is_compared(bench_repo: GitRepo) -> None:
    bench_repo.config(
        '[reviewer.performance.options]\nbench_command = "python bench.py"\nbench_repeat = 2\n'
        "bench_pattern = 'score (\\d+)'\nmax_regression = 0.5\n"
    )
    bench_repo.git("add", "-A")
    bench_repo.git("commit", "-q", "-m", "config")
    bench_repo.git("checkout", "-q", "main")
    bench_repo.git("merge", "-q", "feature")
    bench_repo.git("checkout", "-q", "feature")
    bench_repo.commit("worse score", **{"bench.py": BENCH.format(delay=0, score=180)})
    (finding,) = performance(bench_repo).verdicts[0].findings
    assert "base median 100, head median 180" in finding.message and "+80.0%" in finding.message


def test_a_benchmark_that_fails_only_on_the_head_blocks(bench_repo: GitRepo) -> None:
    bench_repo.commit("broken", **{"bench.py": "raise SystemExit('bench broke')\n"})
    (finding,) = performance(bench_repo).verdicts[0].findings
    assert finding.blocking and "fails on the head but passes on the base" in finding.message
    assert "bench broke" in finding.message


def test_a_benchmark_broken_on_the_base_makes_the_review_incomplete(bench_repo: GitRepo) -> None:
    bench_repo.git("checkout", "-q", "main")
    bench_repo.commit("broken base", **{"bench.py": "raise SystemExit(1)\n"})
    bench_repo.git("checkout", "-q", "feature")
    bench_repo.git("reset", "-q", "--hard", "main")
    bench_repo.commit("change", **{"lib.py": "X = 3\n"})
    report = performance(bench_repo)
    assert report.verdicts[0].status.value == "error" and report.exit_code == 3


def test_static_patterns_warn_and_never_block(feature_repo: GitRepo) -> None:
    code = "def f(items):\n    seen = []\n    for i in items:\n        if i not in seen:\n            seen.append(i)\n"
    feature_repo.commit("quadratic", **{"lib.py": code})
    report = performance(feature_repo)
    (finding,) = report.verdicts[0].findings
    assert finding.rule == "performance/list-membership-in-loop" and finding.line == 4 and not finding.blocking
    assert report.exit_code == 0
