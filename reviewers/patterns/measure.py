"""The performance reviewer's measurement: ``bench_command`` in the base and the head, compared by median.

Both revisions are exported from git's objects into scratch directories (never the working tree, which
may hold other edits), and the command runs there alternately, base then head, so that a machine growing
busier during the run weighs on both. It runs as the test gate runs ``test_command``: through the shell,
with a scrubbed environment, its whole process group killed at the timeout.
"""

from __future__ import annotations

import io
import re
import statistics
import subprocess
import tarfile
import tempfile
from pathlib import Path

from reviewkit import AddedLine, Finding, ReviewContext, Severity, run_sandboxed


def measure_regression(context: ReviewContext, rule: str) -> list[Finding]:
    """A blocking finding when the head's median is worse than the base's by more than ``max_regression``
    (or the benchmark fails only on the head); nothing when it is not, with both figures noted."""
    options = context.options
    if context.repo is None or not (context.change.base and context.change.head):
        context.note("bench_command needs a git range (not a patch file): not measured")
        return []
    anchor = next((line for line in context.change.added_lines() if line.text.strip()), None)
    with tempfile.TemporaryDirectory(prefix="reviewkit-bench-") as scratch:
        base = _export(context.repo, context.change.base, Path(scratch) / "base")
        head = _export(context.repo, context.change.head, Path(scratch) / "head")
        figures = _run_both(context, base, head)
    if isinstance(figures, str):
        return _finding(anchor, rule, figures, context)
    base_median, head_median = (statistics.median(runs) for runs in figures)
    unit = "" if options.get("bench_pattern") else " s"
    summary = (
        f"{options['bench_command']!r}: base median {base_median:.4g}{unit}, head median {head_median:.4g}{unit} "
        f"over {len(figures[0])} runs each"
    )
    limit = options["max_regression"]
    if base_median > 0 and (head_median - base_median) / base_median > limit:
        change = (head_median - base_median) / base_median
        return _finding(anchor, rule, f"{summary}: {change:+.1%}, over the {limit:.0%} allowed", context)
    context.note(f"benchmark: {summary}: within {limit:.0%}")
    return []


def _run_both(context: ReviewContext, base: Path, head: Path) -> tuple[list[float], list[float]] | str:
    """Figures for base and head, or a message when only the head's benchmark fails."""
    options = context.options
    repeat = int(options["bench_repeat"])
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for index, where in enumerate((base, head)):
            timeout = min(float(options["bench_timeout"]), context.remaining_s())
            if timeout <= 1:
                raise TimeoutError("the benchmark did not finish before the reviewer's deadline")
            result = run_sandboxed(
                options["bench_command"],
                where,
                timeout_s=timeout,
                network=context.config.test_network,
                untrusted=context.untrusted,
                repo=context.repo,
            )
            figure = _figure(result.passed, result.duration_s, result.output_tail, options.get("bench_pattern"))
            if figure is None and index == 0:
                raise RuntimeError(f"bench_command fails on the base revision: {result.output_tail[-300:]}")
            if figure is None:
                tail = result.output_tail[-300:]
                return f"{options['bench_command']!r} fails on the head but passes on the base: {tail}"
            runs[index].append(figure)
    return runs


def _figure(passed: bool, duration_s: float, output: str, pattern: str | None) -> float | None:
    if not passed:
        return None
    if not pattern:
        return duration_s
    match = re.search(pattern, output)
    try:
        return float(match.group(1)) if match else None
    except (IndexError, ValueError):
        return None


def _export(repo: Path, revision: str, target: Path) -> Path:
    """The revision's tree, from git's objects; members that would land outside ``target`` are refused."""
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", revision], capture_output=True, check=True, timeout=600
    ).stdout
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _finding(anchor: AddedLine | None, rule: str, message: str, context: ReviewContext) -> list[Finding]:
    if anchor is None:
        raise RuntimeError(f"measured regression, but the change adds no line to cite: {message}")
    return [
        Finding(
            rule=rule,
            severity=Severity.HIGH,
            path=anchor.path,
            line=anchor.number,
            message=f"measured: {message}",
            evidence=anchor.text,
            confidence=1.0,
        )
    ]
