"""``--format markdown``: the summary a person reads on a pull request or in a job's step summary.

Decision first, then blocking findings, reviewers that did not complete, warnings, fixed findings,
skipped reviewers with their reasons, and usage and cost. Text that came from reviewers (and so,
possibly, from the diff under review) is escaped: it can neither open HTML nor mention people, and
characters a reader could not see (bidi controls, control characters, invalid UTF-8) are shown as
escapes (:mod:`reviewkit.display`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reviewkit.display import visible
from reviewkit.findings import Finding, Side
from reviewkit.github.suggestions import fence_for
from reviewkit.policy import Decision
from reviewkit.report import Report
from reviewkit.reporter import Reporter
from reviewkit.verdict import Status, Verdict

# GitHub's limit for issue comments, review bodies and review comments.
COMMENT_LIMIT = 65_536
ICONS = {
    Decision.DEVELOPMENT_COMPLETE: "✅",
    Decision.NEW_REVIEW_ROUND: "🔁",
    Decision.CONTINUE_DEVELOPMENT: "❌",
    Decision.STOP_DEVELOPMENT: "⛔",
    Decision.NOTIFY_MANAGEMENT: "⚠️",
}
# GitHub does not notify a mention inside a code span; a zero-width space would also break it, but
# reviewkit posts nothing invisible.
_MENTION = re.compile(r"@[A-Za-z0-9_][A-Za-z0-9_-]*(?:/[A-Za-z0-9_.-]+)?")
_EVIDENCE_CHARS = 400


class MarkdownReporter(Reporter):
    name = "markdown"
    description = "a pull-request summary in GitHub-flavoured markdown (decision first)"

    def render(self, report: Report, *, color: bool = False) -> str:
        return join_within(report_blocks(report), limit=None)


def report_blocks(report: Report) -> list[str]:
    """The report as markdown blocks (a heading, a finding, ...) that may be cut between, never inside."""
    blocks = [headline(report)]
    verdicts = report.verdicts
    open_ = [(v, f) for v in verdicts for f in v.unfixed if f.accepted is None]
    blocking = [(v, f) for v, f in open_ if v.status is Status.BLOCKING]
    warnings = [(v, f) for v, f in open_ if v.status is not Status.BLOCKING]
    accepted = [f for v in verdicts for f in v.unfixed if f.accepted is not None]
    fixed = [(v, f) for v in verdicts for f in v.findings if f.fixed]
    errored = [v for v in verdicts if v.status is Status.ERROR]
    if blocking:
        blocks.append(f"### Blocking ({len(blocking)})")
        blocks += [finding_item(f) for _, f in blocking]
    if errored:
        blocks.append(f"### Reviewers that did not complete ({len(errored)})")
        blocks += [_error_item(v) for v in errored]
    unread = [(v, n) for v in verdicts for n in v.not_reviewed]
    if unread:
        blocks.append(f"### Files not reviewed ({len(unread)})")
        blocks += [f"- {code_span(n.path)} ({escape(v.reviewer)}): {escape(n.reason)}" for v, n in unread]
    if accepted:
        blocks.append(
            f"### Accepted ({len(accepted)})\n\nStill reported, no longer blocking: a person with write access "
            "accepted each one."
        )
        blocks += [accepted_item(f) for f in accepted]
    if warnings:
        blocks.append(f"### Warnings ({len(warnings)})")
        blocks += [finding_item(f) for _, f in warnings]
    if fixed:
        blocks.append(f"### Fixed ({len(fixed)})")
        blocks += [finding_item(f) for _, f in fixed]
    if report.skipped:
        blocks.append(f"### Skipped reviewers ({len(report.skipped)})")
        blocks += [f"- **{escape(s.reviewer)}**: {escape(s.reason)}" for s in report.skipped]
    blocks.append(_footer(report))
    return blocks


def headline(report: Report) -> str:
    added = sum(f.added for f in report.files)
    deleted = sum(f.deleted for f in report.files)
    where = f" · `{report.base[:10]}..{report.head[:10]}`" if report.base and report.head else ""
    reviewed = ", ".join(f"{escape(v.reviewer)} ({v.status.value})" for v in report.verdicts) or "none"
    return (
        f"## {ICONS[report.decision]} reviewkit: {report.decision.value}\n\n"
        f"**{escape(report.reason)}** (exit code {report.exit_code})\n\n"
        f"{len(report.files)} file(s) changed, +{added} -{deleted}{where} · reviewers: {reviewed}"
    )


def finding_item(finding: Finding) -> str:
    """One finding as a list item: severity, rule, location, message, then the quoted code."""
    location = f"{finding.path}:{finding.line}"
    if finding.last_line != finding.line:
        location += f"-{finding.last_line}"
    where = code_span(location) + (" (base revision: code this change removes)" if finding.side is Side.BASE else "")
    extra = f" ({escape(finding.cwe)})" if finding.cwe else ""
    head = f"- **{finding.severity.value}** {code_span(finding.rule)} at {where}{extra}: {escape(finding.message)}"
    if finding.notes:
        head += "".join(f" _({escape(note)})_" for note in finding.notes)
    evidence = finding.evidence.strip()
    if not evidence:
        return head
    if len(evidence) > _EVIDENCE_CHARS:
        evidence = evidence[:_EVIDENCE_CHARS] + " …"
    return head + "\n" + indent(code_block(evidence), "  ")


def accepted_item(finding: Finding) -> str:
    """An accepted finding: the finding, then who accepted it, how and why (all of it escaped)."""
    assert finding.accepted is not None
    who = finding.accepted
    line = f"  accepted by {code_span(who.by)} ({escape(who.via)}): {escape(who.reason) or '_no reason given_'}"
    head, _, rest = finding_item(finding).partition("\n")
    return f"{head}\n{line}" + (f"\n{rest}" if rest else "")


def _error_item(verdict: Verdict) -> str:
    kind = "blocking" if verdict.blocking else "warning only"
    return f"- **{escape(verdict.reviewer)}** ({kind}): {escape(verdict.error or verdict.summary)}"


def _footer(report: Report) -> str:
    usage = report.usage
    lines = ["### Usage"]
    if usage.input_tokens or usage.output_tokens:
        lines.append(
            f"- model tokens: {usage.input_tokens:,} in, {usage.output_tokens:,} out "
            f"({usage.cache_read_input_tokens:,} read from cache); cost ${usage.cost_usd:.4f}"
        )
    else:
        lines.append("- no model calls (deterministic reviewers only); cost $0.00")
    duration = sum(v.duration_s for v in report.verdicts)
    lines.append(f"- reviewer time: {duration:.1f}s")
    remembered = [v.memory for v in report.verdicts if v.memory is not None]
    if remembered:
        reused, total = sum(m.reused for m in remembered), sum(m.reused + m.reviewed for m in remembered)
        lines.append(f"- review memory: {reused} of {total} file review(s) reused (unchanged since reviewed)")
    if report.dropped_findings:
        lines.append(f"- {report.dropped_findings} finding(s) dropped: their evidence did not match the code")
    return "\n".join(lines)


def join_within(blocks: Sequence[str], limit: int | None, *, overflow: str = "") -> str:
    """Join blocks with blank lines; past ``limit`` characters, stop at a block boundary and say so."""
    text = "\n\n".join(blocks) + "\n"
    if limit is None or len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for index, block in enumerate(blocks):
        note = (
            f"\n\n_…{len(blocks) - index} more section(s) not shown: this text is limited to "
            f"{limit:,} characters. {overflow}_\n"
        )
        if size + len(block) + 2 + len(note) > limit:
            return "\n\n".join(kept) + note
        kept.append(block)
        size += len(block) + 2
    return text  # pragma: no cover - the loop returns before running out when the text is too long


def escape(text: str) -> str:
    """Reviewer text as inert markdown on one line: no HTML, no @mentions, no stray emphasis or links,
    nothing invisible."""
    text = visible(" ".join(text.split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]|])", r"\\\1", text)
    return _MENTION.sub(lambda m: f"`{m.group()}`", text)


def code_span(text: str) -> str:
    text = visible(" ".join(text.split()))
    ticks = fence_for(text, minimum=1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def code_block(text: str, language: str = "") -> str:
    text = visible(text, keep="\n\t")
    fence = fence_for(text)
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))
