"""Reading the reviewed code: file contents at the base and head of the change.

A git range reads from git's object store (never the working tree, which may hold other edits);
a patch with a repository reads the working tree; a patch alone knows only the lines in its hunks.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from reviewkit.diff import Change, FileStatus
from reviewkit.git import BlobReader


class Snapshot(Protocol):
    """One revision of the code. ``complete`` is False when only the diff's own lines are known."""

    complete: bool

    def read_text(self, path: str) -> str | None:
        """The file's text (undecodable bytes replaced), or None when the revision has no such file."""
        ...

    def lines(self, path: str) -> list[str] | None:
        """The file's lines without line endings, or None when the revision has no such file."""
        ...


class _CachedSnapshot:
    complete = True

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}
        self._lines: dict[str, list[str] | None] = {}
        self._lock = threading.Lock()

    def read_text(self, path: str) -> str | None:
        with self._lock:
            if path in self._cache:
                return self._cache[path]
        data = self._read(path)
        text = None if data is None else data.decode("utf-8", "replace")
        with self._lock:
            self._cache[path] = text
        return text

    def lines(self, path: str) -> list[str] | None:
        with self._lock:
            if path in self._lines:
                return self._lines[path]
        text = self.read_text(path)
        result = None if text is None else split_lines(text)
        with self._lock:
            self._lines[path] = result
        return result

    def _read(self, path: str) -> bytes | None:
        raise NotImplementedError


class GitSnapshot(_CachedSnapshot):
    """Files at one commit."""

    def __init__(self, repo: Path, commit: str) -> None:
        super().__init__()
        self.commit = commit
        self._reader = BlobReader(repo, commit)

    def _read(self, path: str) -> bytes | None:
        return self._reader.read(path)

    def close(self) -> None:
        self._reader.close()


class WorkTreeSnapshot(_CachedSnapshot):
    """Files as they are on disk under ``root`` (never following a link out of it)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()

    def _read(self, path: str) -> bytes | None:
        candidate = (self.root / path).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        try:
            return candidate.read_bytes()
        except OSError:
            return None


class PatchSnapshot:
    """What a patch alone says of one side: the hunks' lines at their numbers, blank elsewhere."""

    complete = False

    def __init__(self, change: Change, *, side: str) -> None:
        self._files: dict[str, list[str]] = {}
        for file in change.files:
            if file.status is (FileStatus.DELETED if side == "head" else FileStatus.ADDED):
                continue
            known: dict[int, str] = {}
            for hunk in file.hunks:
                for line in hunk.lines:
                    number = line.new_number if side == "head" else line.old_number
                    if number is not None and line.kind in (" ", "+" if side == "head" else "-"):
                        known[number] = line.text
            size = max(known, default=0)
            name = file.path if side == "head" else (file.old_path or file.path)
            self._files[name] = [known.get(n, "") for n in range(1, size + 1)]

    def read_text(self, path: str) -> str | None:
        lines = self._files.get(path)
        return None if lines is None else "\n".join(lines) + "\n"

    def lines(self, path: str) -> list[str] | None:
        return self._files.get(path)


def split_lines(text: str) -> list[str]:
    """Lines as git numbers them: split on \\n only, a trailing \\r dropped from each."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [part[:-1] if part.endswith("\r") else part for part in parts]
