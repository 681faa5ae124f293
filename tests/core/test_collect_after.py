"""``reviewkit.collect_after``: a batch of work with the cyclic collector paused, its cycles freed after.

A reviewer of a big change parses a module, links its nodes (bandit makes every node point at its parent),
and lets the tree go: those cycles must be gone when the batch ends, the collector must not run inside it,
and whatever the caller set (a collector already off) must hold after it."""

from __future__ import annotations

import gc
import weakref

from reviewkit import collect_after


class _Node:
    def __init__(self, parent: _Node | None) -> None:
        self.parent = parent
        self.children: list[_Node] = []
        if parent is not None:
            parent.children.append(self)


def _tree(depth: int, width: int) -> _Node:
    root = _Node(None)
    level = [root]
    for _ in range(depth):
        level = [_Node(parent) for parent in level for _ in range(width)]
    return root


def _batch(seen: list[weakref.ref[_Node]]) -> None:
    root = _tree(depth=6, width=4)  # 5,461 nodes, each a cycle with its parent
    seen.append(weakref.ref(root))


def test_the_batch_cycles_are_freed_and_the_collector_never_runs_inside() -> None:
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    seen: list[weakref.ref[_Node]] = []
    gc.callbacks.append(count)
    try:
        with collect_after():
            _batch(seen)
            inside = list(collections)
            assert not gc.isenabled()
    finally:
        gc.callbacks.remove(count)
    assert inside == []  # 5,461 objects with cycles, and no collection while they were made
    assert seen[0]() is None  # freed by the collection after the batch, no full collection needed
    assert collections == [0]
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        seen: list[weakref.ref[_Node]] = []
        with collect_after():
            _batch(seen)
        assert seen[0]() is None
        assert not gc.isenabled()
    finally:
        gc.enable()
