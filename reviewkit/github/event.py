"""The pull request a workflow run is about, read from the event payload at ``GITHUB_EVENT_PATH``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewkit.errors import InputError


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequest:
    """What reviewkit needs of a ``pull_request`` event. Title and body are untrusted text."""

    repository: str  # "owner/name" of the base repository, where the pull request lives
    number: int
    base_sha: str
    head_sha: str
    labels: tuple[str, ...]
    title: str
    body: str
    fork: bool

    @property
    def goal(self) -> str:
        return f"{self.title}\n\n{self.body}".strip()


def read_event(env: Mapping[str, str]) -> PullRequest:
    """The pull request of the event file named by ``GITHUB_EVENT_PATH``; anything else is an InputError."""
    location = env.get("GITHUB_EVENT_PATH")
    if not location:
        raise InputError(
            "GITHUB_EVENT_PATH is not set: 'reviewkit github' runs in GitHub Actions on pull_request events; "
            "use 'reviewkit review' elsewhere"
        )
    try:
        payload = json.loads(Path(location).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"GITHUB_EVENT_PATH {location}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"GITHUB_EVENT_PATH {location}: line {exc.lineno}: not JSON: {exc.msg}") from exc
    return parse_event(payload, where=location, repository=env.get("GITHUB_REPOSITORY", ""))


def parse_event(payload: Any, *, where: str, repository: str = "") -> PullRequest:
    pr = payload.get("pull_request") if isinstance(payload, dict) else None
    if not isinstance(pr, dict):
        raise InputError(
            f"{where}: not a pull_request event (no 'pull_request' object); run reviewkit's action 'on: pull_request'"
        )
    try:
        base, head = pr["base"], pr["head"]
        base_repo = (base.get("repo") or {}).get("full_name") or repository
        head_repo = (head.get("repo") or {}).get("full_name") or ""
        result = PullRequest(
            repository=repository or base_repo,
            number=int(pr["number"]),
            base_sha=_sha(base["sha"], "pull_request.base.sha", where),
            head_sha=_sha(head["sha"], "pull_request.head.sha", where),
            labels=tuple(str(label["name"]) for label in pr.get("labels") or []),
            title=str(pr.get("title") or ""),
            body=str(pr.get("body") or ""),
            fork=bool(head_repo) and head_repo != base_repo,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{where}: malformed pull_request event: {type(exc).__name__}: {exc}") from exc
    if result.repository.count("/") != 1:
        raise InputError(f"{where}: cannot tell the repository (set GITHUB_REPOSITORY=owner/name)")
    return result


def _sha(value: Any, key: str, where: str) -> str:
    text = str(value)
    if len(text) not in (40, 64) or any(c not in "0123456789abcdef" for c in text):
        raise InputError(f"{where}: {key} is not a commit id: {text[:50]!r}")
    return text
