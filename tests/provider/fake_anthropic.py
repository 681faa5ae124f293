"""A fake Anthropic Messages API: a real HTTP server on 127.0.0.1 that the real SDK talks to.

It records every request (path, headers, JSON body) and answers from a script: model replies
(JSON text or tool calls, any stop reason), HTTP faults with headers, raw malformed bodies and
stalls. Streaming requests get real server-sent events. Prompt caching is simulated the way the API
bills it: the text up to the last ``cache_control`` breakpoint is written to the cache by the first
request whose response has begun, and read by later ones (4 characters count as one token).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

CHARS_PER_TOKEN = 4
MIN_CACHEABLE_TOKENS = 1024
# Not a real key, and not shaped like one: the fake accepts anything.
FAKE_KEY = "test-key-" + "not-a-secret"


@dataclass
class Reply:
    """A model answer: text (usually the JSON the reviewer expects) and/or tool calls."""

    text: str | None = None
    tool_uses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    stop_reason: str = "end_turn"
    output_tokens: int = 50


@dataclass
class Fault:
    """An HTTP error with an Anthropic error body."""

    status: int
    error_type: str = "api_error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Raw:
    """Any body with status 200: for malformed answers."""

    body: bytes
    content_type: str = "application/json"


@dataclass
class Stall:
    """Wait this long before answering anything (then close the connection); with ``midway``, send
    the start of a streamed response first."""

    seconds: float
    midway: bool = False


Item = Reply | Fault | Raw | Stall


def answer(*findings: dict[str, Any], summary: str = "reviewed", dismissals: list[Any] | None = None) -> Reply:
    """A reply in reviewkit's model-output format."""
    data: dict[str, Any] = {"summary": summary, "findings": list(findings)}
    if dismissals is not None:
        data["dismissals"] = dismissals
    return Reply(text=json.dumps(data))


def finding(
    path: str, line: int, evidence: str, *, rule: str = "issue", severity: str = "high", message: str = "a problem"
) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "path": path,
        "line": line,
        "message": message,
        "evidence": evidence,
        "confidence": 0.9,
    }


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float

    @property
    def user_text(self) -> str:
        """The text of the first user turn (the reviewer's part)."""
        content = self.body["messages"][0]["content"]
        return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)

    @property
    def system_text(self) -> str:
        return "".join(block["text"] for block in self.body.get("system", []))

    def everything(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


class FakeAnthropic:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: deque[Item] = deque()
        self.responder: Callable[[Recorded], Item] = lambda _request: answer()
        self.latency_s = 0.0  # time to the end of each model response
        self.prefill_s = 0.0  # time to the start of a streamed response (the cache is written then)
        self.tokens_per_char: float | None = None  # count_tokens override, for chunking tests
        self.count_fault: Fault | None = None  # a gateway without count_tokens
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *items: Item) -> None:
        self.script.extend(items)

    def messages(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    def start(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the server does ----------------------------------------------------------------------

    def next_item(self, request: Recorded) -> Item:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.responder(request)

    def count(self, body: dict[str, Any]) -> int:
        chars = len(_prompt_text(body, upto=None))
        ratio = self.tokens_per_char or 1 / CHARS_PER_TOKEN
        return math.ceil(chars * ratio)

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Billing as the API does it; the cache entry is created when this is called (response start)."""
        total = math.ceil(len(_prompt_text(body, upto=None)) / CHARS_PER_TOKEN)
        prefix = _prompt_text(body, upto="breakpoint")
        cached = math.ceil(len(prefix) / CHARS_PER_TOKEN) if prefix else 0
        if cached < MIN_CACHEABLE_TOKENS:
            return {"input_tokens": total, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
        key = hashlib.sha256((body.get("model", "") + "\0" + prefix).encode()).hexdigest()
        with self._lock:
            hit = key in self._cache
            self._cache.add(key)
        return {
            "input_tokens": total - cached,
            "cache_read_input_tokens": cached if hit else 0,
            "cache_creation_input_tokens": 0 if hit else cached,
        }


def _prompt_text(body: dict[str, Any], *, upto: str | None) -> str:
    """The prompt in cache order (tools, system, messages); with ``upto``, only through the last block
    carrying cache_control ('' when there is none)."""
    blocks: list[tuple[str, bool]] = []
    for tool in body.get("tools", []):
        blocks.append((json.dumps(tool, sort_keys=True), "cache_control" in tool))
    system = body.get("system", [])
    for block in [{"text": system}] if isinstance(system, str) else system:
        blocks.append((block["text"], "cache_control" in block))
    for message in body.get("messages", []):
        content = message["content"]
        for block in [{"text": content}] if isinstance(content, str) else content:
            text = block.get("text") or json.dumps(block.get("content") or block.get("input") or "")
            blocks.append((text, "cache_control" in block))
    if body.get("output_config"):
        blocks.append((json.dumps(body["output_config"], sort_keys=True), False))
    if upto is None:
        return "".join(text for text, _ in blocks)
    marks = [i for i, (_, marked) in enumerate(blocks) if marked]
    return "".join(text for text, _ in blocks[: marks[-1] + 1]) if marks else ""


def _handler(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            body = json.loads(raw)
            path = self.path.split("?")[0]
            recorded = Recorded(
                path=path, headers={k.lower(): v for k, v in self.headers.items()}, body=body, at=time.monotonic()
            )
            with fake._lock:
                fake.requests.append(recorded)
            try:
                if path == "/v1/messages/count_tokens" and fake.count_fault is not None:
                    self._json(fake.count_fault.status, _error_body(fake.count_fault.error_type))
                elif path == "/v1/messages/count_tokens":
                    self._json(200, {"input_tokens": fake.count(body)})
                elif path == "/v1/messages":
                    self._serve(fake.next_item(recorded), body)
                else:
                    self._json(404, _error_body("not_found_error"))
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def _serve(self, item: Item, body: dict[str, Any]) -> None:
            if isinstance(item, Stall):
                if item.midway:
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    start = dict(_message(Reply(), body, fake.usage(body)), content=[], stop_reason=None)
                    self._event("message_start", {"type": "message_start", "message": start})
                    self.wfile.flush()
                time.sleep(item.seconds)
                return
            if isinstance(item, Fault):
                self._json(item.status, _error_body(item.error_type), item.headers)
                return
            if isinstance(item, Raw):
                self._send(200, item.body, item.content_type)
                return
            if body.get("stream"):
                self._stream(item, body)
            else:
                time.sleep(fake.latency_s)
                self._json(200, _message(item, body, fake.usage(body)))

        def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
            time.sleep(fake.prefill_s)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            message = _message(reply, body, fake.usage(body))
            start = dict(message, content=[], stop_reason=None, usage={**message["usage"], "output_tokens": 1})
            self._event("message_start", {"type": "message_start", "message": start})
            self.wfile.flush()
            time.sleep(max(fake.latency_s - fake.prefill_s, 0.0))
            for event in _content_events(message["content"]):
                self._event(event["type"], event)
            self._event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": reply.output_tokens},
                },
            )
            self._event("message_stop", {"type": "message_stop"})
            self.wfile.flush()

        def _event(self, name: str, data: dict[str, Any]) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

        def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(data).encode(), "application/json", headers)

        def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _error_body(error_type: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": f"fake {error_type}"}}


def _message(reply: Reply, body: dict[str, Any], usage: dict[str, int]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.text is not None:
        content.append({"type": "text", "text": reply.text})
    for number, (name, tool_input) in enumerate(reply.tool_uses):
        content.append({"type": "tool_use", "id": f"toolu_{number}", "name": name, "input": tool_input})
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "content": content,
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": reply.output_tokens},
    }


def _content_events(content: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for index, block in enumerate(content):
        if block["type"] == "text":
            yield {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
            text = block["text"]
            for start in range(0, len(text), 200):  # several deltas, as the API sends them
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": text[start : start + 200]},
                }
        else:
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}},
            }
            yield {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
            }
        yield {"type": "content_block_stop", "index": index}


@pytest.fixture(name="fake_api")
def fake_api_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """The fake API, running, with the environment pointing reviewkit at it and short transport limits
    (so a test of retries or stalls takes a fraction of a second)."""
    fake = FakeAnthropic().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("REVIEWKIT_MODEL_BACKOFF", "0.01")
    monkeypatch.setenv("REVIEWKIT_MODEL_TIMEOUT", "5")
    try:
        yield fake
    finally:
        fake.stop()
