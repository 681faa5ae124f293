"""Whose comments are reviewkit's own: the identity of the token it posts with.

Markers in comments (the summary marker, the review marker of a head commit, finding fingerprints) make
reruns idempotent, so a marker must count only in a comment the token itself wrote. "Any account of type
Bot" is not enough: another GitHub App on the repository, or a user-controlled bot account, could plant
a review marker for the head commit (reviewkit would then post no review) or the fingerprints of
findings it wants kept off the diff.

How the identity is learned, for every kind of token:

- GraphQL ``{ viewer { login databaseId } }``. It answers for a GitHub App installation token (and so for
  Actions' GITHUB_TOKEN: ``github-actions[bot]``), where REST ``GET /user`` is refused with 403
  "Resource not accessible by integration", and for personal tokens alike.
- REST ``GET /user`` when GraphQL cannot answer (an API without it): personal and OAuth tokens.

If neither answers, no marker is trusted: reviewkit then posts as if the pull request had no earlier
review (possibly a second summary comment) rather than let someone else's marker steer it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from reviewkit.github.client import GitHubClient, GitHubError

_VIEWER_QUERY = "query { viewer { login databaseId } }"


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """The account a token acts as. ``user_id`` is the numeric id (stable when a login is renamed)."""

    login: str
    user_id: int | None = None

    def wrote(self, item: Any) -> bool:
        """Whether an API object (comment, review) was written by this account."""
        user = item.get("user") if isinstance(item, Mapping) else None
        if not isinstance(user, Mapping):
            return False
        if self.user_id is not None and user.get("id") is not None:
            return bool(user.get("id") == self.user_id)
        return bool(self.login) and user.get("login") == self.login


def graphql_url(api_url: str, env: Mapping[str, str]) -> str:
    """GitHub's GraphQL endpoint: ``GITHUB_GRAPHQL_URL`` in Actions, else derived from the REST URL
    (``https://api.github.com`` -> ``/graphql``; GitHub Enterprise ``https://HOST/api/v3`` -> ``/api/graphql``)."""
    given = env.get("GITHUB_GRAPHQL_URL", "")
    if given:
        return given
    root = api_url.rstrip("/")
    return root.removesuffix("/v3") + "/graphql"


def token_identity(client: GitHubClient, graphql: str) -> tuple[Identity | None, str]:
    """The token's identity and how it was learned, or None and why it could not be."""
    problems = []
    asks: tuple[tuple[str, Callable[[], Identity | None]], ...] = (
        ("GraphQL viewer", partial(_viewer, client, graphql)),
        ("GET /user", partial(_user, client)),
    )
    for name, ask in asks:
        try:
            identity = ask()
        except GitHubError as exc:
            problems.append(f"{name}: {exc.message}")
            continue
        if identity is not None:
            return identity, name
        problems.append(f"{name}: no login in the answer")
    return None, "; ".join(problems)


def _viewer(client: GitHubClient, graphql: str) -> Identity | None:
    data = client.request("POST", graphql, {"query": _VIEWER_QUERY}, retry_server_errors=True).data
    viewer = (data.get("data") or {}).get("viewer") if isinstance(data, Mapping) else None
    if not isinstance(viewer, Mapping) or not isinstance(viewer.get("login"), str) or not viewer["login"]:
        return None
    return Identity(login=viewer["login"], user_id=_int(viewer.get("databaseId")))


def _user(client: GitHubClient) -> Identity | None:
    user = client.request("GET", "/user").data
    if not isinstance(user, Mapping) or not isinstance(user.get("login"), str) or not user["login"]:
        return None
    return Identity(login=user["login"], user_id=_int(user.get("id")))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
