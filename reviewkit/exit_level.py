"""``--fail-level`` and ``--exit-zero``: the user's own threshold on top of the policy's exit code.

The policy decides what blocks; these only move the exit code (and the report's ``exit_code`` and
``reason``, so that what is printed and what the shell sees agree):

- ``--fail-level SEVERITY`` also fails (exit 1) on any finding at or above SEVERITY in the reviewed
  revision, blocking or not: stricter, never looser than the policy.
- ``--exit-zero`` exits 0 where the policy would exit 1 (an advisory run). A review that could not be
  completed still exits 3: an incomplete review is never reported as a pass.
"""

from __future__ import annotations

from dataclasses import replace

from reviewkit.findings import Finding, Severity
from reviewkit.policy import ExitCode
from reviewkit.report import Report

LEVELS = ("blocking", *(severity.value for severity in Severity))


def with_exit_options(report: Report, *, fail_level: str = "blocking", exit_zero: bool = False) -> Report:
    if exit_zero and report.exit_code == ExitCode.BLOCKED:
        return replace(report, exit_code=int(ExitCode.OK), reason=f"{report.reason} (exit 0: --exit-zero)")
    if fail_level == "blocking" or report.exit_code != ExitCode.OK:
        return report
    threshold = Severity(fail_level).rank
    found = [f for f in _revision_findings(report) if f.severity.rank >= threshold]
    if not found:
        return report
    first = found[0]
    reason = (
        f"--fail-level {fail_level}: {len(found)} finding(s) at {fail_level} or above, "
        f"e.g. {first.rule} at {first.path}:{first.line}"
    )
    return replace(report, exit_code=int(ExitCode.BLOCKED), reason=reason)


def _revision_findings(report: Report) -> list[Finding]:
    """Findings on the reviewed revision itself (with --rounds, the first round's), fixed or not: a
    fix reviewkit holds is not in the commit."""
    verdicts = report.rounds[0].verdicts if report.rounds else report.verdicts
    return [finding for verdict in verdicts for finding in verdict.findings]
