"""Confined file operations: reading and writing under one directory without ever leaving it.

Paths are relative, without ``..`` or NUL; directories are opened one component at a time with
O_NOFOLLOW, so a symbolic link (to a directory or a file) is never followed; a file with more than one
hard link is refused (its inode may be shared with a file outside); writes go to a temporary file in
the same directory that is renamed into place, so a reader never sees half a file. ``.git/`` and
reviewkit's own ``.agents/`` (configuration and prompt files) are read-only.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import threading
from collections.abc import Collection, Sequence
from pathlib import Path

import pathspec

from reviewkit.errors import ReviewkitError

READ_ONLY = (".git", ".agents")  # git's own files; reviewkit's config and prompt files
# What no fixer may write, wherever it sits (gitignore-style patterns): what runs or decides in CI
# (workflows, hooks), what changes how git reads the tree (attributes, submodules), and reviewkit's own
# files. A fix that needs one of them is a change for a person to make.
FIXER_READ_ONLY = (
    "/.github/",
    ".gitattributes",
    "/.gitmodules",
    "/.pre-commit-config.yaml",
    "/.pre-commit-hooks.yaml",
    "/.reviewkit-baseline.json",
)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class WorkspaceError(ReviewkitError):
    """A workspace could not be made, or a path given to it is refused (the message says why)."""


def check_path(path: object, *, write: bool = False, protected: Collection[str] = ()) -> tuple[str, ...]:
    """The components of a workspace-relative path, or WorkspaceError saying why it is refused.

    :param protected: more read-only paths, as gitignore-style patterns (see :func:`exact_pattern`):
        the prompt files the configuration names, the files the test command runs.
    """
    if not isinstance(path, str) or not path.strip():
        raise WorkspaceError("a path is required (relative to the repository root)")
    if "\0" in path:
        raise WorkspaceError("paths may not contain NUL bytes")
    if path.startswith("/"):
        raise WorkspaceError(f"{path!r}: paths must be relative to the repository root, not absolute")
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    if ".." in parts:
        raise WorkspaceError(f"{path!r}: '..' is not allowed; paths stay inside the workspace")
    if not write or not parts:
        return parts
    if parts[0] in READ_ONLY:
        raise WorkspaceError(f"{path!r}: {parts[0]}/ is read-only to reviewers")
    if any(part.casefold() == ".git" for part in parts):
        raise WorkspaceError(f"{path!r}: .git directories are read-only to reviewers")
    if _read_only_spec((*FIXER_READ_ONLY, *sorted(protected))).match_file("/".join(parts)):
        raise WorkspaceError(
            f"{path!r} is read-only to reviewers: CI and git configuration, reviewkit's own files and the files "
            "the test gate runs are changed by people, not by fixes"
        )
    return parts


def exact_pattern(path: str) -> str:
    """A gitignore-style pattern that matches exactly ``path`` (relative to the root), nothing else."""
    return "/" + "".join("\\" + c if c in "*?[]\\!# " else c for c in path.strip("/"))


@functools.lru_cache(maxsize=16)
def _read_only_spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _open_dir(root_fd: int, parts: Sequence[str], *, create: bool = False) -> int:
    """Open the directory ``parts`` under ``root_fd`` one component at a time, never following links."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            try:
                next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o755, dir_fd=fd)
                next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise WorkspaceError(f"{'/'.join(parts)}: {part!r} is a symbolic link or not a directory") from exc
                raise
            os.close(fd)
            fd = next_fd
        return fd
    except BaseException:
        os.close(fd)
        raise


class ConfinedTree:
    """File operations under one directory that cannot reach outside it."""

    def __init__(self, root: Path, *, protected: Collection[str] = ()) -> None:
        self.root = root
        self.protected = frozenset(protected)

    def _parent(self, path: str, *, write: bool, create: bool = False) -> tuple[int, str]:
        parts = check_path(path, write=write, protected=self.protected)
        if not parts:
            raise WorkspaceError(f"{path!r}: names the workspace root, not a file")
        root_fd = os.open(self.root, _DIR_FLAGS)
        try:
            return _open_dir(root_fd, parts[:-1], create=create), parts[-1]
        finally:
            os.close(root_fd)

    def lstat(self, path: str) -> os.stat_result | None:
        parts = check_path(path)
        if not parts:
            return os.lstat(self.root)
        try:
            parent, name = self._parent(path, write=False)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            return os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None
        finally:
            os.close(parent)

    def read(self, path: str) -> bytes:
        parent, name = self._parent(path, write=False)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise WorkspaceError(f"{path!r} is a symbolic link; it is not followed") from exc
            raise
        finally:
            os.close(parent)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _check_regular(path, info)
            return handle.read()

    def write(self, path: str, data: bytes, *, executable: bool | None = None) -> None:
        """Replace (or create) a file atomically: a temporary file in the same directory, renamed."""
        parent, name = self._parent(path, write=True, create=True)
        try:
            mode = 0o644
            try:
                info = os.stat(name, dir_fd=parent, follow_symlinks=False)
            except FileNotFoundError:
                info = None
            if info is not None:
                _check_regular(path, info)
                mode = stat.S_IMODE(info.st_mode)
            if executable is not None:
                mode = 0o755 if executable else 0o644
            temp = f".{name}.reviewkit-{os.getpid()}-{threading.get_ident()}.tmp"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.chmod(temp, mode, dir_fd=parent)
                os.rename(temp, name, src_dir_fd=parent, dst_dir_fd=parent)
            except BaseException:
                with _suppress_missing():
                    os.unlink(temp, dir_fd=parent)
                raise
        finally:
            os.close(parent)

    def symlink(self, path: str, target: str) -> None:
        """Create a symbolic link (its target is data: later writes never follow it)."""
        parent, name = self._parent(path, write=True, create=True)
        try:
            self._unlink_at(parent, name)
            os.symlink(target, name, dir_fd=parent)
        finally:
            os.close(parent)

    def remove(self, path: str) -> None:
        try:
            parent, name = self._parent(path, write=True)
        except FileNotFoundError:
            return
        try:
            self._unlink_at(parent, name)
        finally:
            os.close(parent)

    @staticmethod
    def _unlink_at(parent: int, name: str) -> None:
        with _suppress_missing():
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                raise WorkspaceError(f"{name!r} is a directory")
            os.unlink(name, dir_fd=parent)

    def list_dir(self, path: str) -> list[tuple[str, bool]]:
        """Entries of a directory as (name, is_dir), sorted; links are listed, never entered."""
        parts = check_path(path) if path not in ("", ".") else ()
        root_fd = os.open(self.root, _DIR_FLAGS)
        try:
            fd = _open_dir(root_fd, parts)
        finally:
            os.close(root_fd)
        try:
            with os.scandir(fd) as entries:
                return sorted((e.name, e.is_dir(follow_symlinks=False)) for e in entries)
        finally:
            os.close(fd)


def _check_regular(path: str, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise WorkspaceError(f"{path!r} is not a regular file")
    if info.st_nlink > 1:
        # A hardlink may share its inode with a file outside the workspace.
        raise WorkspaceError(f"{path!r} has {info.st_nlink} hard links; it may be a file outside the workspace")


def _suppress_missing() -> contextlib.suppress:
    return contextlib.suppress(FileNotFoundError)
