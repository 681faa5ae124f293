"""What a workflow run reviews, read from the event payload at ``GITHUB_EVENT_PATH``.

- ``pull_request`` (and ``pull_request_target``, which reviewkit reviews the same way but warns about):
  merge-base(base, head)..head, posted to the pull request.
- ``merge_group`` (a merge queue): the group's base_sha..head_sha, so reviewkit can be a required check.
- ``push``: what the push added, before..after (a new branch: since it left the default branch).
- ``workflow_dispatch``: ``--head`` (default: the dispatched commit, GITHUB_SHA) against ``--base``
  (default: the merge-base with the default branch).
- ``issue_comment`` and ``pull_request_review_comment``: a comment on a pull request, which may be a
  slash command (reviewkit.github.slash); the pull request itself is read from the API.

Only pull requests get a posted review; the other events are reviewed into annotations, the step
summary and SARIF. Titles, bodies, comments and commit messages are untrusted text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewkit.errors import InputError

EVENTS = (
    "pull_request",
    "pull_request_target",
    "merge_group",
    "push",
    "workflow_dispatch",
    "issue_comment",
    "pull_request_review_comment",
)
COMMENT_EVENTS = ("issue_comment", "pull_request_review_comment")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_ZERO = re.compile(r"0+")


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequest:
    """What reviewkit needs of a pull request. Title and body are untrusted text."""

    repository: str  # "owner/name" of the base repository, where the pull request lives
    number: int
    base_sha: str
    head_sha: str
    labels: tuple[str, ...]
    title: str
    body: str
    fork: bool
    author: str = ""  # the login that opened it: never accepts findings on it
    author_id: int | None = None

    @property
    def goal(self) -> str:
        return f"{self.title}\n\n{self.body}".strip()

    def by_author(self, login: str, user_id: int | None = None) -> bool:
        """Whether an account is the one that opened this pull request (by id when both are known)."""
        if user_id is not None and self.author_id is not None:
            return user_id == self.author_id
        return bool(login) and login.lower() == self.author.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    """A comment that may hold a slash command: on the conversation (``issue``) or a reply in a review
    thread (``review``, ``in_reply_to`` the thread's first comment). Its body is untrusted text."""

    kind: str  # "issue" | "review"
    comment_id: int
    body: str
    login: str
    user_id: int | None
    association: str  # GitHub's author_association: OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, ...
    in_reply_to: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """What one workflow run reviews.

    ``head`` and ``base`` are commit ids or revisions to fetch; a None ``base`` means "where ``head`` left
    the default branch". The base's configuration applies, never the change's own.
    """

    event: str
    repository: str
    head: str
    base: str | None
    default_branch: str
    description: str
    labels: tuple[str, ...] = ()
    goal: str = ""
    pull_request: PullRequest | None = None
    parent_only: bool = False  # a first push of the default branch: review the head commit alone
    comment: Comment | None = None  # issue_comment / pull_request_review_comment
    number: int | None = None  # the pull request a comment is on (its details come from the API)


def read_event(env: Mapping[str, str], *, base: str | None = None, head: str | None = None) -> Target:
    """The target of the event named by ``GITHUB_EVENT_NAME`` in the file at ``GITHUB_EVENT_PATH``."""
    location = env.get("GITHUB_EVENT_PATH")
    if not location:
        raise InputError(
            "GITHUB_EVENT_PATH is not set: 'reviewkit github' runs in GitHub Actions; use 'reviewkit review' elsewhere"
        )
    try:
        payload = json.loads(Path(location).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"GITHUB_EVENT_PATH {location}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"GITHUB_EVENT_PATH {location}: line {exc.lineno}: not JSON: {exc.msg}") from exc
    if not isinstance(payload, dict):
        raise InputError(f"{location}: the event payload is not a JSON object")
    name = env.get("GITHUB_EVENT_NAME") or _guess_event(payload)
    return parse_event(
        payload,
        name,
        where=location,
        repository=env.get("GITHUB_REPOSITORY", ""),
        sha=env.get("GITHUB_SHA", ""),
        base=base,
        head=head,
    )


def parse_event(
    payload: dict[str, Any],
    name: str,
    *,
    where: str,
    repository: str = "",
    sha: str = "",
    base: str | None = None,
    head: str | None = None,
) -> Target:
    if name not in EVENTS:
        raise InputError(
            f"{where}: reviewkit does not review '{name or 'unknown'}' events; "
            f"run its action on: {', '.join(EVENTS[:1] + EVENTS[2:])}"
        )
    if (base or head) and name not in ("push", "workflow_dispatch"):
        raise InputError(f"--base/--head apply to push and workflow_dispatch events, not to {name}")
    info = payload.get("repository")
    repo_info: dict[str, Any] = info if isinstance(info, dict) else {}
    repository = repository or str(repo_info.get("full_name") or "")
    if repository.count("/") != 1:
        raise InputError(f"{where}: cannot tell the repository (set GITHUB_REPOSITORY=owner/name)")
    default_branch = str(repo_info.get("default_branch") or "main")
    try:
        if name in ("pull_request", "pull_request_target"):
            return _pull_request(payload, name, where, repository, default_branch)
        if name == "merge_group":
            return _merge_group(payload, where, repository, default_branch)
        if name in COMMENT_EVENTS:
            return _comment(payload, name, repository, default_branch)
        if name == "push":
            return _push(payload, where, repository, default_branch, base, head)
        return _dispatch(payload, where, repository, default_branch, sha, base, head)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{where}: malformed {name} event: {type(exc).__name__}: {exc}") from exc


def _guess_event(payload: dict[str, Any]) -> str:
    """Outside a runner (GITHUB_EVENT_NAME unset) the payload's shape says what it is."""
    if "comment" in payload:
        return "pull_request_review_comment" if "pull_request" in payload else "issue_comment"
    if "pull_request" in payload:
        return "pull_request"
    if "merge_group" in payload:
        return "merge_group"
    if "before" in payload and "after" in payload:
        return "push"
    return ""


def _pull_request(payload: dict[str, Any], name: str, where: str, repository: str, branch: str) -> Target:
    pr = payload["pull_request"]
    base, head = pr["base"], pr["head"]
    base_repo = (base.get("repo") or {}).get("full_name") or repository
    head_repo = (head.get("repo") or {}).get("full_name") or ""
    request = PullRequest(
        repository=repository,
        number=int(pr["number"]),
        base_sha=_sha(base["sha"], "pull_request.base.sha", where),
        head_sha=_sha(head["sha"], "pull_request.head.sha", where),
        labels=tuple(str(label["name"]) for label in pr.get("labels") or []),
        title=str(pr.get("title") or ""),
        body=str(pr.get("body") or ""),
        fork=bool(head_repo) and head_repo != base_repo,
        author=str((pr.get("user") or {}).get("login") or ""),
        author_id=_int((pr.get("user") or {}).get("id")),
    )
    return Target(
        event=name,
        repository=repository,
        head=request.head_sha,
        base=request.base_sha,
        default_branch=branch,
        description=f"pull request #{request.number}",
        labels=request.labels,
        goal=request.goal,
        pull_request=request,
    )


def pull_request_from_api(data: dict[str, Any], repository: str) -> PullRequest:
    """A pull request as ``GET /repos/{owner}/{repo}/pulls/{number}`` describes it (for comment events)."""
    return PullRequest(
        repository=repository,
        number=int(data["number"]),
        base_sha=_sha(data["base"]["sha"], "base.sha", "the pull request"),
        head_sha=_sha(data["head"]["sha"], "head.sha", "the pull request"),
        labels=tuple(str(label["name"]) for label in data.get("labels") or []),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        fork=((data["head"].get("repo") or {}).get("full_name") or "") != repository,
        author=str((data.get("user") or {}).get("login") or ""),
        author_id=_int((data.get("user") or {}).get("id")),
    )


def _comment(payload: dict[str, Any], name: str, repository: str, branch: str) -> Target:
    raw = payload["comment"]
    user = raw.get("user") or {}
    if name == "issue_comment":
        issue = payload["issue"]
        number = int(issue["number"]) if issue.get("pull_request") else None  # an issue's comment: not ours
        kind, reply_to = "issue", None
    else:
        number, kind = int(payload["pull_request"]["number"]), "review"
        reply_to = _int(raw.get("in_reply_to_id"))
    comment = Comment(
        kind=kind,
        comment_id=int(raw["id"]),
        body=str(raw.get("body") or ""),
        login=str(user.get("login") or ""),
        user_id=_int(user.get("id")),
        association=str(raw.get("author_association") or "NONE"),
        in_reply_to=reply_to,
    )
    return Target(
        event=name,
        repository=repository,
        head="",
        base=None,
        default_branch=branch,
        description=f"comment on pull request #{number}" if number else "comment on an issue",
        comment=comment,
        number=number,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _merge_group(payload: dict[str, Any], where: str, repository: str, branch: str) -> Target:
    group = payload["merge_group"]
    target_branch = str(group.get("base_ref") or "").removeprefix("refs/heads/") or branch
    return Target(
        event="merge_group",
        repository=repository,
        head=_sha(group["head_sha"], "merge_group.head_sha", where),
        base=_sha(group["base_sha"], "merge_group.base_sha", where),
        default_branch=branch,
        description=f"merge queue group for {target_branch}",
    )


def _push(
    payload: dict[str, Any], where: str, repository: str, branch: str, base: str | None, head: str | None
) -> Target:
    after = head or _sha(payload["after"], "after", where)
    if _ZERO.fullmatch(after):
        raise InputError(f"{where}: this push deleted {payload.get('ref', 'a branch')}: there is nothing to review")
    before = base or _sha(payload["before"], "before", where)
    ref = str(payload.get("ref") or "").removeprefix("refs/heads/")
    count = len(payload.get("commits") or [])
    description = f"push to {ref or 'a branch'}" + (f" ({count} commit(s))" if count else "")
    if not _ZERO.fullmatch(before):
        return Target(
            event="push", repository=repository, head=after, base=before, default_branch=branch, description=description
        )
    # A new branch: what it adds since it left the default branch; the default branch's first push:
    # its head commit against its parent.
    first_of_default = ref == branch
    return Target(
        event="push",
        repository=repository,
        head=after,
        base=None,
        default_branch=branch,
        description=description,
        parent_only=first_of_default,
    )


def _dispatch(
    payload: dict[str, Any],
    where: str,
    repository: str,
    branch: str,
    sha: str,
    base: str | None,
    head: str | None,
) -> Target:
    ref = str(payload.get("ref") or "").removeprefix("refs/heads/")
    target = head or sha
    if not target:
        raise InputError(f"{where}: a workflow_dispatch run needs --head or GITHUB_SHA")
    return Target(
        event="workflow_dispatch",
        repository=repository,
        head=target,
        base=base,
        default_branch=branch,
        description=f"manual run on {ref or target[:12]}",
    )


def _sha(value: Any, key: str, where: str) -> str:
    text = str(value)
    if not _SHA.fullmatch(text):
        raise InputError(f"{where}: {key} is not a commit id: {text[:50]!r}")
    return text
