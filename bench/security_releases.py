"""Findings of the security reviewer on real projects' ordinary history: each PyPI release reviewed
against the one before it, as a pull request between them would be.

    mkdir -p $TMPDIR/sdists && cd $TMPDIR/sdists
    for spec in flask==3.0.0 flask==3.0.1 ...; do pip download -q --no-deps --no-binary :all: $spec; done
    python bench/security_releases.py $TMPDIR/sdists/*.tar.gz

Prints, per release pair, the added lines (all files, as ``git diff --numstat`` counts them), the findings,
how many block, and files the reviewer could not analyse; then findings per 10,000 added lines (goal: at
most 5) and every finding, to be judged by hand.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchrepo import release_history

from reviewkit import Finding
from reviewkit.pipeline import ReviewRequest, review


def main(argv: list[str]) -> int:
    sdists = [Path(a) for a in argv if a.endswith(".tar.gz")]
    if not sdists:
        print("usage: security_releases.py SDIST.tar.gz... (see this file's docstring)", file=sys.stderr)
        return 2
    added = findings = blocking = incomplete = 0
    shown: list[tuple[str, Finding]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for label, repo, base, head in release_history(sdists, Path(tmp)):
            lines = _added_lines(repo, base, head)
            report = review(ReviewRequest(repo=repo, base=base, head=head, reviewers=("security",), offline=True))
            (verdict,) = report.verdicts
            added += lines
            findings += len(verdict.findings)
            blocking += sum(f.blocking for f in verdict.findings)
            incomplete += bool(verdict.not_reviewed or verdict.error)
            shown += [(label, f) for f in verdict.findings]
            unread = f"; not reviewed: {[n.path for n in verdict.not_reviewed]}" if verdict.not_reviewed else ""
            print(f"{label}: +{lines} lines, {len(verdict.findings)} finding(s), exit {report.exit_code}{unread}")
    per = findings * 10_000 / max(added, 1)
    print(
        f"total: {added} added lines; {findings} findings ({per:.2f} per 10,000 added lines, goal <= 5); "
        f"{blocking} blocking; {incomplete} incomplete reviews; {time.perf_counter() - started:.0f} s"
    )
    for label, f in shown:
        print(f"  [{label}] {f.path}:{f.line} {f.severity.value} {f.rule}: {f.evidence[:110]}")
    return 0


def _added_lines(repo: Path, base: str, head: str) -> int:
    out = subprocess.run(
        ["git", "diff", "--numstat", base, head], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return sum(int(parts[0]) for parts in (line.split("\t") for line in out.splitlines()) if parts[0].isdigit())


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
