"""Progress on stderr: what the run is doing, with the time since it started, and a line every
``interval`` seconds while nothing else is said, so a long review in a CI log is visibly alive.

Shown on a terminal (unless ``NO_COLOR``), or anywhere with ``--progress``; never on stdout, which
holds the report.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

HEARTBEAT_S = 15.0


class Progress:
    """A ``say(message)`` callable for the pipeline; ``close()`` stops the heartbeat."""

    def __init__(self, stream: TextIO | None = None, *, interval: float = HEARTBEAT_S) -> None:
        self._stream = stream or sys.stderr
        self._started = time.monotonic()
        self._last = "started"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(interval,), name="reviewkit-progress", daemon=True)
        self._thread.start()

    def __call__(self, message: str) -> None:
        with self._lock:
            self._last = message
            self._write(message)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with self._lock:
                self._write(f"still working (last: {self._last})")

    def _write(self, message: str) -> None:
        from reviewkit.display import visible  # progress names files and reviewers: escaped like every name

        elapsed = time.monotonic() - self._started
        print(f"reviewkit: [{elapsed:6.1f}s] {visible(message)}", file=self._stream, flush=True)


def progress_for(force: bool) -> Progress | None:
    """A Progress on a terminal (unless NO_COLOR) or when forced (``--progress``), else None."""
    if force or (sys.stderr.isatty() and not os.environ.get("NO_COLOR")):
        return Progress()
    return None
