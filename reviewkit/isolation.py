"""Where a reviewer runs: in the parent process, or in a child the scheduler forked for it.

A child asks its parent for what the parent must own — the reviewer's workspace, which has to be
removed even when the child is killed — with :func:`ask_parent`. Code that runs in both places (a
workspace made on first use) checks :func:`in_child`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_ask: Callable[[str], Any] | None = None


def enter_child(ask: Callable[[str], Any]) -> None:
    """Called once in a freshly forked child by the scheduler: requests now go to the parent."""
    global _ask
    _ask = ask


def in_child() -> bool:
    return _ask is not None


def ask_parent(name: str) -> Any:
    """Ask the parent process to run its service ``name`` and return the answer (in a child only)."""
    if _ask is None:
        raise RuntimeError(f"ask_parent({name!r}) outside a reviewer's child process")
    return _ask(name)


def in_halves(function: Callable[[list[T]], R], items: Sequence[T], weight: Callable[[T], int]) -> list[R]:
    """``function`` over ``items`` split in two halves of about equal ``weight``, the second half in a
    forked worker, when this is a reviewer's child and the machine has a second CPU; else over all of
    them here. The worker dies with the reviewer (same process group, so the deadline's kill takes it too);
    if it fails, its half runs here, so an error shows as the reviewer's own. ``function`` must only
    compute: what it reads must already be in memory, and what it does must be in what it returns."""
    if len(items) < 2 or not in_child() or len(os.sched_getaffinity(0)) < 2:
        return [function(list(items))]
    first, second = _halves(items, weight)
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads; a reviewer has none
        pid = os.fork()
    if pid == 0:  # the worker: compute, send, and leave without the parent's cleanup
        code = 1
        try:
            os.close(read)
            gc.freeze()
            data = pickle.dumps(function(second))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    mine = function(first)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return [mine, function(second)]
    return [mine, pickle.loads(data)]  # nosec B301 - our own worker's result, over a pipe only we share


@contextlib.contextmanager
def collect_after() -> Iterator[None]:
    """A batch of work that makes many objects and lets them go (one module's syntax trees, say), run with
    the cyclic collector paused, its garbage cycles freed right after.

    At Python's thresholds the collector runs every few hundred allocations and now and then rescans every
    object alive, however long-lived, while a big tree is being built; on a 70,000-line change that was a
    third of the security reviewer's time. Paused, every object the batch makes stays in the youngest
    generation, so one young collection at the end finds the batch's cycles without looking at anything
    older. The caller must hold no reference to the batch's objects when the block ends (do the work in a
    function), or they outlive the young collection and wait for a full one."""
    with collector_paused():
        try:
            yield
        finally:
            gc.collect(0)  # still paused: this is the only collection the batch costs


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block (as it was after it): for work that allocates a great many
    objects and makes no cycles, which the collector would only rescan."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _halves(items: Sequence[T], weight: Callable[[T], int]) -> tuple[list[T], list[T]]:
    """``items`` in two halves of about equal weight (heaviest first, each to the lighter half), each
    half in the items' own order."""
    weights = [weight(item) for item in items]
    halves: tuple[list[int], list[int]] = ([], [])
    loads = [0, 0]
    for index in sorted(range(len(items)), key=weights.__getitem__, reverse=True):
        lighter = 0 if loads[0] <= loads[1] else 1
        halves[lighter].append(index)
        loads[lighter] += weights[index]
    return [items[i] for i in sorted(halves[0])], [items[i] for i in sorted(halves[1])]
