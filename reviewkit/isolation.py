"""Where a reviewer runs: in the parent process, or in a child the scheduler forked for it.

A child asks its parent for what the parent must own — the reviewer's workspace, which has to be
removed even when the child is killed — with :func:`ask_parent`. Code that runs in both places (a
workspace made on first use) checks :func:`in_child`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
