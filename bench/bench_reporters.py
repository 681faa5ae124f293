"""How long each output format and the pull-request comment plan take for a large review.

Run: python bench/bench_reporters.py [FINDINGS]   (default 5000)
"""

from __future__ import annotations

import sys
import time

from reviewkit.diff import Change, FileChange, FileStatus, Hunk, Line
from reviewkit.findings import Finding
from reviewkit.github.comments import plan_comments
from reviewkit.policy import decide
from reviewkit.report import Report
from reviewkit.reporters.github import GithubReporter
from reviewkit.reporters.markdown import MarkdownReporter
from reviewkit.reporters.rdjson import RdjsonReporter
from reviewkit.reporters.sarif import SarifReporter
from reviewkit.verdict import Fix, Status, Verdict


def sample(count: int) -> Report:
    per_file = 100
    files, findings, patch = [], [], []
    for index in range(count // per_file):
        path = f"pkg/module_{index}.py"
        lines = tuple(Line("+", f"value_{n} = eval(x_{n})", None, n) for n in range(1, per_file + 1))
        hunk = Hunk(old_start=0, old_count=0, new_start=1, new_count=per_file, section="", lines=lines)
        files.append(FileChange(path=path, old_path=path, status=FileStatus.MODIFIED, hunks=(hunk,), added=per_file))
        findings += [
            Finding(
                rule="bench/eval",
                severity="high",
                path=path,
                line=n,
                message="eval() on input",
                evidence=f"value_{n} = eval(x_{n})",
            )
            for n in range(1, per_file + 1)
        ]
        patch.append(f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-value_1 = eval(x_1)\n+value_1 = literal_eval(x_1)\n")
    verdict = Verdict(
        reviewer="bench", status=Status.BLOCKING, blocking=True, findings=tuple(findings), fix=Fix(patch="".join(patch))
    )
    outcome = decide([verdict])
    return Report(
        decision=outcome.decision,
        exit_code=int(outcome.exit_code),
        reason=outcome.reason,
        base="a" * 40,
        head="b" * 40,
        files=tuple(files),
        verdicts=(verdict,),
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    report = sample(count)
    for reporter in (SarifReporter(), RdjsonReporter(), MarkdownReporter(), GithubReporter()):
        started = time.perf_counter()
        size = len(reporter.render(report))
        print(f"{reporter.name:<9} {count} findings: {time.perf_counter() - started:6.3f}s  {size / 1e6:6.2f} MB")
    started = time.perf_counter()
    plan = plan_comments(report, Change(files=report.files))
    print(f"plan      {count} findings: {time.perf_counter() - started:6.3f}s  {len(plan.inline)} inline")


if __name__ == "__main__":
    main()
