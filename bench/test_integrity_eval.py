"""Measure the test-integrity reviewer (not part of the test suite; figures in docs/test-integrity.md).

    python bench/test_integrity_eval.py corpus              # every corpus case end to end (git + pipeline)
    python bench/test_integrity_eval.py history [REPO]      # test-touching commits of a git history
    python bench/test_integrity_eval.py releases SDIST...   # consecutive releases of PyPI sdists

``releases`` takes sdists of one or more packages (``pip download --no-deps --no-binary :all: pkg==A
pkg==B``), sorts them by package and version, and reviews each release against the one before it in
a real git repository. Every alarm is printed so that it can be judged by hand.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "reviewers" / "test_integrity")]
os.environ.update(
    {
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
)

from reviewers.test_integrity import TestIntegrity  # noqa: E402
from reviewers.test_integrity.pairs import is_test_file  # noqa: E402
from reviewkit import Finding  # noqa: E402
from reviewkit.pipeline import ReviewRequest, review  # noqa: E402

BLOCKS = TestIntegrity().blocks


def alarms_between(repo: Path, base: str, head: str) -> tuple[list[Finding], str]:
    report = review(ReviewRequest(repo=repo, base=base, head=head, reviewers=("test-integrity",), offline=True))
    verdict = report.verdicts[0] if report.verdicts else None
    if verdict is None:
        return [], "no verdict"
    if verdict.error:
        return [], f"error: {verdict.error}"
    return [f for f in verdict.findings if BLOCKS(f)], verdict.summary


def corpus() -> None:
    from conftest import GitRepo
    from ti_corpus import CASES
    from ti_eval import run_git, score
    from ti_heldout11 import HELDOUT11
    from ti_holdout import HOLDOUT

    for title, cases in (("corpus", CASES), ("held-out set", HOLDOUT), ("issue-11 held-out batch", HELDOUT11)):
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            results = [(case, run_git(case, GitRepo(Path(tmp) / f"r{index}"))) for index, case in enumerate(cases)]
        elapsed = time.monotonic() - started
        result = score(results)
        print(f"{title} end to end: {len(cases)} cases in {elapsed:.1f}s ({elapsed / len(cases) * 1000:.0f} ms/case)")
        print(f"  recall {result.caught}/{result.cheats} = {result.recall:.3f}; missed: {list(result.missed)}")
        print(
            f"  false alarms {result.false_alarms}/{result.legit} = {result.false_alarm_rate:.3f}; "
            f"noisy: {list(result.noisy)}"
        )


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def history(repo: Path) -> None:
    log = _git(repo, "log", "--no-merges", "--format=%H %P", "--", ".")
    commits = [line.split() for line in log.splitlines() if len(line.split()) == 2]
    touched = []
    for sha, parent in commits:
        files = _git(repo, "diff", "--name-only", parent, sha).splitlines()
        if any(is_test_file(f) for f in files):
            touched.append((sha, parent))
    _report(f"{repo.name} history", ((sha[:10], repo, parent, sha) for sha, parent in touched))


def releases(sdists: list[Path]) -> None:
    by_package: dict[str, list[tuple[tuple[int, ...], Path]]] = {}
    for sdist in sdists:
        name, _, version = sdist.name.removesuffix(".tar.gz").rpartition("-")
        key = tuple(int(p) for p in version.split(".") if p.isdigit())
        by_package.setdefault(name.lower().replace("_", "-"), []).append((key, sdist))
    with tempfile.TemporaryDirectory() as tmp:
        pairs = []
        for name, versions in sorted(by_package.items()):
            versions.sort()
            repo = Path(tmp) / name
            repo.mkdir()
            _git(repo, "init", "-q", "-b", "main")
            shas = [_commit_tree(repo, sdist, Path(tmp)) for _, sdist in versions]
            for (_, before), (_, after), base, head in zip(versions, versions[1:], shas, shas[1:], strict=False):
                label = f"{before.name.removesuffix('.tar.gz')} -> {after.name.removesuffix('.tar.gz')}"
                pairs.append((label, repo, base, head))
        _report("PyPI releases", pairs)


def _commit_tree(repo: Path, sdist: Path, tmp: Path) -> str:
    for child in repo.iterdir():
        if child.name != ".git":
            subprocess.run(["rm", "-rf", str(child)], check=True)
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        archive.extractall(tmp / "x", filter="data")
    subprocess.run(f"cp -a {tmp / 'x' / top}/. {repo}/ && rm -rf {tmp / 'x'}", shell=True, check=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", sdist.name)
    return _git(repo, "rev-parse", "HEAD").strip()


def _report(title: str, changes: Iterable[tuple[str, Path, str, str]]) -> None:
    started = time.monotonic()
    total = alarmed = test_files = alarmed_files = 0
    for label, repo, base, head in changes:
        changed = [f for f in _git(repo, "diff", "--name-only", "-M", base, head).splitlines() if is_test_file(f)]
        if not changed:
            print(f"{label}: no test file changed, not counted")
            continue
        found, summary = alarms_between(repo, base, head)
        total += 1
        alarmed += bool(found)
        test_files += len(changed)
        alarmed_files += len({f.path for f in found if is_test_file(f.path)})
        print(f"{label}: {len(changed)} test file(s) changed, {len(found)} alarm(s); {summary[:160]}")
        for item in found:  # every remaining block, in full: each should be one a maintainer wants to see
            print(f"    BLOCK {item.rule} {item.path}:{item.line} [{item.side.value}] {item.message}")
    elapsed = time.monotonic() - started
    print(
        f"{title}: {alarmed}/{total} test-touching changes alarmed "
        f"({alarmed / max(total, 1):.1%}); {alarmed_files}/{test_files} changed test files with an alarm; "
        f"{elapsed:.1f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    sub.add_parser("corpus")
    sub.add_parser("history").add_argument("repo", nargs="?", type=Path, default=ROOT)
    sub.add_parser("releases").add_argument("sdists", nargs="+", type=Path)
    args = parser.parse_args()
    if args.mode == "corpus":
        corpus()
    elif args.mode == "history":
        history(args.repo.resolve())
    else:
        releases(args.sdists)


if __name__ == "__main__":
    main()
