"""Review memory against the fake Messages API (tests/provider/fake_anthropic.py): how much of a
pull request's later pushes memory serves, and what they bill.

The scenario is tests/provider/memory_scenario.py: 20 changed files of ~110 lines, two prompt
reviewers (one shared, cached prefix). Pushes, in order, each reviewed with review memory and once
more with ``--no-memory`` for comparison:

1. the first review (nothing remembered);
2. one file of the 20 changed;
3. a force-push of the same content (a reworded commit);
4. five files changed;
5. a rebase onto a base that changed one of the pull request's files;
6. a new learning in .agents/learnings.toml (new instructions: nothing reused).

Billed input tokens are counted two ways: every input token the API billed (uncached + cache
writes + cache reads), and weighted as the API prices them (writes 1.25x, reads 0.1x).

Run: python bench/bench_memory.py
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

import memory_scenario as scenario  # noqa: E402
from fake_anthropic import FAKE_KEY, FakeAnthropic  # noqa: E402

from reviewkit.pipeline import ReviewRequest, review  # noqa: E402
from reviewkit.report import Report  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def commit(root: Path, message: str, files: dict[str, str]) -> None:
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def make_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    commit(root, "base", {".agents/config.toml": scenario.config(), **scenario.prompts()})
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "twenty files", scenario.all_files())
    return root


def measured(repo: Path, *, memory: bool) -> tuple[float, Report]:
    started = time.perf_counter()
    report = review(ReviewRequest(repo=repo, base="main", memory=memory))
    return time.perf_counter() - started, report


def describe(name: str, seconds: float, report: Report, requests: int) -> str:
    usage = report.usage
    billed = usage.billed_input_tokens
    weighted = usage.input_tokens + 1.25 * usage.cache_creation_input_tokens + 0.1 * usage.cache_read_input_tokens
    uses = [v.memory for v in report.verdicts if v.memory is not None]
    reused, total = sum(m.reused for m in uses), sum(m.reused + m.reviewed for m in uses)
    rate = f"{reused}/{total} = {reused / total:.0%}" if total else "n/a"
    return (
        f"{name:<32} hits {rate:<14} requests {requests:>2}  billed input {billed:>7,} tokens "
        f"({weighted:>9,.0f} price-weighted)  ${usage.cost_usd:.4f}  {seconds:.2f}s"
    )


def step(fake: FakeAnthropic, repo: Path, name: str, *, memory: bool = True) -> Report:
    before = len(fake.messages())
    seconds, report = measured(repo, memory=memory)
    print(describe(name, seconds, report, len(fake.messages()) - before))
    return report


def pushes(fake: FakeAnthropic, repo: Path) -> list[tuple[str, Report, Report]]:
    """Each push reviewed with memory, then the same head without it (a copy of the work: no memory)."""
    results = []

    def both(name: str) -> None:
        with_memory = step(fake, repo, name)
        without = step(fake, repo, "  same, --no-memory", memory=False)
        results.append((name, with_memory, without))

    both("1. first review (20 files)")
    commit(repo, "one file", {scenario.path(12): scenario.source(12, version=2, flagged=True)})
    both("2. one file changed")
    git(repo, "commit", "-q", "--amend", "-m", "reworded")
    both("3. force-push, same content")
    commit(repo, "five files", {scenario.path(i): scenario.source(i, version=3) for i in (1, 2, 4, 5, 6)})
    both("4. five files changed")
    git(repo, "checkout", "-q", "main")
    commit(repo, "main moves", {scenario.path(9): "# an older module\n", "NEWS.md": "news\n"})
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", "-X", "theirs", "main")
    both("5. rebase: base changed 1 file")
    learning = '[[learning]]\nrule = "style/eval"\ncode = "x"\nreason = "an example learning"\n'
    write(repo, {".agents/learnings.toml": learning})
    both("6. a new learning")
    return results


def main() -> None:
    import reviewkit.provider.transport  # noqa: F401 - import the SDK once, outside the timings

    fake = FakeAnthropic().start()
    fake.responder = scenario.responder()
    os.environ.update(ANTHROPIC_API_KEY=FAKE_KEY, ANTHROPIC_BASE_URL=fake.url)
    os.environ.pop("REVIEWKIT_MEMORY_DIR", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            repo = make_repo(Path(tmp) / "pr")
            results = pushes(fake, repo)
    finally:
        fake.stop()
    first = results[0][1].usage.billed_input_tokens
    print()
    for name, with_memory, without in results[1:]:
        ratio = with_memory.usage.billed_input_tokens / first
        saved = 1 - with_memory.usage.billed_input_tokens / max(without.usage.billed_input_tokens, 1)
        print(f"{name:<32} {ratio:6.1%} of the first review's billed input; {saved:6.1%} less than without memory")


if __name__ == "__main__":
    main()
