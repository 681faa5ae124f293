"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that keeps pull-request state.

Every request body is checked against GitHub's published request schemas (tests/specs/github) and
the limits GitHub enforces (65,536-character bodies, review comments only on lines of the diff); a
violation is answered as GitHub would (422) and recorded, so a test can assert there were none.
Faults are queued per route: status, headers, how many times, and whether the request was applied
before the fault was answered (a 502 that hides a created comment).

The token has an identity (``viewer``), as on GitHub: GraphQL ``viewer`` answers for every token, while
``GET /user`` is refused for an installation token (GITHUB_TOKEN, a GitHub App) as GitHub refuses it.
Everything the token writes is written as ``viewer``; tests plant comments by other accounts.

The conversation a review reads is kept too: labels and the issue's events (who added which label,
when), collaborators' permissions, replies in review threads, reactions, resolved threads (GraphQL
``reviewThreads``) and the pull request itself (``GET /pulls/{n}``, for comment events). Every comment
and event gets a timestamp from a clock that ticks one second per write. Responses for those routes
are checked against GitHub's published response schemas, so a fake answer reviewkit understands is one
GitHub could give.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
from conftest import SPECS

BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
OTHER_BOT = {"login": "helpful-app[bot]", "id": 5150, "type": "Bot"}  # another GitHub App on the repository
HUMAN = {"login": "octocat", "id": 1, "type": "User"}
BODY_LIMIT = 65_536
_ISSUE_COMMENT_SCHEMA = {
    "type": "object",
    "properties": {"body": {"type": "string", "maxLength": BODY_LIMIT}},
    "required": ["body"],
    "additionalProperties": False,
}
_STATES = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}
_DISMISSAL_SCHEMA = {
    "type": "object",
    "properties": {"message": {"type": "string", "minLength": 1}, "event": {"enum": ["DISMISS"]}},
    "required": ["message"],
    "additionalProperties": False,
}
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def _spec(name: str) -> dict[str, Any]:
    return json.loads((SPECS / "github" / name).read_text(encoding="utf-8"))


def _openapi(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable: true`` becomes "or null"."""
    if isinstance(node, list):
        return [_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _openapi(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


def full_user(user: dict[str, Any]) -> dict[str, Any]:
    """A user as the REST API describes one (every field GitHub's simple-user schema requires)."""
    login = user["login"]
    url = f"https://api.github.invalid/users/{login}"
    return {
        "login": login,
        "id": user["id"],
        "node_id": f"U_{user['id']}",
        "avatar_url": f"https://avatars.github.invalid/u/{user['id']}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"https://github.invalid/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": user.get("type", "User"),
        "site_admin": False,
    }


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=lambda: {"message": "fault"})
    times: int = 1
    applied: bool = False  # carry the request out, then answer with the fault


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    at: float
    status: int = 0


class FakeGitHub:
    """State of one repository's pull request, plus what was asked of it."""

    def __init__(self, token: str, repository: str, number: int) -> None:
        self.token = token
        self.repository = repository
        self.number = number
        self.files: list[dict[str, Any]] = []  # GET /pulls/{n}/files, as GitHub reports the diff
        self.reviews: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.issue_comments: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.read_only = False
        self.page_size_cap = 100
        self.viewer: dict[str, Any] = BOT  # the account the token acts as
        self.installation_token = True  # GET /user is refused, as for GITHUB_TOKEN and GitHub App tokens
        self.graphql = True
        self.events: list[dict[str, Any]] = []  # GET /issues/{n}/events
        self.labels: list[str] = []  # the pull request's labels now
        self.permissions: dict[str, str] = {}  # login -> admin | maintain | write | triage | read
        self.reactions: dict[int, list[dict[str, Any]]] = {}  # review comment id -> reactions
        self.resolved: set[int] = set()  # ids of first comments of resolved review threads
        self.pull: dict[str, Any] = {}  # GET /pulls/{n}
        self._ids = iter(range(1000, 10**6))
        self._clock = 1_700_000_000
        self._lock = threading.Lock()
        self.url = ""

    # --- what tests look at ---------------------------------------------------------------------------

    def writes(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method != "GET"
            and r.path != "/graphql"  # a query, sent with POST
            and (method is None or r.method == method)
            and contains in r.path
        ]

    def summary_comments(self) -> list[dict[str, Any]]:
        return [c for c in self.issue_comments if c["body"].startswith("<!-- reviewkit:summary -->")]

    def add_review(self, body: str, user: dict[str, Any], *, commit_id: str = "", state: str = "COMMENTED") -> None:
        self.reviews.append({"id": next(self._ids), "user": user, "body": body, "state": state, "commit_id": commit_id})

    def add_review_comment(
        self,
        body: str,
        user: dict[str, Any],
        *,
        path: str = "",
        line: int = 1,
        in_reply_to: int | None = None,
        association: str = "NONE",
    ) -> dict[str, Any]:
        if in_reply_to is not None:  # a reply sits on its thread's first comment
            top = next(c for c in self.review_comments if c["id"] == in_reply_to)
            path, line = top["path"], top["line"]
        comment = {
            "id": next(self._ids),
            "user": user,
            "body": body,
            "path": path,
            "line": line,
            "side": "RIGHT",
            "author_association": association,
            "created_at": self.now(),
        }
        if in_reply_to is not None:
            comment["in_reply_to_id"] = in_reply_to
        self.review_comments.append(comment)
        return comment

    def add_issue_comment(self, body: str, user: dict[str, Any], *, association: str = "NONE") -> dict[str, Any]:
        stamp = self.now()
        self.issue_comments.append(
            {
                "id": next(self._ids),
                "body": body,
                "user": user,
                "author_association": association,
                "created_at": stamp,
                "updated_at": stamp,
                "html_url": f"https://github.invalid/c/{len(self.issue_comments)}",
            }
        )
        return self.issue_comments[-1]

    def now(self) -> str:
        """The fake's clock: one second later at every call."""
        self._clock += 1
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock))

    def label(self, name: str, actor: dict[str, Any], *, removed: bool = False) -> None:
        """Someone adds (or removes) a label on the pull request: the issue's events record who and when."""
        event = {
            "id": next(self._ids),
            "node_id": f"LE_{len(self.events)}",
            "url": f"https://api.github.invalid/events/{len(self.events)}",
            "actor": full_user(actor),
            "event": "unlabeled" if removed else "labeled",
            "commit_id": None,
            "commit_url": None,
            "created_at": self.now(),
            "performed_via_github_app": None,
            "label": {"name": name, "color": "ededed"},
        }
        self.events.append(event)
        if removed:
            self.labels.remove(name)
        else:
            self.labels.append(name)

    def react(self, comment_id: int, content: str, user: dict[str, Any]) -> None:
        self.reactions.setdefault(comment_id, []).append(
            {
                "id": next(self._ids),
                "node_id": f"R_{comment_id}",
                "user": full_user(user),
                "content": content,
                "created_at": self.now(),
            }
        )

    def answers(self) -> list[dict[str, Any]]:
        """reviewkit's replies to slash commands, in issue comments and review threads."""
        found = [*self.issue_comments, *self.review_comments]
        return [c for c in found if c["body"].startswith("<!-- reviewkit:answer -->")]

    # --- serving ----------------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, body: Any, auth: str) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            record = Recorded(method, raw_path, body, time.monotonic())
            self.requests.append(record)
            status, headers, data = self._route(method, raw_path, body, auth)
            record.status = status
            return status, headers, data

    def _route(self, method: str, raw_path: str, body: Any, auth: str) -> tuple[int, dict[str, str], Any]:
        if auth != f"Bearer {self.token}":
            return 401, {}, {"message": "Bad credentials"}
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        for fault in self.faults:
            if fault.times and fault.method == method and re.search(fault.pattern, path):
                fault.times -= 1
                if fault.applied:
                    self._serve(method, path, query, body)
                return fault.status, fault.headers, fault.body
        return self._serve(method, path, query, body)

    def _serve(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, dict[str, str], Any]:
        if (method, path) == ("POST", "/graphql"):
            return self._graphql(body)
        if (method, path) == ("GET", "/user"):
            if self.installation_token:
                return 403, {}, {"message": "Resource not accessible by integration"}
            return 200, {}, self.viewer
        if self.read_only and method != "GET":
            return 403, {}, {"message": "Resource not accessible by integration"}
        prefix = f"/repos/{self.repository}"
        n = self.number
        routes = {
            ("GET", f"{prefix}/pulls/{n}/comments"): lambda: self._page(self.review_comments, path, query),
            ("GET", f"{prefix}/pulls/{n}/reviews"): lambda: self._page(self.reviews, path, query),
            ("GET", f"{prefix}/pulls/{n}/files"): lambda: self._page(self.files, path, query),
            ("GET", f"{prefix}/issues/{n}/comments"): lambda: self._page(self.issue_comments, path, query),
            ("POST", f"{prefix}/pulls/{n}/reviews"): lambda: self._create_review(body),
            ("POST", f"{prefix}/issues/{n}/comments"): lambda: self._create_comment(body),
        }
        routes.update(
            {
                ("GET", f"{prefix}/pulls/{n}"): lambda: (200, {}, self.pull),
                ("GET", f"{prefix}/issues/{n}/events"): lambda: self._checked_page(
                    "issues_list-events.labeled-items.schema.json", self.events, path, query
                ),
            }
        )
        if (method, path) in routes:
            return routes[(method, path)]()
        return self._conversation(method, path, query, body)

    def _conversation(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        prefix, n = f"/repos/{self.repository}", self.number
        permission = re.fullmatch(rf"{re.escape(prefix)}/collaborators/([^/]+)/permission", path)
        if method == "GET" and permission:
            return self._permission(permission.group(1))
        reactions = re.fullmatch(rf"{re.escape(prefix)}/pulls/comments/(\d+)/reactions", path)
        if method == "GET" and reactions:
            listed = self.reactions.get(int(reactions.group(1)), [])
            return self._checked_page(
                "reactions_list-for-pull-request-review-comment.response.schema.json", listed, path, query
            )
        reply = re.fullmatch(rf"{re.escape(prefix)}/pulls/{n}/comments/(\d+)/replies", path)
        if method == "POST" and reply:
            return self._reply(int(reply.group(1)), body)
        dismissal = re.fullmatch(rf"{re.escape(prefix)}/pulls/{n}/reviews/(\d+)/dismissals", path)
        if method == "PUT" and dismissal:
            return self._dismiss(int(dismissal.group(1)), body)
        match = re.fullmatch(rf"{re.escape(prefix)}/issues/comments/(\d+)", path)
        if method == "PATCH" and match:
            return self._update_comment(int(match.group(1)), body)
        self.violations.append(f"unexpected request {method} {path}")
        return 404, {}, {"message": "Not Found"}

    def _graphql(self, body: Any) -> tuple[int, dict[str, str], Any]:
        if not self.graphql:
            return 404, {}, {"message": "Not Found"}
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            self.violations.append("graphql: no query")
            return 400, {}, {"message": "Problems parsing JSON"}
        if "reviewThreads" in body["query"]:
            return self._threads(body.get("variables") or {})
        if "viewer" not in body["query"]:
            self.violations.append(f"graphql: unexpected query {body['query']!r}")
            return 200, {}, {"errors": [{"message": "unsupported by the fake"}]}
        return 200, {}, {"data": {"viewer": {"login": self.viewer["login"], "databaseId": self.viewer["id"]}}}

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, list[str]]):
        per_page = min(int(query.get("per_page", ["30"])[0]), self.page_size_cap)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, headers, chunk

    def _threads(self, variables: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        owner, name = self.repository.split("/")
        if (variables.get("owner"), variables.get("name"), variables.get("number")) != (owner, name, self.number):
            self.violations.append(f"graphql reviewThreads: unexpected variables {variables}")
        nodes = [
            {"isResolved": c["id"] in self.resolved, "comments": {"nodes": [{"databaseId": c["id"]}]}}
            for c in self.review_comments
            if "in_reply_to_id" not in c
        ]
        threads = {"repository": {"pullRequest": {"reviewThreads": {"nodes": nodes}}}}
        return 200, {}, {"data": threads}

    def _permission(self, login: str) -> tuple[int, dict[str, str], Any]:
        role = self.permissions.get(login)
        if role is None:
            return 404, {}, {"message": "Not Found"}  # not a collaborator
        legacy = {"maintain": "write", "triage": "read"}.get(role, role)
        data = {
            "permission": legacy,
            "role_name": role,
            "user": {**full_user({"login": login, "id": 7}), "role_name": role},
        }
        self._check_response("repos_get-collaborator-permission-level.response.schema.json", data)
        return 200, {}, data

    def _reply(self, comment_id: int, body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._check(_spec("pulls_create-reply-for-review-comment.request.schema.json"), body, "reply")
        if problem:
            return 422, {}, {"message": "Validation Failed", "errors": [problem]}
        top = next((c for c in self.review_comments if c["id"] == comment_id), None)
        if top is None or "in_reply_to_id" in top:
            return 404, {}, {"message": "Not Found"}  # GitHub answers replies to replies so too
        return 201, {}, self.add_review_comment(body["body"], self.viewer, in_reply_to=comment_id)

    def _checked_page(
        self, spec: str, items: list[dict[str, Any]], path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        status, headers, chunk = self._page(items, path, query)
        self._check_response(spec, chunk)
        return status, headers, chunk

    def _check_response(self, spec: str, data: Any) -> None:
        errors = sorted(jsonschema.Draft202012Validator(_openapi(_spec(spec))).iter_errors(data), key=str)
        if errors:
            self.violations.append(f"the fake's own answer breaks {spec}: {errors[0].message}")

    def _check(self, schema: dict[str, Any], body: Any, what: str) -> str | None:
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(body), key=str)
        if errors:
            self.violations.append(f"{what}: {errors[0].message}")
            return errors[0].message
        for text in _bodies(body):
            if len(text) > BODY_LIMIT:
                self.violations.append(f"{what}: body of {len(text)} characters")
                return "body is too long (maximum is 65536 characters)"
        return None

    def _create_review(self, body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._check(_spec("pulls_create-review.request.schema.json"), body, "create review")
        if problem:
            return 422, {}, {"message": "Validation Failed", "errors": [problem]}
        for comment in body.get("comments", []):
            if not self._on_diff(comment):
                return 422, {}, {"message": "Unprocessable Entity", "errors": ["Line could not be resolved"]}
        review = {
            "id": next(self._ids),
            "user": self.viewer,
            "body": body.get("body", ""),
            "state": _STATES[body["event"]],
            "commit_id": body.get("commit_id"),
        }
        self.reviews.append(review)
        for comment in body.get("comments", []):
            self.review_comments.append(
                {
                    "id": next(self._ids),
                    "user": self.viewer,
                    "pull_request_review_id": review["id"],
                    "commit_id": body.get("commit_id"),
                    "author_association": "NONE",
                    "created_at": self.now(),
                    **comment,
                }
            )
        return 200, {}, review

    def _on_diff(self, comment: dict[str, Any]) -> bool:
        entry = next((f for f in self.files if f["filename"] == comment["path"]), None)
        if entry is None or "patch" not in entry:
            return False
        side = comment.get("side", "RIGHT")
        start, end = comment.get("start_line", comment["line"]), comment["line"]
        for match in _HUNK.finditer(entry["patch"]):
            old, old_n, new, new_n = (int(g) if g else 1 for g in match.groups())
            low, count = (new, new_n) if side == "RIGHT" else (old, old_n)
            if low <= start and end <= low + count - 1:
                return True
        return False

    def _dismiss(self, review_id: int, body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._check(_DISMISSAL_SCHEMA, body, "dismiss review")
        if problem:
            return 422, {}, {"message": "Validation Failed", "errors": [problem]}
        review = next((r for r in self.reviews if r["id"] == review_id), None)
        if review is None or review["state"] != "CHANGES_REQUESTED":
            return 422, {}, {"message": "Can not dismiss a review that is not changes requested"}
        review["state"] = "DISMISSED"
        return 200, {}, review

    def _create_comment(self, body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._check(_ISSUE_COMMENT_SCHEMA, body, "create issue comment")
        if problem:
            return 422, {}, {"message": "Validation Failed", "errors": [problem]}
        return 201, {}, self.add_issue_comment(body["body"], self.viewer)

    def _update_comment(self, comment_id: int, body: Any) -> tuple[int, dict[str, str], Any]:
        problem = self._check(_ISSUE_COMMENT_SCHEMA, body, "update issue comment")
        if problem:
            return 422, {}, {"message": "Validation Failed", "errors": [problem]}
        comment = next((c for c in self.issue_comments if c["id"] == comment_id), None)
        if comment is None:
            return 404, {}, {"message": "Not Found"}
        if comment["user"] != self.viewer:
            self.violations.append(f"edited someone else's comment {comment_id}")
            return 403, {}, {"message": "Must have admin rights to Repository."}
        comment["body"] = body["body"]
        comment["updated_at"] = self.now()
        return 200, {}, comment


def _bodies(body: Any) -> Iterator[str]:
    if isinstance(body, dict):
        if isinstance(body.get("body"), str):
            yield body["body"]
        for comment in body.get("comments", []) or []:
            if isinstance(comment, dict) and isinstance(comment.get("body"), str):
                yield comment["body"]


def serve(fake: FakeGitHub) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                fake.violations.append(f"{self.command} {self.path}: body is not JSON")
                body = None
            status, headers, data = fake.handle(self.command, self.path, body, self.headers.get("Authorization", ""))
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread
