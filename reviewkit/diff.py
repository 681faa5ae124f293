"""The change under review: its data types, and unified-diff text parsed into them. The only module
that sees unidiff (a git range is computed in reviewkit.gitdiff and parsed here).

unidiff is trusted only as far as it can be checked: its known faults (quoted paths returned still
quoted, garbage parsed to zero files, hunk line counts) are guarded here, and a parse is cross-checked
against git's own ``--numstat`` counts so that a mis-parsed diff is refused rather than reviewed.
"""

from __future__ import annotations

import enum
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk
from unidiff.patch import PatchedFile, PatchSet

from reviewkit.errors import InputError
from reviewkit.git import SAFE_CONFIG, git_env
from reviewkit.isolation import collector_paused

_SYMLINK_MODE = "120000"


class FileStatus(enum.StrEnum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"


class Line(NamedTuple):
    """One line of a hunk: ``kind`` is ``+`` (added), ``-`` (deleted) or `` `` (context).

    A NamedTuple rather than a frozen dataclass: a large diff has hundreds of thousands of lines and a
    tuple is built several times faster, with the same immutability.
    """

    kind: str
    text: str
    old_number: int | None
    new_number: int | None


class AddedLine(NamedTuple):
    """A line the change adds, at its number in the head revision."""

    path: str
    number: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileChange:
    """One file the change touches. ``path`` is the head path (the old path for a deleted file)."""

    path: str
    old_path: str | None
    status: FileStatus
    hunks: tuple[Hunk, ...] = ()
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    added: int = 0
    deleted: int = 0

    @property
    def is_symlink(self) -> bool:
        return _SYMLINK_MODE in (self.old_mode, self.new_mode)

    @property
    def paths(self) -> tuple[str, ...]:
        """Both sides' paths (a rename matches a trigger by either)."""
        if self.old_path and self.old_path != self.path:
            return (self.path, self.old_path)
        return (self.path,)

    def added_lines(self) -> Iterator[AddedLine]:
        if self.status is FileStatus.DELETED:
            return
        for hunk in self.hunks:
            for line in hunk.lines:
                if line.kind == "+" and line.new_number is not None:
                    yield AddedLine(self.path, line.new_number, line.text)

    def added_line_numbers(self) -> frozenset[int]:
        return frozenset(line.number for line in self.added_lines())

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "old_path": self.old_path,
            "status": self.status.value,
            "added": self.added,
            "deleted": self.deleted,
            "binary": self.binary,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """The whole change: the files it touches and the revisions it lies between.

    ``base`` and ``head`` are commit ids for a git range; for a patch file they are None and
    ``source`` names the file.
    """

    files: tuple[FileChange, ...]
    base: str | None = None
    head: str | None = None
    source: str = ""
    _by_path: dict[str, FileChange] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_path.update((f.path, f) for f in self.files)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)

    def file(self, path: str) -> FileChange | None:
        return self._by_path.get(path)

    def added_lines(self, paths: Iterable[str] | None = None) -> Iterator[AddedLine]:
        """Every added line, file by file; only in ``paths`` when given."""
        wanted = None if paths is None else set(paths)
        for file in self.files:
            if wanted is None or file.path in wanted:
                yield from file.added_lines()

    @property
    def is_empty(self) -> bool:
        return not self.files


# --- git's counts, to check a parse against ---------------------------------------------------------


def numstat_counts(raw: bytes) -> dict[str, tuple[int | None, int | None]]:
    """``git diff --numstat -z`` (or ``git apply --numstat -z``) as {head path: (added, deleted)}, None
    for binary counts. Paths keep bytes that are not UTF-8 (surrogateescape), as git stores them."""
    counts: dict[str, tuple[int | None, int | None]] = {}
    fields = raw.split(b"\0")
    i = 0
    while i < len(fields) and fields[i]:
        added, deleted, name = fields[i].split(b"\t", 2)
        if name == b"":  # a rename or copy: old and new path follow as their own fields
            name = fields[i + 2]
            i += 3
        else:
            i += 1
        path = name.decode("utf-8", "surrogateescape")
        counts[path] = (None if added == b"-" else int(added), None if deleted == b"-" else int(deleted))
    return counts


def apply_numstat(
    files: tuple[FileChange, ...],
    counts: dict[str, tuple[int | None, int | None]],
    *,
    source: str,
    binary_by_counts: bool = True,
) -> tuple[FileChange, ...]:
    """Check each parsed file's line counts against git's; refuse a misread diff.

    :param binary_by_counts: a file git counts as binary (``-``) becomes a binary entry. False when
        binary files were already set apart by their bytes: then ``-`` only says that an attribute of the
        (untrusted) repository calls the file binary, and the parse's own hunk checks stand.
    """
    checked = []
    for file in files:
        if file.path not in counts:
            if file.added == 0 and file.deleted == 0:  # git's numstat omits some mode-only entries
                checked.append(file)
                continue
            raise InputError(f"diff of {source} parsed wrong: {file.path!r} is not in git's numstat; refusing")
        added, deleted = counts.pop(file.path)
        if added is None or deleted is None:
            if binary_by_counts:
                checked.append(replace(file, hunks=(), binary=True, added=0, deleted=0))  # git saw binary data
            else:
                checked.append(file)
            continue
        if (added, deleted) != (file.added, file.deleted):
            raise InputError(
                f"diff of {source} parsed wrong for {file.path!r}: git counts +{added} -{deleted}, "
                f"parsed +{file.added} -{file.deleted}; refusing to review a misread diff"
            )
        checked.append(file)
    if counts:
        missing = ", ".join(sorted(counts)[:3])
        raise InputError(f"diff of {source} parsed wrong: git lists {missing} but the parse lost them; refusing")
    return tuple(checked)


# --- from a patch ----------------------------------------------------------------------------------------


def read_patch(path: str | Path) -> tuple[bytes, str]:
    """A patch file's bytes (``-`` reads stdin) and the name to show for it."""
    name = "stdin" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            import sys

            return sys.stdin.buffer.read(), name
        return Path(path).read_bytes(), name
    except OSError as exc:
        raise InputError(f"cannot read diff {name}: {exc.strerror}") from exc


def from_patch_file(path: str | Path) -> Change:
    """The change a patch file (``-`` for stdin) describes; malformed input is an InputError with its line."""
    data, name = read_patch(path)
    return from_patch_bytes(data, name)


def from_patch_bytes(data: bytes, name: str) -> Change:
    """The change a patch describes; its paths must stay inside a repository (no ``..``, not absolute)."""
    text = data.decode("utf-8", "replace")
    files = parse_patch_text(text, source=name)
    files = _cross_check_with_git_apply(data, files, name)
    for file in files:
        for path in filter(None, (file.path, file.old_path)):
            if path.startswith("/") or ".." in path.split("/"):
                raise InputError(f"{name}: {path!r}: a patch may only name paths inside the repository")
    return Change(files=files, source=name)


def parse_patch_text(text: str, *, source: str) -> tuple[FileChange, ...]:
    """Parse unified-diff text (git or plain) into FileChanges; raises InputError with a line number.

    A git diff is parsed a file at a time (it is split before each ``diff --git`` line, which no hunk line
    can be: those start with a space, ``+``, ``-`` or ``\\``), so that only one file's parser objects are
    alive beside the result: on a 50 MB diff they were most of the peak memory."""
    if not text.strip():
        return ()
    files: list[FileChange] = []
    for first_line, chunk in _file_chunks(text):
        files.extend(_parse_chunk(chunk, source, first_line))
    if not files:
        first = next((i for i, line in enumerate(text.splitlines(), 1) if line.strip()), 1)
        raise InputError(f"{source}: line {first}: not a diff (no 'diff --git' or '---'/'+++' file headers)")
    return tuple(files)


def _file_chunks(text: str) -> Iterator[tuple[int, str]]:
    """(number of its first line, text) of each part of ``text`` that starts a new ``diff --git`` file;
    what comes before the second such line (a preamble, the first file) is the first part."""
    start, line = 0, 1
    position = text.find("\ndiff --git ")
    if text.startswith("diff --git "):
        position = text.find("\ndiff --git ", 1)
    while position != -1:
        end = position + 1
        yield line, text[start:end]
        line += text.count("\n", start, end)
        start = end
        position = text.find("\ndiff --git ", end)
    yield line, text[start:]


def _parse_chunk(text: str, source: str, first_line: int) -> list[FileChange]:
    _check_nothing_after_hunks(text, source, first_line)
    lines = _CountingLines(text, first_line)
    # Parsing allocates an object per diff line and creates no cycles: the cyclic collector would
    # only rescan them over and over (a third of the time on a 200,000-line diff).
    try:
        with collector_paused():
            return [_convert_file(patched, source) for patched in PatchSet(lines)]
    except UnidiffParseError as exc:
        raise InputError(f"{source}: line {lines.number}: malformed diff: {exc}".rstrip()) from exc


_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def _check_nothing_after_hunks(text: str, source: str, first_line: int = 1) -> None:
    """Refuse diff lines that follow a hunk its header says is complete.

    unidiff reads such lines as free text and drops them, so a hunk header that undercounts its body
    would lose changed lines from the review without a word.
    """
    old = new = 0
    after_hunk = False
    for number, line in enumerate(text.split("\n"), first_line):
        header = _HUNK_HEADER.match(line)
        if header:
            old, new = int(header.group(1) or 1), int(header.group(2) or 1)
            after_hunk = old == new == 0
            continue
        if old or new:
            kind = line[:1]
            old -= kind in ("-", " ", "")
            new -= kind in ("+", " ", "")
            after_hunk = old <= 0 and new <= 0
            old, new = max(old, 0), max(new, 0)
            continue
        if after_hunk and line[:1] in ("+", "-", " ") and not line.startswith(("+++ ", "--- ")) and line != "-- ":
            raise InputError(
                f"{source}: line {number}: malformed diff: a changed line after the hunk ended "
                "(its @@ header counts fewer lines than it has)"
            )
        after_hunk = after_hunk and not line.startswith(("diff ", "--- ", "+++ ", "index "))


class _CountingLines:
    """Feeds unidiff line by line and remembers where it was, so a parse error can name its line.

    Lines are split on ``\\n`` only, as git splits them: ``str.splitlines`` would also split on
    ``\\r``, form feeds and Unicode separators inside a line's content and so misnumber the hunk.
    """

    def __init__(self, text: str, first_line: int = 1) -> None:
        self._text = text
        self._first = first_line
        self.number = first_line - 1

    def __iter__(self) -> Iterator[str]:
        lines = self._text.split("\n")
        last = lines.pop()  # the text after the final newline, usually ""
        first = self._first
        for self.number, line in enumerate(lines, first):
            yield line + "\n"
        if last:
            self.number += 1
            yield last


def _convert_file(patched: PatchedFile, source: str) -> FileChange:
    info = [str(line).rstrip("\n") for line in (patched.patch_info or [])]
    old_name = _path_from(patched.source_file)
    new_name = _path_from(patched.target_file)
    header_old, header_new = _header_paths(info)
    old_name = _info_value(info, "rename from ") or _info_value(info, "copy from ") or old_name or header_old
    new_name = _info_value(info, "rename to ") or _info_value(info, "copy to ") or new_name or header_new
    status = _status(info, old_name, new_name)
    path = old_name if status is FileStatus.DELETED else new_name
    if not path:
        raise InputError(f"{source}: line {patched.diff_line_no or 1}: a file entry without a path")
    hunks = tuple(_convert_hunk(hunk, path, source) for hunk in patched)
    return FileChange(
        path=path,
        old_path=None if status is FileStatus.ADDED else old_name,
        status=status,
        hunks=hunks,
        binary=bool(patched.is_binary_file),
        old_mode=patched.source_mode,
        new_mode=patched.target_mode,
        added=sum(1 for h in hunks for line in h.lines if line.kind == "+"),
        deleted=sum(1 for h in hunks for line in h.lines if line.kind == "-"),
    )


def _status(info: list[str], old_name: str | None, new_name: str | None) -> FileStatus:
    if any(line.startswith("new file mode") for line in info) or old_name is None:
        return FileStatus.ADDED
    if any(line.startswith("deleted file mode") for line in info) or new_name is None:
        return FileStatus.DELETED
    if any(line.startswith("copy from ") for line in info):
        return FileStatus.COPIED
    if any(line.startswith("rename from ") for line in info) or old_name != new_name:
        return FileStatus.RENAMED
    return FileStatus.MODIFIED


def _convert_hunk(hunk: UnidiffHunk, path: str, source: str) -> Hunk:
    lines = []
    for line in hunk:
        kind = line.line_type
        if kind == "+" or kind == "-" or kind == " ":  # not "\\ No newline" markers or blank separators
            value = line.value
            if value.endswith("\n"):
                value = value[:-2] if value.endswith("\r\n") else value[:-1]
            elif value.endswith("\r"):
                value = value[:-1]
            lines.append(Line(kind, value, line.source_line_no, line.target_line_no))
    old_seen = sum(1 for line in lines if line.kind != "+")
    new_seen = len(lines) - sum(1 for line in lines if line.kind == "-")
    # unidiff has in some versions dropped lines past a short header silently; count for ourselves.
    if (old_seen, new_seen) != (hunk.source_length, hunk.target_length):
        raise InputError(
            f"{source}: hunk @@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},"
            f"{hunk.target_length} @@ in {path} has {old_seen} old and {new_seen} new lines"
        )
    return Hunk(
        old_start=hunk.source_start,
        old_count=hunk.source_length,
        new_start=hunk.target_start,
        new_count=hunk.target_length,
        section=hunk.section_header or "",
        lines=tuple(lines),
    )


_PREFIX = re.compile(r"^[abciow12]/")


def _path_from(name: str | None) -> str | None:
    """A header's file name as a plain repository path: unquoted, without a/ b/, None for /dev/null."""
    if not name or name == "/dev/null":
        return None
    name = unquote_c_path(name)
    return _PREFIX.sub("", name, count=1) if _PREFIX.match(name) else name


def _info_value(info: list[str], prefix: str) -> str | None:
    for line in info:
        if line.startswith(prefix):
            return unquote_c_path(line[len(prefix) :])
    return None


def _header_paths(info: list[str]) -> tuple[str | None, str | None]:
    """Paths from ``diff --git a/P b/P`` when there are no ---/+++ lines (binary, mode-only, pure rename)."""
    header = next((line for line in info if line.startswith("diff --git ")), None)
    if header is None:
        return None, None
    rest = header[len("diff --git ") :]
    if rest.startswith('"'):
        match = re.match(r'("(?:[^"\\]|\\.)*")\s+(.*)$', rest)
        if match:
            return _path_from(match.group(1)), _path_from(match.group(2))
    half = (len(rest) - 5) // 2
    if half > 0 and rest == f"a/{rest[2 : 2 + half]} b/{rest[2 : 2 + half]}":
        return rest[2 : 2 + half], rest[2 : 2 + half]
    parts = rest.rsplit(" b/", 1)
    if len(parts) == 2:
        return _path_from(parts[0]), parts[1]
    return None, None


_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote_c_path(name: str) -> str:
    """Undo git's C-style quoting (``"caf\\303\\251.txt"`` -> ``café.txt``); plain names pass through."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out += char.encode("utf-8")
            i += 1
        elif body[i + 1] in _C_ESCAPES:
            out.append(_C_ESCAPES[body[i + 1]])
            i += 2
        elif body[i + 1 : i + 4].isdigit() and len(body[i + 1 : i + 4]) == 3:
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out += body[i + 1].encode("utf-8")
            i += 2
    return out.decode("utf-8", "replace")


def _cross_check_with_git_apply(data: bytes, files: tuple[FileChange, ...], name: str) -> tuple[FileChange, ...]:
    """Compare the parse with git's own patch parser (``git apply --numstat``), where git exists.

    Plain (non-git) patches without a/ b/ prefixes are counted with ``-p0`` by git; if git cannot
    read the patch at all the parse stands on its own checks.
    """
    try:
        proc = subprocess.run(
            ["git", *SAFE_CONFIG, "apply", "--numstat", "-z", "--allow-empty", "-"],
            input=data,
            capture_output=True,
            env=git_env(),
            cwd="/",
            check=False,
        )
    except FileNotFoundError:
        return files
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        if message and "corrupt patch" in message[-1]:
            raise InputError(f"{name}: malformed diff ({message[-1].removeprefix('error: ')})")
        return files
    counts = numstat_counts(proc.stdout)
    if set(counts) != {f.path for f in files}:
        return files  # git strips plain patches' paths differently (-p1); the parse's own checks stand
    return apply_numstat(files, counts, source=name)
