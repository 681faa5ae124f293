"""Benchmarks of model-backed reviewing against the fake Messages API (tests/provider/fake_anthropic.py).

1. Wall time: 6 markdown reviewers, the fake taking 1 s per call, max_concurrent = 6 versus sequential.
   Measured on a small diff (below the prompt-cache minimum, so nobody waits for a cache write) and on
   the 2,000-line diff (the first reviewer writes the cache; the others start when its response
   begins, which the fake places 0.1 s into the call).
2. Billed input tokens: 6 reviewers on a 2,000-line diff, billed as the API does (cache writes 1.25x,
   reads 0.1x), against sending the whole prompt to each reviewer uncached.

Run: python bench/bench_model.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "provider"))

from fake_anthropic import FAKE_KEY, FakeAnthropic  # noqa: E402

from reviewkit.pipeline import ReviewRequest, review  # noqa: E402
from reviewkit.report import Report  # noqa: E402

REVIEWERS = 6
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def make_repo(root: Path, *, lines: int, parallel: bool) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    agents = []
    for index in range(REVIEWERS):
        name = f"reviewer-{index}"
        (root / ".agents" / "reviewers").mkdir(parents=True, exist_ok=True)
        (root / ".agents" / "reviewers" / f"{name}.md").write_text(f"# {name}\nLook for problems of kind {index}.\n")
        agents.append(f'[[review_agents]]\nname = "{name}"\nprompt_file = ".agents/reviewers/{name}.md"\n')
    (root / ".agents" / "config.toml").write_text(
        f"[code_review]\nreviewers = []\nparallel = {str(parallel).lower()}\n\n[delegation]\nmax_concurrent = 6\n\n"
        + "\n".join(agents)
    )
    (root / "README.md").write_text("# bench\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    per_file = 200
    for start in range(0, lines, per_file):
        count = min(per_file, lines - start)
        body = "".join(
            f"def handler_{start + i}(request):  # route {start + i}\n"
            if i % 2 == 0
            else f"    return respond(request, status={200 + (start + i) % 300})\n"
            for i in range(count)
        )
        (root / "app").mkdir(exist_ok=True)
        (root / "app" / f"handlers_{start // per_file}.py").write_text(body)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feature")
    return root


def run(repo: Path) -> tuple[float, Report]:
    started = time.perf_counter()
    report = review(ReviewRequest(repo=repo, base="main"))
    return time.perf_counter() - started, report


def billed(report: Report) -> tuple[float, int]:
    """(input tokens as billed, input tokens if every prompt were sent uncached)."""
    usage = [v.usage for v in report.verdicts]
    as_billed = sum(
        u.input_tokens + 1.25 * u.cache_creation_input_tokens + 0.1 * u.cache_read_input_tokens for u in usage
    )
    uncached = sum(u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens for u in usage)
    return as_billed, uncached


def main() -> None:
    import reviewkit.provider.transport  # noqa: F401 - import the SDK once, outside the timings

    fake = FakeAnthropic().start()
    os.environ.update(ANTHROPIC_API_KEY=FAKE_KEY, ANTHROPIC_BASE_URL=fake.url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            small_par = make_repo(base / "small-par", lines=40, parallel=True)
            small_seq = make_repo(base / "small-seq", lines=40, parallel=False)
            big_par = make_repo(base / "big-par", lines=2000, parallel=True)
            big_cost = make_repo(base / "big-cost", lines=2000, parallel=True)

            run(make_repo(base / "warm-up", lines=40, parallel=True))  # first-run costs (plugins, connection)
            fake.latency_s, fake.prefill_s = 1.0, 0.1
            wall_par, report = run(small_par)
            assert all(v.status.value == "pass" for v in report.verdicts), report.verdicts
            wall_seq, _ = run(small_seq)
            wall_big, report_big = run(big_par)
            print(
                f"6 reviewers, 1 s per call, small diff: max_concurrent=6 {wall_par:.2f}s wall, "
                f"sequential {wall_seq:.2f}s"
            )
            print(
                f"6 reviewers, 1 s per call, 2,000-line diff (cache gate, response begins at 0.1 s): "
                f"{wall_big:.2f}s wall"
            )

            fake.latency_s = fake.prefill_s = 0.0
            _, report = run(big_cost)
            as_billed, uncached = billed(report)
            total = report.usage
            print(
                f"2,000-line diff, 6 reviewers: billed input {as_billed:,.0f} tokens vs {uncached:,} uncached "
                f"= {as_billed / uncached:.3f}x (cache writes {total.cache_creation_input_tokens:,}, "
                f"reads {total.cache_read_input_tokens:,}, uncached {total.input_tokens:,}); "
                f"cost ${total.cost_usd:.4f} at Sonnet prices"
            )
            big_ratio = billed(report_big)[0] / billed(report_big)[1]
            print(f"  (the gated wall-time run above billed {big_ratio:.3f}x too)")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
