"""``reviewkit cache``: look at or clear the repository's review memory (reviewkit.memory)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reviewkit.errors import InputError


def add_parser(commands: Any) -> None:
    cache = commands.add_parser("cache", help="review memory: 'info' shows it, 'clear' forgets it")
    cache.add_argument("action", choices=("info", "clear"), help="info: where it is and how big; clear: remove it")
    cache.add_argument("--repo", type=Path, metavar="DIR", help="repository (default: the current one)")
    cache.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from reviewkit import memory
    from reviewkit.git import find_repo_root

    root = find_repo_root((args.repo or Path.cwd()).resolve())
    if root is None:
        raise InputError("cache: not inside a git repository (review memory lives in its git directory)")
    folder, _default = memory.memory_folder(root)
    if args.action == "clear":
        removed = memory.clear(folder)
        print(f"reviewkit: removed {removed} review memory entr{'y' if removed == 1 else 'ies'} from {folder}")
        return 0
    entries = list((folder / "entries").glob("*/*.json")) if folder.is_dir() else []
    size = sum(entry.stat().st_size for entry in entries)
    print(f"{folder}: {len(entries)} entries, {size / 1024:.1f} KiB ('reviewkit cache clear' removes them)")
    return 0
