"""Posting a review to a pull request: one review per head commit, one summary comment kept up to date.

Markers (HTML comments on the first line of a body) make reruns idempotent: the review of a head commit
carries the commit id, each inline comment its finding's fingerprint, the summary a fixed marker. Only
markers in comments written by the token's own identity count (:mod:`reviewkit.github.identity`): not
a person's, and not another bot's, so nobody can silence a finding or suppress the review by planting
a marker.

The summary comment is written exactly once per run: a write that fails in a way that may have been
applied (a 5xx, a dropped connection) is followed by listing the comments again, and the comment found
there (ours, or the one carrying this run's nonce) is updated instead of a second one being created.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from reviewkit.diff import Change
from reviewkit.findings import Side
from reviewkit.github.client import GitHubClient, GitHubError
from reviewkit.github.comments import DiffLines, InlineComment, Plan, fingerprints_in, plan_comments
from reviewkit.github.event import PullRequest
from reviewkit.github.identity import Identity
from reviewkit.report import Report
from reviewkit.reporters.markdown import (
    COMMENT_LIMIT,
    ICONS,
    code_block,
    finding_item,
    join_within,
    report_blocks,
)

SUMMARY_MARKER = "<!-- reviewkit:summary -->"
REVIEW_MARKER = "<!-- reviewkit:review:{} -->"
_RUN_MARKER = "<!-- reviewkit:run:{} -->"
MAX_INLINE_COMMENTS = 50
SUMMARY_ATTEMPTS = 3
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


@dataclass(kw_only=True)
class Posted:
    """What reached the pull request, for the step summary."""

    review_id: int | None = None
    inline: int = 0
    already_posted: int = 0
    rejected: list[InlineComment] = field(default_factory=list)
    overflow: list[InlineComment] = field(default_factory=list)
    summary_url: str = ""
    summary_updated: bool = False
    notes: list[str] = field(default_factory=list)


class Poster:
    def __init__(
        self, client: GitHubClient, pr: PullRequest, identity: Identity | None, *, request_changes: bool = False
    ) -> None:
        self.client = client
        self.pr = pr
        self.identity = identity  # None: nothing on the pull request is trusted to be ours
        self.request_changes = request_changes
        self._base = f"/repos/{pr.repository}"
        self._run = secrets.token_hex(8)  # marks this run's summary comment, found again after a failed write

    def post(self, report: Report, change: Change, *, state: str = "", extra: Sequence[str] = ()) -> Posted:
        """Post the review and then the summary; a GitHubError from either stops the posting.

        :param state: the hidden block of reviewkit.github.state, kept on the summary's first lines.
        :param extra: markdown blocks for the summary (learnings, signals that did not count).
        """
        posted = Posted()
        plan = plan_comments(report, change)
        seen = fingerprints_in(self._our_bodies(f"/pulls/{self.pr.number}/comments"))
        fresh = [c for c in plan.inline if c.fingerprint not in seen]
        posted.already_posted = len(plan.inline) - len(fresh)
        # A review of hundreds of comments buries the ones that matter (blocking come first): cap it.
        fresh, posted.overflow = fresh[:MAX_INLINE_COMMENTS], fresh[MAX_INLINE_COMMENTS:]
        event = "REQUEST_CHANGES" if self.request_changes and report.exit_code != 0 else "COMMENT"
        if self._reviewed_already():
            posted.notes.append(f"a review of {self.pr.head_sha[:10]} exists already; not posting another")
        elif fresh or event == "REQUEST_CHANGES":
            self._review(report, fresh, event, posted)
        if self.request_changes and report.exit_code == 0:
            self._dismiss_requested_changes(posted)
        self._summary(report, plan, posted, state=state, extra=extra)
        return posted

    def _dismiss_requested_changes(self, posted: Posted) -> None:
        """Once nothing blocks, our earlier REQUEST_CHANGES reviews must stop blocking the merge."""
        path = f"{self._base}/pulls/{self.pr.number}/reviews"
        for review in self.client.paginate(path):
            body = str(review.get("body") or "")
            if not (
                self._ours(review)
                and review.get("state") == "CHANGES_REQUESTED"
                and body.startswith(REVIEW_MARKER.split("{}")[0])
            ):
                continue
            message = f"reviewkit: nothing blocks any more as of {self.pr.head_sha[:10]}."
            try:
                self.client.request(
                    "PUT", f"{path}/{review['id']}/dismissals", {"message": message, "event": "DISMISS"}
                )
            except GitHubError as exc:  # dismissing may need more rights than commenting: say so, go on
                posted.notes.append(f"could not dismiss the earlier request for changes: {exc.message}")
                return
            posted.notes.append(f"dismissed reviewkit's earlier request for changes (review {review['id']})")

    # --- the review -------------------------------------------------------------------------------------

    def _reviewed_already(self) -> bool:
        """A review of this head commit by our identity, or one this run posted (its nonce is on the first
        line), so that a review GitHub created behind a 5xx is found even when the identity is unknown."""
        marker, run = REVIEW_MARKER.format(self.pr.head_sha), _RUN_MARKER.format(self._run)
        for review in self.client.paginate(f"{self._base}/pulls/{self.pr.number}/reviews"):
            first = str(review.get("body") or "").split("\n", 1)[0]
            if first.startswith(marker) and (self._ours(review) or run in first):
                return True
        return False

    def _review(self, report: Report, comments: list[InlineComment], event: str, posted: Posted) -> None:
        try:
            self._submit(report, comments, event, posted)
            return
        except GitHubError as exc:
            if exc.status != 422:
                raise
            posted.notes.append(f"GitHub refused the review ({exc.message}); retrying without unplaceable comments")
        accepted = self._lines_github_accepts()
        keep = [c for c in comments if accepted.contains(c.path, c.start_line, c.line, _side(c))]
        posted.rejected = [c for c in comments if c not in keep]
        try:
            if keep or event == "REQUEST_CHANGES":
                self._submit(report, keep, event, posted)
                return
        except GitHubError as exc:
            if exc.status != 422:
                raise
            posted.notes.append(f"GitHub refused the review again ({exc.message}); findings go to the summary")
        posted.rejected = list(comments)

    def _submit(self, report: Report, comments: list[InlineComment], event: str, posted: Posted) -> None:
        body = (
            f"{REVIEW_MARKER.format(self.pr.head_sha)}{_RUN_MARKER.format(self._run)}\n"
            f"{ICONS[report.decision]} **reviewkit: "
            f"{report.decision.value}** on {self.pr.head_sha[:10]}: {len(comments)} inline comment(s). "
            "The summary comment on this pull request has the full report."
        )
        payload = {
            "commit_id": self.pr.head_sha,
            "body": body,
            "event": event,
            "comments": [c.payload() for c in comments],
        }
        path = f"{self._base}/pulls/{self.pr.number}/reviews"
        for attempt in range(4):
            try:
                response = self.client.request("POST", path, payload)
            except GitHubError as exc:
                if exc.status == 422 and payload["event"] == "REQUEST_CHANGES" and "own pull request" in str(exc):
                    # e.g. the token belongs to the pull request's author, who cannot request changes
                    posted.notes.append(f"REQUEST_CHANGES refused ({exc.message}); posted as COMMENT")
                    payload["event"] = "COMMENT"
                    continue
                if exc.status < 500 or attempt == 3:
                    raise
                # A 5xx may hide a review GitHub did create: look before posting it a second time.
                self.client.backoff(attempt)
                if self._reviewed_already():
                    posted.inline = len(comments)
                    return
                continue
            posted.review_id = (response.data or {}).get("id")
            posted.inline = len(comments)
            return

    def _lines_github_accepts(self) -> DiffLines:
        """The hunks of GitHub's own diff of the pull request (it may differ from git's, e.g. truncated)."""
        accepted = DiffLines(Change(files=()))
        for item in self.client.paginate(f"{self._base}/pulls/{self.pr.number}/files"):
            for match in _HUNK.finditer(item.get("patch") or ""):
                old_start, old_count, new_start, new_count = (int(g) if g else 1 for g in match.groups())
                if new_count:
                    accepted.add_range(item["filename"], Side.HEAD, new_start, new_start + new_count - 1)
                if old_count:
                    accepted.add_range(
                        item.get("previous_filename") or item["filename"],
                        Side.BASE,
                        old_start,
                        old_start + old_count - 1,
                    )
        return accepted

    # --- the summary comment ----------------------------------------------------------------------------

    def _summary(self, report: Report, plan: Plan, posted: Posted, *, state: str, extra: Sequence[str]) -> None:
        body = summary_body(report, plan, posted, head=self.pr.head_sha, run=self._run, state=state, extra=extra)
        for attempt in range(SUMMARY_ATTEMPTS):
            existing = self._summary_comment()
            try:
                if existing is None:
                    response = self.client.request(
                        "POST", f"{self._base}/issues/{self.pr.number}/comments", {"body": body}
                    )
                else:
                    response = self.client.request("PATCH", f"{self._base}/issues/comments/{existing}", {"body": body})
                    posted.summary_updated = True
            except GitHubError as exc:
                # A 5xx or a dropped connection may hide a comment GitHub did create: list again, never repost.
                if not (exc.status == 0 or exc.status >= 500) or attempt == SUMMARY_ATTEMPTS - 1:
                    raise
                posted.notes.append(f"writing the summary comment failed ({exc.message}); looking again")
                self.client.backoff(attempt)
                continue
            posted.summary_url = (response.data or {}).get("html_url", "")
            return

    def _summary_comment(self) -> int | None:
        """Our summary comment: written by our identity, or carrying this run's nonce (so a comment this run
        created is found even when the identity is unknown)."""
        run = _RUN_MARKER.format(self._run)
        for item in self.client.paginate(f"{self._base}/issues/{self.pr.number}/comments"):
            first = str(item.get("body") or "").split("\n", 1)[0]
            if first.startswith(SUMMARY_MARKER) and (self._ours(item) or run in first):
                return int(item["id"])
        return None

    def _ours(self, item: object) -> bool:
        return self.identity is not None and self.identity.wrote(item)

    def _our_bodies(self, path: str) -> list[str]:
        return [str(item.get("body") or "") for item in self.client.paginate(f"{self._base}{path}") if self._ours(item)]


def summary_body(
    report: Report,
    plan: Plan,
    posted: Posted,
    *,
    head: str,
    run: str = "",
    state: str = "",
    extra: Sequence[str] = (),
) -> str:
    # The markers and the state on the first line: a body cut to GitHub's size limit still carries them.
    first = SUMMARY_MARKER + (_RUN_MARKER.format(run) if run else "") + state
    blocks = [first, *report_blocks(report), *extra]
    not_inline = [*plan.outside, *(c.finding for c in [*posted.rejected, *posted.overflow] if c.finding)]
    if not_inline:
        blocks.append(
            f"### Not shown as inline comments ({len(not_inline)})\n\n"
            "These lines are outside the pull request's diff, or GitHub refused a comment there."
        )
        blocks += [finding_item(f) for f in not_inline]
    unplaced = [v for v in report.verdicts if v.fix.patch and v.reviewer in plan.unplaced_fixes]
    for verdict in unplaced:
        blocks.append(
            f"### Fix from {verdict.reviewer} (not all of it fits suggestion blocks)\n\n"
            + code_block(verdict.fix.patch or "", "diff")
        )
    blocks.append(f"<sub>Reviewed commit {head}. This comment is updated on every push.</sub>")
    return join_within(blocks, COMMENT_LIMIT, overflow="The workflow run's step summary has the full report.")


def _side(comment: InlineComment) -> Side:
    return Side.HEAD if comment.side == "RIGHT" else Side.BASE
