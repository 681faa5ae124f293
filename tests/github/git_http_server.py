"""A private repository over smart HTTP: ``git http-backend`` behind a server on 127.0.0.1 that answers
401 to any request without the token, as GitHub does for a private repository."""

from __future__ import annotations

import base64
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@contextmanager
def private_git_server(root: Path, token: str) -> Iterator[tuple[str, list[bool]]]:
    """Serve the bare repositories under ``root``; yields the server URL and, per request, whether it
    carried the token."""
    expected = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    seen: list[bool] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
            authorized = scheme.lower() == "basic" and credentials.strip() == expected
            seen.append(authorized)
            if not authorized:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="private"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urlsplit(self.path)
            env = {
                "PATH": "/usr/bin:/bin:/usr/local/bin",
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": url.path,
                "QUERY_STRING": url.query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type") or "",
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding") or "",
                "GIT_PROTOCOL": self.headers.get("Git-Protocol") or "",
            }
            out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False).stdout
            head, _, payload = out.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            status = next((int(line.split()[1]) for line in lines if line.startswith("Status:")), 200)
            self.send_response(status)
            for line in lines:
                key, _, value = line.partition(": ")
                if key and key != "Status":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
