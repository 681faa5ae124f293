"""What maintainers said on a pull request that changes its review: acceptances and learnings.

Read before every review of a pull request, from GitHub's own records, never from the change:

- a label ``reviewkit:accept`` (everything reported when it was added) or ``reviewkit:accept:<rule>``
  (that rule, fnmatch patterns allowed); who added it comes from the issue's events;
- a reply ``/reviewkit accept <reason>`` or ``/reviewkit wrong <reason>`` in the thread of one of
  reviewkit's inline comments (that comment's finding);
- a comment ``/reviewkit accept FINGERPRINT <reason>`` or ``/reviewkit wrong FINGERPRINT <reason>``;
- a resolved thread of one of reviewkit's inline comments with a 👎 on that comment (wrong).

Each counts only from a person with write access (reviewkit.github.permissions: author association,
then the collaborator permission API) who is not the pull request's author. Everything refused is
listed, with why, in the summary. The pull request's body, its commits and its files are never read
for any of this: the change cannot accept or unlearn its own findings.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reviewkit.acceptance import Acceptance
from reviewkit.findings import Learning
from reviewkit.github.client import GitHubClient, GitHubError
from reviewkit.github.comments import FINDING_MARKER
from reviewkit.github.event import PullRequest
from reviewkit.github.identity import Identity
from reviewkit.github.permissions import TRUSTED_ASSOCIATIONS, Permissions
from reviewkit.github.post import SUMMARY_MARKER
from reviewkit.github.state import PullState, Reported, decode
from reviewkit.learnings import as_toml, exact_path_pattern
from reviewkit.reporters.markdown import code_block, code_span, escape

ACCEPT_LABEL = "reviewkit:accept"
_COMMAND = re.compile(r"^\s*/reviewkit[ \t]+(review|accept|wrong|explain)\b[ \t]*(.*)$", re.IGNORECASE)
_FINGERPRINT = re.compile(r"[0-9a-f]{8,32}")
_THREADS_QUERY = (
    "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { "
    "pullRequest(number: $number) { reviewThreads(first: 100) { nodes { isResolved "
    "comments(first: 1) { nodes { databaseId } } } } } } }"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """``/reviewkit VERB [FINGERPRINT|RULE] [REASON]`` from the first line of a comment."""

    verb: str
    target: str = ""  # a fingerprint prefix, or (explain) a rule id
    reason: str = ""


def parse_command(body: str) -> Command | None:
    """The slash command a comment starts with, or None."""
    match = _COMMAND.match(body.split("\n", 1)[0])
    if match is None:
        return None
    verb, rest = match.group(1).lower(), " ".join(match.group(2).split())
    first, _, remainder = rest.partition(" ")
    if _FINGERPRINT.fullmatch(first.lower()) or (verb == "explain" and "/" in first):
        return Command(verb=verb, target=first.lower() if "/" not in first else first, reason=remainder)
    return Command(verb=verb, reason=rest)


@dataclass(kw_only=True)
class Conversation:
    """What the conversation decided, for the review and the summary."""

    acceptances: list[Acceptance] = field(default_factory=list)
    learned: list[Learning] = field(default_factory=list)
    bindings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # signal -> fingerprints, for the next state
    refused: list[str] = field(default_factory=list)  # signals that did not count, and why
    state: PullState | None = None
    comments: dict[int, str] = field(default_factory=dict)  # reviewkit's finding comments: id -> fingerprint


def read_conversation(
    client: GitHubClient, pr: PullRequest, identity: Identity | None, *, graphql: str
) -> Conversation:
    """Everything above, read from the API; a part that cannot be read counts for nothing (said so)."""
    talk = Conversation()
    if identity is None:
        talk.refused.append("the token's account is unknown: no earlier comment of reviewkit's could be trusted")
        return talk
    permissions = Permissions(client=client, repository=pr.repository)
    reader = _Reader(client=client, pr=pr, identity=identity, permissions=permissions, graphql=graphql)
    for part in (reader.summary_and_comments, reader.review_threads, reader.labels, reader.resolved_threads):
        try:
            part(talk)
        except GitHubError as exc:
            talk.refused.append(f"could not read the pull request's {part.__name__.replace('_', ' ')}: {exc.message}")
    return talk


@dataclass(kw_only=True)
class _Reader:
    client: GitHubClient
    pr: PullRequest
    identity: Identity
    permissions: Permissions
    graphql: str

    @property
    def base(self) -> str:
        return f"/repos/{self.pr.repository}"

    # --- the summary's state and conversation comments -----------------------------------------------

    def summary_and_comments(self, talk: Conversation) -> None:
        items = list(self.client.paginate(f"{self.base}/issues/{self.pr.number}/comments"))
        ours = [item for item in items if self.identity.wrote(item)]
        summary = next((item for item in ours if str(item.get("body") or "").startswith(SUMMARY_MARKER)), None)
        if summary is not None:
            talk.state = decode(str(summary["body"]), updated_at=str(summary.get("updated_at") or ""))
        for item in items:
            command = parse_command(str(item.get("body") or ""))
            if command is not None and command.verb in ("accept", "wrong") and not self.identity.wrote(item):
                self._command(talk, item, command, None, via="comment")

    # --- replies in the threads of reviewkit's inline comments ---------------------------------------

    def review_threads(self, talk: Conversation) -> None:
        items = list(self.client.paginate(f"{self.base}/pulls/{self.pr.number}/comments"))
        for item in items:
            fingerprint = _finding_fingerprint(str(item.get("body") or ""))
            if fingerprint and self.identity.wrote(item):
                talk.comments[int(item["id"])] = fingerprint
        for item in items:
            reply_to = item.get("in_reply_to_id")
            command = parse_command(str(item.get("body") or ""))
            if command is None or command.verb not in ("accept", "wrong") or reply_to not in talk.comments:
                continue
            self._command(talk, item, command, talk.comments[reply_to], via="reply")

    def _command(
        self, talk: Conversation, item: Mapping[str, Any], command: Command, thread: str | None, *, via: str
    ) -> None:
        who = _login(item)
        target = thread or command.target
        if not target:
            talk.refused.append(
                f"/reviewkit {command.verb} by {who}: name the finding (its fingerprint) or reply to its comment"
            )
            return
        why = self.refusal(item)
        if why:
            talk.refused.append(f"/reviewkit {command.verb} by {who}: {why}")
            return
        if thread is None:
            # A fingerprint typed in a comment may be short: it names the one finding the summary reported
            # when the comment was made, never code pushed later to match the same digits.
            bound = self._bound(
                talk,
                f"comment-{item.get('id')}",
                str(item.get("created_at") or ""),
                f"/reviewkit {command.verb} {target} by {who}",
                lambda r: r.fingerprint.startswith(target),
            )
            if bound is None:
                return
            if len(bound) != 1:
                talk.refused.append(
                    f"/reviewkit {command.verb} {target} by {who}: names {len(bound)} reported findings"
                )
                return
            target = bound[0]
        reason = command.reason or "no reason given"
        if command.verb == "accept":
            talk.acceptances.append(Acceptance(fingerprint=target, by=who, reason=reason, via=via))
        else:
            talk.learned.append(self._learning(talk, target, reason=reason, by=who))

    def refusal(self, item: Mapping[str, Any]) -> str:
        """Why ``item``'s author may not accept or teach ('' when they may)."""
        association = str(item.get("author_association") or "NONE")
        if association not in TRUSTED_ASSOCIATIONS:
            return f"author association {association}: only people with write access can"
        return self._no_write(_login(item), _user_id(item))

    def _no_write(self, login: str, user_id: int | None) -> str:
        if self.pr.by_author(login, user_id):
            return "the pull request's author cannot accept or unlearn its own findings"
        allowed, said = self.permissions.can_write(login)
        return "" if allowed else f"{said}: only people with write access can"

    def _learning(self, talk: Conversation, fingerprint: str, *, reason: str, by: str) -> Learning:
        known = talk.state.find(fingerprint) if talk.state is not None else []
        if len(known) == 1:
            found = known[0]
            return Learning(
                rule=found.rule,
                code=found.code,
                reason=reason,
                paths=(exact_path_pattern(found.path),),
                by=by,
                fingerprint=found.fingerprint,
            )
        return Learning(rule="", code="", reason=reason, by=by, fingerprint=fingerprint)

    # --- labels --------------------------------------------------------------------------------------

    def labels(self, talk: Conversation) -> None:
        latest: dict[str, Mapping[str, Any]] = {}
        for event in self.client.paginate(f"{self.base}/issues/{self.pr.number}/events"):
            name = str((event.get("label") or {}).get("name") or "")
            if event.get("event") in ("labeled", "unlabeled") and _is_accept_label(name):
                latest[name] = event
        for name, event in latest.items():
            if event.get("event") == "labeled" and name in self.pr.labels:
                self._label(talk, name, event)

    def _label(self, talk: Conversation, name: str, event: Mapping[str, Any]) -> None:
        actor = event.get("actor") or {}
        who = str(actor.get("login") or "")
        why = self._no_write(who, _user_id(event, "actor"))
        if why:
            talk.refused.append(f"label {name} added by {who}: {why}")
            return
        pattern = name.removeprefix(ACCEPT_LABEL).removeprefix(":") or "*"
        fingerprints = self._bound(
            talk,
            f"label-{event.get('id')}",
            str(event.get("created_at") or ""),
            f"label {name}",
            lambda r: fnmatch.fnmatchcase(r.rule, pattern),
        )
        if fingerprints is None:
            return
        talk.acceptances += [
            Acceptance(fingerprint=fp, by=who, reason=f"label {name}", via="label") for fp in fingerprints
        ]

    def _bound(
        self, talk: Conversation, key: str, made: str, what: str, wanted: Callable[[Reported], bool]
    ) -> tuple[str, ...] | None:
        """The fingerprints a signal (a label, a comment) covers: those it was bound to when first seen,
        else the ``wanted`` ones the summary reported when it was made (if the summary has not been
        rewritten since). None, said why, when that cannot be told."""
        state = talk.state
        if state is not None and key in state.bindings:
            bound = state.bindings[key]
        elif state is not None and _before(state.updated_at, made):
            bound = tuple(r.fingerprint for r in state.reported if wanted(r))
        else:
            talk.refused.append(
                f"{what} (made {made or 'at an unknown time'}): there was no review summary just before it to tell "
                "which findings it means; make it again after the review"
            )
            return None
        talk.bindings[key] = bound
        return bound

    # --- resolved threads with a thumbs-down ---------------------------------------------------------

    def resolved_threads(self, talk: Conversation) -> None:
        if not talk.comments:
            return
        for comment_id in self._resolved(talk):
            for reaction in self.client.paginate(f"{self.base}/pulls/comments/{comment_id}/reactions"):
                if reaction.get("content") != "-1":
                    continue
                who = _login(reaction)
                why = self._no_write(who, _user_id(reaction))
                if why:
                    talk.refused.append(f"👎 by {who} on a resolved thread: {why}")
                    continue
                talk.learned.append(
                    self._learning(
                        talk, talk.comments[comment_id], reason="marked wrong (👎 on a resolved thread)", by=who
                    )
                )
                break

    def _resolved(self, talk: Conversation) -> list[int]:
        owner, _, name = self.pr.repository.partition("/")
        variables = {"owner": owner, "name": name, "number": self.pr.number}
        response = self.client.request(
            "POST", self.graphql, {"query": _THREADS_QUERY, "variables": variables}, retry_server_errors=True
        )
        data = response.data if isinstance(response.data, Mapping) else {}
        nodes = (((data.get("data") or {}).get("repository") or {}).get("pullRequest") or {}).get("reviewThreads") or {}
        found = []
        for thread in nodes.get("nodes") or []:
            first = ((thread.get("comments") or {}).get("nodes") or [{}])[0]
            if thread.get("isResolved") and first.get("databaseId") in talk.comments:
                found.append(int(first["databaseId"]))
        return found


def summary_blocks(talk: Conversation) -> list[str]:
    """What the conversation adds to the summary: learnings to keep, and signals that did not count."""
    blocks = []
    if talk.learned:
        known = [learning for learning in talk.learned if learning.rule]
        blocks.append(
            f"### Learnings from this pull request ({len(talk.learned)})\n\n"
            "These findings are no longer reported on this pull request. To remember them for every pull "
            "request, add the entries below to `.agents/learnings.toml` on the base branch (reviewkit never "
            "reads that file from a pull request's head)."
        )
        blocks += [
            f"- {code_span(learning.fingerprint)} marked wrong by {code_span(learning.by)}: {escape(learning.reason)}"
            for learning in talk.learned
        ]
        if known:
            blocks.append(code_block("".join(as_toml(learning) + "\n" for learning in known).rstrip("\n"), "toml"))
    if talk.refused:
        blocks.append(f"### Not counted ({len(talk.refused)})")
        blocks += [f"- {escape(why)}" for why in talk.refused]
    return blocks


def _finding_fingerprint(body: str) -> str:
    """The finding fingerprint (a 20-digit prefix) of one of reviewkit's inline comments, '' for others."""
    prefix, suffix = FINDING_MARKER.split("{}")
    first = body.split("\n", 1)[0]
    if not (first.startswith(prefix) and first.endswith(suffix)):
        return ""
    marker = first[len(prefix) : -len(suffix)]
    digest = marker.split("-", 1)[0]
    return digest if _FINGERPRINT.fullmatch(digest) else ""


def _is_accept_label(name: str) -> bool:
    return name == ACCEPT_LABEL or name.startswith(ACCEPT_LABEL + ":")


def _before(earlier: str, later: str) -> bool:
    try:
        return datetime.fromisoformat(earlier) < datetime.fromisoformat(later)
    except ValueError:
        return False


def _login(item: Mapping[str, Any], key: str = "user") -> str:
    user = item.get(key) or {}
    return str(user.get("login") or "") if isinstance(user, Mapping) else ""


def _user_id(item: Mapping[str, Any], key: str = "user") -> int | None:
    user = item.get(key) or {}
    value = user.get("id") if isinstance(user, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


__all__: Sequence[str] = ("ACCEPT_LABEL", "Command", "Conversation", "parse_command", "read_conversation")
