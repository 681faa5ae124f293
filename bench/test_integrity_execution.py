"""What execution evidence costs (issue 11: confirming 10 weakened tests must cost at most twice the time
of running those tests once). Not part of the test suite.

    python bench/test_integrity_execution.py SDIST [--tests 10] [--repeat 3]

SDIST is a project with a real pytest suite whose tests run from the source tree (e.g. ``pip download
--no-deps --no-binary :all: click==8.1.7``). The bench commits the release as the base, weakens N tests
(drops the last assertion of each test that has two or more) as the head, and times:

- the test-integrity reviewer with ``test_command`` (the base versions of the N tests run against the
  head's code), as its verdict's duration (the fix stage's test gate, which runs the whole suite on
  the restore fix, is not part of it),
- the same reviewer without it (static judgement only),
- running the same N tests once with pytest, by node id.

The cost of confirming is the difference of the two reviewer durations; the ratio to one run is printed.
"""

from __future__ import annotations

import argparse
import ast
import os
import shlex
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.update(
    {
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
)

from reviewkit.pipeline import ReviewRequest, review  # noqa: E402


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def weaken(repo: Path, count: int) -> list[str]:
    """Drop the last assert of ``count`` module-level tests with two or more; their node ids."""
    ids: list[str] = []
    for path in sorted((repo / "tests").rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        tree = ast.parse(text)
        drops = []
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")) or node.decorator_list:
                continue
            asserts = [s for s in node.body if isinstance(s, ast.Assert) and s.end_lineno == s.lineno]
            if len(asserts) >= 2 and len(ids) + len(drops) < count:
                drops.append((asserts[-1].lineno, node.name))
        for line, name in sorted(drops, reverse=True):
            del lines[line - 1]
            ids.append(f"{path.relative_to(repo).as_posix()}::{name}")
        if drops:
            path.write_text("\n".join(lines), encoding="utf-8")
        if len(ids) >= count:
            break
    return ids


def build(sdist: Path, tmp: Path, count: int) -> tuple[Path, list[str]]:
    repo = tmp / "repo"
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        archive.extractall(tmp, filter="data")
    (tmp / top).rename(repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "release")
    _git(repo, "checkout", "-q", "-b", "weakened")
    ids = weaken(repo, count)
    _git(repo, "commit", "-q", "-am", "weaken tests")
    return repo, ids


def timed_review(repo: Path, command: str | None) -> tuple[float, int, int]:
    config = repo / ".agents" / "bench.toml"
    config.parent.mkdir(exist_ok=True)
    line = f"test_command = {command!r}\n".replace("'", '"') if command else ""
    config.write_text(f'[code_review]\nreviewers = ["test-integrity"]\n{line}test_timeout = 600\n', encoding="utf-8")
    report = review(ReviewRequest(repo=repo, base="main", head="HEAD", config_path=config, offline=True))
    (verdict,) = report.verdicts
    findings = verdict.findings
    return verdict.duration_s, sum(1 for f in findings if f.evidence_run is not None), len(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sdist", type=Path)
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo, ids = build(args.sdist.resolve(), Path(tmp), args.tests)
        env = f"PYTHONPATH={shlex.quote(str(repo / 'src'))} " if (repo / "src").is_dir() else ""
        command = f"{env}{shlex.quote(sys.executable)} -m pytest -q"
        with_runs, without_runs, once_runs = [], [], []
        for _ in range(args.repeat):
            elapsed, confirmed, total = timed_review(repo, command)
            with_runs.append(elapsed)
            without_runs.append(timed_review(repo, None)[0])
            started = time.perf_counter()
            subprocess.run(f"{command} {shlex.join(ids)}", shell=True, cwd=repo, capture_output=True, check=False)
            once_runs.append(time.perf_counter() - started)
        with_s, without_s, once_s = (statistics.median(r) for r in (with_runs, without_runs, once_runs))
        print(f"{args.sdist.name}: {len(ids)} tests weakened; {confirmed}/{total} findings confirmed by execution")
        print(f"  reviewer with test_command {with_s:.2f}s (median of {args.repeat})")
        print(f"  reviewer without           {without_s:.2f}s")
        print(f"  the {len(ids)} tests run once     {once_s:.2f}s")
        print(f"  confirming costs {with_s - without_s:.2f}s = {(with_s - without_s) / once_s:.2f}x one run")


if __name__ == "__main__":
    main()
