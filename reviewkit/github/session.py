"""What one run of the Action works with: its options, and its connection to the GitHub API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reviewkit.github.client import GitHubClient
from reviewkit.github.identity import Identity, graphql_url, token_identity


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionOptions:
    repo: Path | None = None
    config: str | None = None
    reviewers: tuple[str, ...] = ()
    offline: bool = False
    fail_on: str = "blocking"
    post_review: str = "true"
    report_file: str | None = None
    sarif_file: str | None = None
    blocked_plugins: tuple[str, ...] = ()
    write_interval_s: float = 1.0
    max_wait_s: float = 60.0
    base: str | None = None  # push and workflow_dispatch only
    head: str | None = None
    memory: bool = True  # review memory (docs/review-memory.md)


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """The API client and the token's own identity (None: unknown, so no earlier comment is trusted)."""

    client: GitHubClient
    identity: Identity | None
    how: str
    graphql: str


def connect(options: ActionOptions, token: str, env: Mapping[str, str]) -> Connection:
    api_url = env.get("GITHUB_API_URL") or "https://api.github.com"
    client = GitHubClient(api_url, token, write_interval_s=options.write_interval_s, max_wait_s=options.max_wait_s)
    graphql = graphql_url(api_url, env)
    identity, how = token_identity(client, graphql)
    return Connection(client=client, identity=identity, how=how, graphql=graphql)
