"""Running reviewers: in parallel up to ``max_concurrent`` or one after another, under deadlines.

On Linux each reviewer runs in a forked child process of its own (``process`` isolation): a reviewer
past its deadline is killed with its whole process group and becomes an error verdict, even when it
never yields — a pathological regular expression in C code holds the interpreter lock, so a thread could
not even be noticed, let alone stopped. The parent only dispatches, waits on the children's pidfds, and
answers the few requests a child makes of it (its workspace is made and owned by the parent, so that a
killed reviewer leaves nothing behind). Results come back pickled through a private file.

Elsewhere (no ``fork``/``pidfd_open``), or with ``REVIEWKIT_ISOLATION=thread``, reviewers run in daemon
threads: a reviewer past its deadline is abandoned and reported as an error, but one that never yields
holds the run until it does.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import pickle
import queue
import selectors
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reviewkit import isolation
from reviewkit.errors import Skip

# A reviewer's process builds large, long-lived structures (a syntax tree per file): at Python's default
# thresholds the cyclic collector rescans them again and again (parsing 70,000 lines and keeping the
# trees took 11 s instead of 2.6 s). It still runs, on a larger young generation and less often.
_CHILD_GC_THRESHOLDS = (100_000, 50, 100)


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One reviewer's work.

    :param run: ``run(deadline)`` returns the result or raises; in a child process the result must
        pickle.
    :param prepare: called in the parent just before the job starts (e.g. to make its context, which
        in sequential mode depends on the jobs before it).
    :param services: what a child may ask the parent for (:func:`reviewkit.isolation.ask_parent`).
    :param after: called where the job ran, once it ended however it ended; its value comes back as
        ``Outcome.after`` (what a failed reviewer still spent, say).
    """

    name: str
    run: Callable[[float], Any]
    prepare: Callable[[], None] | None = None
    services: Mapping[str, Callable[[], Any]] = field(default_factory=dict)
    after: Callable[[], Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    name: str
    value: Any = None
    error: str | None = None
    skipped: str | None = None
    duration_s: float = 0.0
    traceback: str | None = field(default=None, repr=False)
    after: Any = None


def isolation_mode() -> str:
    """``process`` where reviewers can be stopped (Linux fork + pidfd), else ``thread``."""
    chosen = os.environ.get("REVIEWKIT_ISOLATION", "").strip()
    if chosen == "thread":
        return "thread"
    can_fork = hasattr(os, "fork") and hasattr(os, "pidfd_open") and sys.platform.startswith("linux")
    return "process" if can_fork else "thread"


def run_jobs(
    jobs: Sequence[Job],
    *,
    max_concurrent: int,
    deadline: float,
    job_timeout_s: float | None = None,
    on_done: Callable[[Outcome], None] | None = None,
    mode: str | None = None,
) -> dict[str, Outcome]:
    """Run ``jobs`` (in order, at most ``max_concurrent`` at once) and return each one's Outcome.

    ``deadline`` is a ``time.monotonic()`` value for the whole run; ``job_timeout_s`` bounds each job
    from its own start. Jobs not started by the deadline are errors too: a review is never silently
    incomplete.
    """
    runner = _ProcessRunner() if (mode or isolation_mode()) == "process" else _ThreadRunner()
    waiting = list(jobs)
    outcomes: dict[str, Outcome] = {}

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.name] = outcome
        if on_done is not None:
            on_done(outcome)

    try:
        while waiting or runner.running:
            while waiting and len(runner.running) < max_concurrent and time.monotonic() < deadline:
                job = waiting.pop(0)
                if job.prepare is not None:
                    job.prepare()
                started = time.monotonic()
                runner.start(job, min(deadline, started + job_timeout_s) if job_timeout_s else deadline)
            if not runner.running:
                break
            for outcome in runner.wait():
                finish(outcome)
    finally:
        runner.stop_all()
    for job in waiting:
        finish(Outcome(name=job.name, error="not started: the run's deadline (max_session_duration) passed"))
    return outcomes


def _timed_out(name: str, started: float) -> Outcome:
    elapsed = time.monotonic() - started
    return Outcome(name=name, error=f"timed out after {elapsed:.1f}s", duration_s=elapsed)


def _run_job(job: Job, deadline: float) -> Outcome:
    """Run one job where it stands (thread or child) and describe how it ended."""
    started = time.monotonic()
    try:
        outcome = Outcome(name=job.name, value=job.run(deadline))
    except Skip as skip:
        outcome = Outcome(name=job.name, skipped=skip.reason)
    except BaseException as exc:  # a reviewer's crash is its own verdict, whatever it raised
        outcome = Outcome(
            name=job.name,
            error=f"{type(exc).__name__}: {exc}".strip().rstrip(":"),
            traceback=traceback.format_exc(),
        )
    after = None
    if job.after is not None:
        with contextlib.suppress(Exception):
            after = job.after()
    return replace(outcome, duration_s=time.monotonic() - started, after=after)


# --- threads ------------------------------------------------------------------------------------------


class _ThreadRunner:
    """Daemon threads: an overrunning job is abandoned (Python cannot kill a thread)."""

    def __init__(self) -> None:
        self.running: dict[str, tuple[float, float]] = {}  # name -> (started, deadline)
        self._finished: queue.Queue[Outcome] = queue.Queue()

    def start(self, job: Job, deadline: float) -> None:
        self.running[job.name] = (time.monotonic(), deadline)
        threading.Thread(
            target=lambda: self._finished.put(_run_job(job, deadline)), name=f"reviewkit-{job.name}", daemon=True
        ).start()

    def wait(self) -> list[Outcome]:
        next_deadline = min(deadline for _, deadline in self.running.values())
        try:
            outcome = self._finished.get(timeout=max(next_deadline - time.monotonic(), 0.0) + 0.01)
        except queue.Empty:
            now = time.monotonic()
            late = [name for name, (_, deadline) in self.running.items() if deadline <= now]
            return [_timed_out(name, self.running.pop(name)[0]) for name in late]
        if outcome.name not in self.running:  # an abandoned job's late answer is ignored
            return []
        del self.running[outcome.name]
        return [outcome]

    def stop_all(self) -> None:
        self.running.clear()


# --- processes ----------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class _Child:
    job: Job
    pid: int
    pidfd: int
    requests: int  # read end: the child's requests
    answers: int  # write end: our answers
    result: Path
    started: float
    deadline: float

    @property
    def fds(self) -> tuple[int, int, int]:
        return (self.pidfd, self.requests, self.answers)


class _ProcessRunner:
    """One forked child per job, in its own process group, killed as a group at its deadline."""

    def __init__(self) -> None:
        self.running: dict[str, _Child] = {}
        self._folder = Path(tempfile.mkdtemp(prefix="reviewkit-jobs-"))
        self._selector = selectors.DefaultSelector()
        self._numbers = itertools.count()
        # Objects made before the children start are never collected in them: the collector would touch
        # (and so copy) every page of the parent's heap in every child.
        gc.freeze()

    def start(self, job: Job, deadline: float) -> None:
        result = self._folder / f"{next(self._numbers)}.result"
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads; ours hold no locks
            pid = os.fork()
        if pid == 0:  # the child: never returns
            for fd in (requests_r, answers_w, *(fd for c in self.running.values() for fd in c.fds)):
                with contextlib.suppress(OSError):
                    os.close(fd)  # the other children's pipes are not this child's business
            _child_main(job, deadline, result, requests_w, answers_r)
        os.close(requests_w)
        os.close(answers_r)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # also done by the child: whichever runs first, the group exists
        child = _Child(
            job=job,
            pid=pid,
            pidfd=os.pidfd_open(pid),
            requests=requests_r,
            answers=answers_w,
            result=result,
            started=time.monotonic(),
            deadline=deadline,
        )
        self.running[job.name] = child
        self._selector.register(child.pidfd, selectors.EVENT_READ, (child, "exit"))
        self._selector.register(child.requests, selectors.EVENT_READ, (child, "request"))

    def wait(self) -> list[Outcome]:
        next_deadline = min(child.deadline for child in self.running.values())
        events = self._selector.select(timeout=max(next_deadline - time.monotonic(), 0.0) + 0.01)
        done: list[Outcome] = []
        for key, _mask in events:
            child, what = key.data
            if child.job.name not in self.running:
                continue
            if what == "request":
                self._answer(child)
            else:
                done.append(self._collect(child))
        now = time.monotonic()
        for child in [c for c in self.running.values() if c.deadline <= now]:
            self._end(child, kill=True)
            done.append(_timed_out(child.job.name, child.started))
        return done

    def _answer(self, child: _Child) -> None:
        """Serve one request of a child; an answer it cannot use is an exception raised in the child."""
        name = _read_frame(child.requests)
        if name is None:  # the child closed its end (it is exiting): nothing to answer
            self._selector.unregister(child.requests)
            return
        service = child.job.services.get(name.decode("utf-8", "replace"))
        try:
            answer: tuple[bool, Any] = (True, service()) if service else (False, f"no service {name!r}")
        except Exception as exc:
            answer = (False, f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(OSError):
            _write_frame(child.answers, pickle.dumps(answer))

    def _collect(self, child: _Child) -> Outcome:
        self._end(child, kill=False)
        try:
            # Written by our own forked child into a folder only this process can read.
            outcome = pickle.loads(child.result.read_bytes())  # nosec B301
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
            elapsed = time.monotonic() - child.started
            return Outcome(
                name=child.job.name,
                error=f"the reviewer's process ended without a result ({type(exc).__name__})",
                duration_s=elapsed,
            )
        assert isinstance(outcome, Outcome)
        return outcome

    def _end(self, child: _Child, *, kill: bool) -> None:
        del self.running[child.job.name]
        if kill:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)  # the reviewer and every process it started
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child.pid, 0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)  # leftovers of a reviewer that exited on its own
        for fd in (child.pidfd, child.requests):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(fd)
        for fd in child.fds:
            with contextlib.suppress(OSError):
                os.close(fd)

    def stop_all(self) -> None:
        """Kill what still runs (Ctrl-C, an error in the parent) and remove the result files."""
        for child in list(self.running.values()):
            self._end(child, kill=True)
        self._selector.close()
        shutil.rmtree(self._folder, ignore_errors=True)
        gc.unfreeze()


def _child_main(job: Job, deadline: float, result: Path, requests: int, answers: int) -> None:
    """The child's whole life: run the job, write its outcome, exit without running the parent's cleanup."""
    code = 0
    try:
        os.setpgid(0, 0)
        # Fresh stream objects: another thread of the parent (a progress heartbeat) may have held the
        # inherited ones' locks at the fork, which would stop this child at its first print.
        sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills the group
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        isolation.enter_child(lambda name: _ask(requests, answers, name))
        gc.set_threshold(*_CHILD_GC_THRESHOLDS)
        outcome = _run_job(job, deadline)
        try:
            data = pickle.dumps(outcome)
        except Exception as exc:
            data = pickle.dumps(Outcome(name=job.name, error=f"the reviewer's result cannot be sent back: {exc}"))
        result.write_bytes(data)
    except BaseException:
        code = 70
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _ask(requests: int, answers: int, name: str) -> Any:
    _write_frame(requests, name.encode("utf-8"))
    frame = _read_frame(answers)
    if frame is None:
        raise RuntimeError(f"the parent process did not answer {name!r}")
    ok, value = pickle.loads(frame)  # nosec B301 - our parent's answer, over a pipe only we share
    if not ok:
        raise RuntimeError(f"the parent process could not serve {name!r}: {value}")
    return value


def _write_frame(fd: int, data: bytes) -> None:
    payload = struct.pack(">I", len(data)) + data
    while payload:
        payload = payload[os.write(fd, payload) :]


def _read_frame(fd: int) -> bytes | None:
    header = _read_exactly(fd, 4)
    if header is None:
        return None
    return _read_exactly(fd, struct.unpack(">I", header)[0])


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
