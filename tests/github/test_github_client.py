"""The REST client against real local HTTP servers: the token stays home, limits are obeyed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reviewkit.github.client import GitHubClient, GitHubError

TOKEN = "ghs_" + "FAKE" + "1" * 32
Answer = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], Any]]


class Server:
    def __init__(self, answer: Answer) -> None:
        self.seen: list[tuple[str, str, str]] = []  # method, path, Authorization
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _go(self) -> None:
                outer.seen.append((self.command, self.path, self.headers.get("Authorization", "")))
                status, headers, data = answer(self)
                payload = json.dumps(data).encode()
                self.send_response(status)
                for key, value in {"Content-Length": str(len(payload)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _go

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[Callable[[Answer], Server]]:
    made: list[Server] = []

    def make(answer: Answer) -> Server:
        made.append(Server(answer))
        return made[-1]

    yield make
    for server in made:
        server.close()


def test_next_links_and_redirects_to_another_host_never_get_the_token(servers):
    elsewhere = servers(lambda h: (200, {}, [{"id": "stolen"}]))
    home = servers(
        lambda h: (
            (200, {"Link": f'<{elsewhere.url}/page2>; rel="next"'}, [{"id": 1}])
            if h.path.startswith("/list")
            else (302, {"Location": f"{elsewhere.url}/x"}, {})
        )
    )
    client = GitHubClient(home.url, TOKEN)

    assert list(client.paginate("/list")) == [{"id": 1}]
    with pytest.raises(GitHubError):
        client.get("/moved")
    assert elsewhere.seen == []
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in home.seen)


def test_rate_limit_waits_are_capped_and_permission_errors_are_not_retried(servers):
    answers = iter([(429, {"Retry-After": "7200"}, {"message": "slow down"}), (200, {}, {"ok": True})])
    limited = servers(lambda h: next(answers))
    forbidden = servers(lambda h: (403, {}, {"message": "Resource not accessible by integration"}))
    waits: list[float] = []

    assert GitHubClient(limited.url, TOKEN, max_wait_s=2, sleep=waits.append).get("/x") == {"ok": True}
    assert waits == [2]
    with pytest.raises(GitHubError) as refused:
        GitHubClient(forbidden.url, TOKEN, sleep=waits.append).request("POST", "/y", {"body": "x"})
    assert refused.value.status == 403 and len(forbidden.seen) == 1
    assert TOKEN not in str(refused.value)


def test_a_post_is_not_repeated_after_a_server_error(servers):
    failing = servers(lambda h: (502, {}, {"message": "Bad gateway"}))
    client = GitHubClient(failing.url, TOKEN, sleep=lambda s: None)

    with pytest.raises(GitHubError):
        client.request("POST", "/reviews", {"body": "x"})
    assert len(failing.seen) == 1
    with pytest.raises(GitHubError):
        client.get("/reviews")
    assert len(failing.seen) == 1 + 4  # a GET is retried 3 times
