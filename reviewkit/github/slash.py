"""Slash commands in pull-request comments, when the workflow also runs on ``issue_comment`` (and
``pull_request_review_comment`` for replies in a review thread):

- ``/reviewkit review``: review the pull request's current head now and post as a push would;
- ``/reviewkit accept [FINGERPRINT] <reason>``: accept a finding (in a reply: the thread's finding);
- ``/reviewkit wrong [FINGERPRINT] <reason>``: the finding is wrong: a learning for this pull request,
  and an entry proposed for the base branch's ``.agents/learnings.toml``;
- ``/reviewkit explain [FINGERPRINT|RULE]``: what the finding means, why it blocks and what to do.

Only people with write access may use them (reviewkit.github.permissions), and never the pull
request's author for accept or wrong; everyone else gets a reply saying so. Every command is answered
in a reply. ``accept`` and ``wrong`` are then applied by reviewing again, reading them from the
conversation like every review does (reviewkit.github.conversation), so the summary says who accepted
what. A comment that is not a command is not answered.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING

from reviewkit.errors import InputError
from reviewkit.github.client import GitHubError
from reviewkit.github.conversation import Command, Conversation, parse_command, read_conversation
from reviewkit.github.event import Comment, PullRequest, Target, pull_request_from_api
from reviewkit.github.permissions import TRUSTED_ASSOCIATIONS, Permissions
from reviewkit.github.session import ActionOptions, Connection, connect
from reviewkit.github.state import Reported
from reviewkit.report import Report
from reviewkit.reporters.markdown import code_block, code_span, escape

if TYPE_CHECKING:
    from reviewkit.rules import RuleEntry

ANSWER_MARKER = "<!-- reviewkit:answer -->"


def handle_comment(
    target: Target,
    options: ActionOptions,
    *,
    token: str,
    env: MutableMapping[str, str],
    review: Callable[[Target, Connection], tuple[int, Report]],
) -> int:
    """Answer the comment event's slash command; the exit code of a review it ran, else 0.

    :param review: reviews a pull request's target and posts (reviewkit.github.action.review_target).
    """
    comment, number = target.comment, target.number
    assert comment is not None
    command = parse_command(comment.body)
    if command is None or number is None:
        _say(f"{target.description}: not a /reviewkit command on a pull request; nothing to do")
        return 0
    if not token:
        _say("no GITHUB_TOKEN: a slash command cannot be answered")
        return 0
    github = connect(options, token, env)
    try:
        pr = pull_request_from_api(github.client.get(f"/repos/{target.repository}/pulls/{number}"), target.repository)
    except (GitHubError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"pull request #{number}: cannot read it from the API: {exc}") from exc
    answer = _refusal(github, pr, comment, command) or _not_runnable(github, pr, comment, command)
    if answer:
        _reply(github, pr, comment, _quoted(comment) + answer)
        return 0
    code, report = review(_pull_request_target(target, pr), github)
    _reply(github, pr, comment, _quoted(comment) + _after_review(command, comment, pr, report.decision.value, code))
    return code


def _not_runnable(github: Connection, pr: PullRequest, comment: Comment, command: Command) -> str:
    """The answer of a command that does not review (explain), or of one that cannot run ('' when it runs)."""
    if command.verb == "explain":
        return _explain(github, pr, comment, command)
    if command.verb in ("accept", "wrong"):
        talk = read_conversation(github.client, pr, github.identity, graphql=github.graphql)
        return escape(_unknown_finding(talk, comment, command))
    return ""


def _refusal(github: Connection, pr: PullRequest, comment: Comment, command: Command) -> str:
    """Why this person may not use this command, escaped ('' when they may)."""
    return escape(_why_not(github, pr, comment, command))


def _why_not(github: Connection, pr: PullRequest, comment: Comment, command: Command) -> str:
    if comment.association not in TRUSTED_ASSOCIATIONS:
        return (
            f"{comment.login} cannot use /reviewkit {command.verb}: only people with write access can "
            f"(author association {comment.association})."
        )
    if command.verb in ("accept", "wrong") and pr.by_author(comment.login, comment.user_id):
        return f"{comment.login} opened this pull request and cannot accept or unlearn its own findings."
    allowed, said = Permissions(client=github.client, repository=pr.repository).can_write(comment.login)
    if not allowed:
        return f"{comment.login} cannot use /reviewkit {command.verb}: {said}; only people with write access can."
    return ""


def _unknown_finding(talk: Conversation, comment: Comment, command: Command) -> str:
    """Why an accept or wrong names no finding reviewkit reported ('' when it does)."""
    if comment.in_reply_to is not None:
        if comment.in_reply_to in talk.comments:
            return ""
        return "this thread is not one of reviewkit's findings: reply to a finding's comment, or name its fingerprint"
    if not command.target:
        return f"name the finding: /reviewkit {command.verb} FINGERPRINT <reason> (the summary lists fingerprints)"
    known = talk.state.find(command.target) if talk.state is not None else []
    if not known:
        return f"no finding reported on this pull request has the fingerprint {command.target}"
    return ""


def _explain(github: Connection, pr: PullRequest, comment: Comment, command: Command) -> str:
    talk = read_conversation(github.client, pr, github.identity, graphql=github.graphql)
    wanted = talk.comments.get(comment.in_reply_to or -1) or command.target
    reported = talk.state.reported if talk.state is not None else ()
    found = [r for r in reported if wanted and (r.fingerprint.startswith(wanted) or r.rule == wanted)]
    if not found:
        return escape(
            "Name a finding: reply /reviewkit explain in its thread, or /reviewkit explain FINGERPRINT|RULE "
            "(the summary lists them)."
        )
    from reviewkit.config import Config
    from reviewkit.plugins import load_plugins
    from reviewkit.rules import all_rules

    entries: dict[str, RuleEntry] = {e.rule: e for e in all_rules(load_plugins(Config()).reviewers)}
    return "\n\n".join(_explained(r, entries.get(r.rule)) for r in found[:5])


def _explained(reported: Reported, entry: RuleEntry | None) -> str:
    state = "blocks the merge" if reported.blocking else "does not block the merge"
    lines = [
        f"**{reported.severity}** {code_span(reported.rule)} at {code_span(f'{reported.path}:{reported.line}')} "
        f"({escape(reported.reviewer)}; fingerprint {code_span(reported.fingerprint)}): it {state}.",
        "",
        escape(reported.message),
    ]
    if reported.code:
        lines += ["", code_block(reported.code)]
    if entry is not None:
        lines += ["", f"What the rule means: {escape(entry.doc.summary)}"]
        if entry.doc.fix:
            lines.append(f"How to fix it: {escape(entry.doc.fix)}")
    lines += [
        "",
        "If it is intended, someone with write access can reply `/reviewkit accept <reason>` in its thread; "
        "if it is wrong, `/reviewkit wrong <reason>`.",
    ]
    return "\n".join(lines)


def _after_review(command: Command, comment: Comment, pr: PullRequest, decision: str, code: int) -> str:
    done = (
        f"Reviewed {code_span(pr.head_sha[:10])}: **{decision}** (exit code {code}); "
        "the summary comment has the report."
    )
    if command.verb == "accept":
        return f"Accepted by {code_span(comment.login)}: {escape(command.reason or 'no reason given')}. {done}"
    if command.verb == "wrong":
        return (
            f"Marked wrong by {code_span(comment.login)}: {escape(command.reason or 'no reason given')}. It is no "
            f"longer reported on this pull request; the summary proposes the entry for `.agents/learnings.toml`. {done}"
        )
    return done


def _pull_request_target(target: Target, pr: PullRequest) -> Target:
    return Target(
        event=target.event,
        repository=pr.repository,
        head=pr.head_sha,
        base=pr.base_sha,
        default_branch=target.default_branch,
        description=f"pull request #{pr.number}",
        labels=pr.labels,
        goal=pr.goal,
        pull_request=pr,
    )


def _reply(github: Connection, pr: PullRequest, comment: Comment, text: str) -> None:
    base = f"/repos/{pr.repository}"
    body = f"{ANSWER_MARKER}\n{text}"
    try:
        if comment.kind == "review":
            top = comment.in_reply_to or comment.comment_id
            github.client.request("POST", f"{base}/pulls/{pr.number}/comments/{top}/replies", {"body": body})
        else:
            github.client.request("POST", f"{base}/issues/{pr.number}/comments", {"body": body})
    except GitHubError as exc:
        _say(f"could not answer the comment: {exc}")


def _quoted(comment: Comment) -> str:
    first = comment.body.strip().split("\n", 1)[0][:200]
    return f"> {escape(first)}\n\n"


def _say(message: str) -> None:
    from reviewkit.display import visible

    print(f"reviewkit: {visible(message)}", file=sys.stderr, flush=True)
