"""The six warning reviewers on real projects' ordinary history: consecutive releases of PyPI sdists.

    pip download --no-deps --no-binary :all: -d SDISTS click==8.1.6 click==8.1.7 ...
    python bench/reviewers_real_history.py SDISTS/*.tar.gz [--sample 4]

Each release is reviewed against the one before it (offline). Prints, per reviewer, its findings per
10,000 added lines (target <= 20) and its time, then a sample of findings to judge by hand.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchrepo import release_history

from reviewkit.pipeline import ReviewRequest, review

SIX = ("dependency-hygiene", "architecture", "duplication", "performance", "concurrency", "idioms")


def added_lines(repo: Path, base: str, head: str) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "diff", "--numstat", "-M", base, head], capture_output=True, text=True, check=True
    ).stdout
    return sum(int(a) for a, *_ in (line.split("\t") for line in out.splitlines()) if a.isdigit())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sdists", nargs="+", type=Path)
    parser.add_argument("--sample", type=int, default=4)
    args = parser.parse_args()
    findings: dict[str, list[str]] = defaultdict(list)
    seconds: dict[str, float] = defaultdict(float)
    total_added = 0
    with tempfile.TemporaryDirectory() as tmp:
        pairs = release_history(args.sdists, Path(tmp))
        for label, repo, base, head in pairs:
            added = added_lines(repo, base, head)
            total_added += added
            report = review(ReviewRequest(repo=repo, base=base, head=head, reviewers=SIX, offline=True))
            for verdict in report.verdicts:
                seconds[verdict.reviewer] += verdict.duration_s
                if verdict.error:
                    findings[verdict.reviewer].append(f"{label}: ERROR {verdict.error}")
                for f in verdict.findings:
                    findings[verdict.reviewer].append(
                        f"{label}: {f.rule} {f.path}:{f.line} {f.message[:140]} | {f.evidence.strip()[:100]}"
                    )
            print(f"{label}: {added} added lines, {sum(len(v.findings) for v in report.verdicts)} findings", flush=True)
    print(f"\n{len(pairs)} release pairs, {total_added} added lines")
    for name in SIX:
        count = len(findings[name])
        print(
            f"{name:20} {count:4} findings = {count * 10_000 / max(total_added, 1):5.1f} per 10,000 added lines; "
            f"{seconds[name]:.1f}s"
        )
    random.seed(1)
    for name in SIX:
        for line in random.sample(findings[name], min(args.sample, len(findings[name]))):
            print(f"  [{name}] {line}")


if __name__ == "__main__":
    main()
