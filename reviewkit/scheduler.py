"""Running reviewers: in parallel up to ``max_concurrent`` or one after another, under deadlines.

Each reviewer runs in a daemon thread. A reviewer that overruns its deadline is abandoned — Python
cannot kill a thread — and reported as an error; its slot goes to the next reviewer, and whatever it
still does later is ignored. The main thread only dispatches and waits, so Ctrl-C reaches it at once.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewkit.errors import Skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One reviewer's work: ``run(deadline)`` returns its result or raises."""

    name: str
    run: Callable[[float], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    name: str
    value: Any = None
    error: str | None = None
    skipped: str | None = None
    duration_s: float = 0.0
    traceback: str | None = field(default=None, repr=False)


def run_jobs(
    jobs: Sequence[Job],
    *,
    max_concurrent: int,
    deadline: float,
    job_timeout_s: float | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> dict[str, Outcome]:
    """Run ``jobs`` (in order, at most ``max_concurrent`` at once) and return each one's Outcome.

    ``deadline`` is a ``time.monotonic()`` value for the whole run; ``job_timeout_s`` bounds each job
    from its own start. Jobs not started by the deadline are errors too: a review is never silently
    incomplete.
    """
    waiting = list(jobs)
    running: dict[str, float] = {}  # name -> started at
    job_deadlines: dict[str, float] = {}
    outcomes: dict[str, Outcome] = {}
    finished: queue.Queue[Outcome] = queue.Queue()

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.name] = outcome
        running.pop(outcome.name, None)
        if on_done is not None:
            on_done(outcome)

    while waiting or running:
        while waiting and len(running) < max_concurrent and time.monotonic() < deadline:
            job = waiting.pop(0)
            started = time.monotonic()
            job_deadline = min(deadline, started + job_timeout_s) if job_timeout_s else deadline
            running[job.name] = started
            job_deadlines[job.name] = job_deadline
            threading.Thread(
                target=_work, args=(job, job_deadline, finished), name=f"reviewkit-{job.name}", daemon=True
            ).start()
        if not running:
            break
        next_deadline = min(job_deadlines[name] for name in running)
        try:
            outcome = finished.get(timeout=max(next_deadline - time.monotonic(), 0.0) + 0.01)
        except queue.Empty:
            now = time.monotonic()
            for name in [n for n in running if job_deadlines[n] <= now]:
                elapsed = now - running[name]
                finish(Outcome(name=name, error=f"timed out after {elapsed:.1f}s", duration_s=elapsed))
            continue
        if outcome.name in running:  # an abandoned job's late answer is ignored
            finish(outcome)
    for job in waiting:
        finish(Outcome(name=job.name, error="not started: the run's deadline (max_session_duration) passed"))
    return outcomes


def _work(job: Job, deadline: float, finished: queue.Queue[Outcome]) -> None:
    started = time.monotonic()
    try:
        value = job.run(deadline)
    except Skip as skip:
        finished.put(Outcome(name=job.name, skipped=skip.reason, duration_s=time.monotonic() - started))
    except BaseException as exc:  # a reviewer's crash is its own verdict, whatever it raised
        finished.put(
            Outcome(
                name=job.name,
                error=f"{type(exc).__name__}: {exc}".strip().rstrip(":"),
                duration_s=time.monotonic() - started,
                traceback=traceback.format_exc(),
            )
        )
    else:
        finished.put(Outcome(name=job.name, value=value, duration_s=time.monotonic() - started))
