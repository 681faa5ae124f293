"""A fake OSV and PyPI on 127.0.0.1 for the dependency-hygiene reviewer's network checks: real HTTP,
driven by the reviewer's real client, with faults (5xx, garbage bodies, stalls) as well as answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeRegistry:
    vulns: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (name, version) -> ids
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> PyPI JSON
    fault: str | None = None  # "500", "garbage", "stall"
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    url: str = ""

    def release(self, name: str, latest: str, versions: dict[str, dict[str, Any]]) -> None:
        """``versions``: version -> {"uploaded": iso time, "wheel": bool, "yanked": bool}."""
        self.releases[name] = {
            "info": {"name": name, "version": latest},
            "releases": {
                v: [
                    {"packagetype": "sdist", "upload_time_iso_8601": f["uploaded"], "yanked": f.get("yanked", False)},
                    *(
                        [
                            {
                                "packagetype": "bdist_wheel",
                                "upload_time_iso_8601": f["uploaded"],
                                "yanked": f.get("yanked", False),
                            }
                        ]
                        if f.get("wheel", True)
                        else []
                    ),
                ]
                for v, f in versions.items()
            },
        }


def serve(registry: FakeRegistry) -> Iterator[FakeRegistry]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _reply(self, status: int, body: Any) -> None:
            if registry.fault == "stall":
                time.sleep(3)
            raw = b"{not json" if registry.fault == "garbage" else json.dumps(body).encode()
            if registry.fault == "500":
                status, raw = 500, b"oops"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            registry.requests.append(("POST", self.path, body))
            results = [
                {"vulns": [{"id": i} for i in registry.vulns.get((q["package"]["name"], q["version"]), [])]}
                for q in body["queries"]
            ]
            self._reply(200, {"results": results})

        def do_GET(self) -> None:
            registry.requests.append(("GET", self.path, None))
            name = self.path.removeprefix("/pypi/").removesuffix("/json")
            data = registry.releases.get(name)
            self._reply(200 if data else 404, data or {"message": "Not Found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    registry.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
