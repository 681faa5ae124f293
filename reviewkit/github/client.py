"""A small GitHub REST client on urllib: JSON in and out, pagination, and GitHub's limits respected.

- 403/429 rate limits (primary: ``x-ratelimit-remaining: 0`` + ``x-ratelimit-reset``; secondary: a
  ``retry-after`` header or the "secondary rate limit" message) wait as long as GitHub asks, capped at
  ``max_wait_s`` so a CI job never sleeps for an hour; a 403 without those signs is a permission error
  (a fork's read-only token) and is not retried.
- 5xx and network errors are retried with capped backoff, but a POST only when the caller says it is
  safe: a POST that failed with a 502 may still have been applied.
- Writes are spaced ``write_interval_s`` apart, as GitHub asks of integrations.
- The token goes in one header and nowhere else; ``next`` links are followed only on the API's own host.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reviewkit.version import __version__

_NEXT_LINK = re.compile(r'<([^<>]+)>;\s*rel="next"')  # not past the next '<': a line of '<' is read once
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_DEFAULT_RATE_LIMIT_WAIT_S = 60.0


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only on the same host: urllib would otherwise carry the token elsewhere."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_SameHostRedirects)


class GitHubError(Exception):
    """A request GitHub refused or that could not be made; ``status`` is 0 for a network failure."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {message}" if status else f"{method} {path}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    status: int
    data: Any
    headers: Mapping[str, str]


class GitHubClient:
    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        write_interval_s: float = 1.0,
        max_wait_s: float = 60.0,
        retries: int = 3,
        timeout_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.write_interval_s = write_interval_s
        self.max_wait_s = max_wait_s
        self.retries = retries
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._last_write = float("-inf")
        self.waited_s = 0.0  # time spent waiting on rate limits and backoff, for the step summary

    def get(self, path: str) -> Any:
        return self.request("GET", path).data

    def paginate(self, path: str) -> Iterator[Any]:
        """Every item of a list endpoint, page by page (100 per page) through the ``next`` links."""
        url: str | None = f"{path}{'&' if '?' in path else '?'}per_page=100"
        while url is not None:
            response = self.request("GET", url)
            yield from response.data or []
            url = self._next_page(response.headers.get("link", ""))

    def request(self, method: str, path: str, body: Any = None, *, retry_server_errors: bool | None = None) -> Response:
        """Send one request (retrying as the module docstring says); a final failure is a GitHubError."""
        safe_to_repeat = method != "POST" if retry_server_errors is None else retry_server_errors
        url = path if path.startswith(("https://", "http://")) else f"{self.api_url}{path}"
        shown = url.removeprefix(self.api_url)
        if urlsplit(url).netloc != urlsplit(self.api_url).netloc:  # the token goes to the API's host only
            raise GitHubError(method, shown, 0, f"refusing to send the token to {urlsplit(url).netloc}")
        # A GraphQL query is a read, though it is sent with POST.
        writes = method in _WRITES and not urlsplit(url).path.endswith("/graphql")
        for attempt in range(self.retries + 1):
            if writes:
                self._space_writes()
            try:
                return self._send(method, url, body)
            except urllib.error.HTTPError as exc:
                status, headers = exc.code, {k.lower(): v for k, v in exc.headers.items()}
                message = _error_message(exc.read())
            except (urllib.error.URLError, OSError) as exc:
                if attempt < self.retries and safe_to_repeat:
                    self.backoff(attempt)
                    continue
                reason = getattr(exc, "reason", exc)
                raise GitHubError(method, shown, 0, f"cannot reach {urlsplit(url).netloc}: {reason}") from None
            last = attempt == self.retries
            wait = rate_limit_wait(status, headers, message)
            if wait is not None and not last:
                self._wait(min(wait, self.max_wait_s))
                continue
            if status >= 500 and safe_to_repeat and not last:
                self.backoff(attempt)
                continue
            raise GitHubError(method, shown, status, message)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, body: Any) -> Response:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers(data is not None))
        with _OPENER.open(request, timeout=self.timeout_s) as response:
            raw = response.read()
            headers = {k.lower(): v for k, v in response.headers.items()}
            return Response(status=response.status, data=json.loads(raw) if raw.strip() else None, headers=headers)

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"reviewkit/{__version__}",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _space_writes(self) -> None:
        gap = self._last_write + self.write_interval_s - time.monotonic()
        if gap > 0:
            self._sleep(gap)
        self._last_write = time.monotonic()

    def backoff(self, attempt: int) -> None:
        """Wait before retry number ``attempt`` (0-based): 1, 2, 4 ... seconds, capped at ``max_wait_s``."""
        self._wait(min(2.0**attempt, self.max_wait_s))

    def _wait(self, seconds: float) -> None:
        self.waited_s += max(seconds, 0.0)
        self._sleep(max(seconds, 0.0))

    def _next_page(self, link: str) -> str | None:
        match = _NEXT_LINK.search(link)
        if match is None:
            return None
        target = match.group(1)
        # The token must never travel to another host, whatever a response's Link header says.
        if urlsplit(target).netloc != urlsplit(self.api_url).netloc:
            return None
        return target


def rate_limit_wait(status: int, headers: Mapping[str, str], message: str) -> float | None:
    """Seconds GitHub asks us to wait, or None when the response is not a rate limit."""
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after", "").strip()
    if retry_after:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            return _DEFAULT_RATE_LIMIT_WAIT_S
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return max(int(headers["x-ratelimit-reset"]) - time.time(), 0.0) + 1.0
    if status == 429 or "rate limit" in message.lower():
        return _DEFAULT_RATE_LIMIT_WAIT_S
    return None


def _error_message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:200] or "no message"
    if not isinstance(data, dict):
        return "no message"
    message = str(data.get("message", "no message"))
    errors = data.get("errors")
    if errors:
        message += f" ({json.dumps(errors)[:300]})"
    return message
