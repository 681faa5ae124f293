"""The change between two commits, as git computes it — and as the change cannot influence.

A repository under review is untrusted, and so are its ``.gitattributes``: ``*.py -diff`` or ``* binary``
would make git print "Binary files differ" for every file, and a ``diff=`` driver with textconv could
rewrite what reviewers see. So the text diff runs with ``--text --no-textconv --no-ext-diff``, and a file
is binary only when its bytes are: a NUL in the first 8,000 bytes of either side, git's own rule, checked
here on the blobs themselves. Paths come from ``git diff --raw -z`` byte for byte (a name may hold a
newline, a bidi control or bytes that are not UTF-8: it is reviewed like any other, decoded with
``surrogateescape`` so that git finds it again), and the parse is cross-checked against
``git diff --numstat`` so that a mis-parsed diff is refused rather than reviewed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewkit.diff import Change, FileChange, FileStatus, apply_numstat, numstat_counts, parse_patch_text
from reviewkit.errors import InputError
from reviewkit.git import BlobReader, resolve_rev, run_git

# Options shared by every diff of a range, so that all of them describe the same change.
_DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-relative", "-M", "-C")
_BINARY_PROBE = 8000  # bytes git itself inspects for a NUL (buffer_is_binary)
_NO_BLOB = "0" * 40
_BLOB_MODES = ("100644", "100755", "120000")


@dataclass(frozen=True, slots=True, kw_only=True)
class RawEntry:
    """One line of ``git diff --raw -z``: both sides' modes and blobs, the status letter, the paths."""

    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    status: str
    old_path: str
    new_path: str

    @property
    def path(self) -> str:
        """The head path (the old path for a deletion), as FileChange names it."""
        return self.old_path if self.status == "D" else self.new_path


def from_git(repo: Path, base: str, head: str) -> Change:
    """The change from ``base`` to ``head`` in ``repo``, cross-checked against git's own counts."""
    base_sha, head_sha = resolve_rev(repo, base), resolve_rev(repo, head)
    source = f"{base}..{head}"
    entries = raw_entries(repo, base_sha, head_sha)
    binary = _binary_paths(repo, entries)
    text_entries = [e for e in entries if e.path not in binary]
    files = _text_files(repo, base_sha, head_sha, text_entries, whole=not binary, source=source)
    parsed: dict[str, list[FileChange]] = {}
    for file in files:  # a type change gives two files under one name, in git's order
        parsed.setdefault(file.path, []).append(file)
    ordered = tuple(parsed[e.path].pop(0) if e.path not in binary else _binary_file(e) for e in entries)
    return Change(files=ordered, base=base_sha, head=head_sha, source=source)


def raw_entries(repo: Path, base: str, head: str) -> list[RawEntry]:
    """``git diff --raw -z`` between two commits: what changed, with exact path bytes and blob ids."""
    out = run_git(repo, ["diff", "--raw", "-z", "--no-abbrev", *_DIFF_OPTIONS, base, head, "--"])
    fields = out.split(b"\0")
    entries, i = [], 0
    while i < len(fields) and fields[i]:
        meta = fields[i].decode("ascii").lstrip(":").split()
        old_mode, new_mode, old_blob, new_blob, status = meta[0], meta[1], meta[2], meta[3], meta[4][0]
        paths = 2 if status in "RC" else 1
        names = [_path(fields[i + 1 + k]) for k in range(paths)]
        i += 1 + paths
        entry = RawEntry(
            old_mode=old_mode,
            new_mode=new_mode,
            old_blob=old_blob,
            new_blob=new_blob,
            status=status,
            old_path=names[0],
            new_path=names[-1],
        )
        # A type change (a file become a symbolic link, say) is one raw entry but two patches: the old
        # object deleted, the new one added, under the same name.
        entries.extend(_split_type_change(entry) if status == "T" else [entry])
    return entries


def _split_type_change(entry: RawEntry) -> list[RawEntry]:
    deleted = replace(entry, new_mode="000000", new_blob=_NO_BLOB, status="D")
    added = replace(entry, old_mode="000000", old_blob=_NO_BLOB, status="A")
    return [deleted, added]


def _path(raw: bytes) -> str:
    """A path as git stores it: UTF-8, with any other bytes kept (surrogateescape) so git finds it again."""
    return raw.decode("utf-8", "surrogateescape")


def _binary_paths(repo: Path, entries: Sequence[RawEntry]) -> set[str]:
    """Paths whose content (either side) has a NUL in its first 8,000 bytes: binary by its bytes alone."""
    wanted = {blob for e in entries for blob, mode in _sides(e) if blob != _NO_BLOB and mode in _BLOB_MODES}
    binary_blobs = {
        blob
        for blob, data in BlobReader(repo, "HEAD").read_objects(sorted(wanted))
        if data is not None and b"\0" in data[:_BINARY_PROBE]
    }
    return {e.path for e in entries if any(blob in binary_blobs for blob, _ in _sides(e))}


def _sides(entry: RawEntry) -> list[tuple[str, str]]:
    return [(entry.old_blob, entry.old_mode), (entry.new_blob, entry.new_mode)]


def _text_files(
    repo: Path, base: str, head: str, entries: Sequence[RawEntry], *, whole: bool, source: str
) -> tuple[FileChange, ...]:
    """The text diff of ``entries`` (every change when ``whole``), parsed, checked and given exact paths."""
    if not entries:
        return ()
    # Limit the diff to the text files only when some are binary: a pathspec list on every run would
    # cost a long argument list on large changes for nothing.
    pathspecs = [] if whole else sorted({p for e in entries for p in (e.old_path, e.new_path)})
    range_args = ["--text", *_DIFF_OPTIONS, base, head, "--", *pathspecs]
    patch = run_git(repo, ["--literal-pathspecs", "diff", "--src-prefix=a/", "--dst-prefix=b/", *range_args])
    parsed = parse_patch_text(patch.decode("utf-8", "replace"), source=f"git diff {source}")
    files = _with_exact_paths(parsed, entries, source)
    counts = numstat_counts(run_git(repo, ["--literal-pathspecs", "diff", "--numstat", "-z", *range_args]))
    seen = _paths_seen(files)
    return _checked_type_changes(files, counts, source) + apply_numstat(
        tuple(f for f in files if seen[f.path] == 1), counts, source=source, binary_by_counts=False
    )


def _paths_seen(files: Sequence[FileChange]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for file in files:
        seen[file.path] = seen.get(file.path, 0) + 1
    return seen


def _checked_type_changes(
    files: Sequence[FileChange], counts: dict[str, tuple[int | None, int | None]], source: str
) -> tuple[FileChange, ...]:
    """The two halves of each type change, checked against git's single count for the path."""
    seen = _paths_seen(files)
    halves = [f for f in files if seen[f.path] > 1]
    for path in dict.fromkeys(f.path for f in halves):
        added, deleted = counts.pop(path, (None, None))
        parsed = (sum(f.added for f in halves if f.path == path), sum(f.deleted for f in halves if f.path == path))
        if added is not None and deleted is not None and (added, deleted) != parsed:
            raise InputError(f"diff of {source} parsed wrong for the type change of {path!r}; refusing")
    return tuple(halves)


def _with_exact_paths(files: Sequence[FileChange], entries: Sequence[RawEntry], source: str) -> tuple[FileChange, ...]:
    """Give each parsed file the exact paths of its ``--raw`` entry (both list the same queue, in order).

    A file with an unchanged mode and no content change (git lists it for ``--raw`` only when its
    mode or rename changed) still appears in both; the parse's own path must agree once decoded the
    way the text diff was, or the diff was misread.
    """
    if len(files) != len(entries):
        raise InputError(f"diff of {source} parsed wrong: git lists {len(entries)} files, parsed {len(files)}")
    exact = []
    for file, entry in zip(files, entries, strict=True):
        if file.path != _lossy(entry.path):
            raise InputError(f"diff of {source} parsed wrong: {entry.path!r} read as {file.path!r}; refusing")
        old_path = None if file.old_path is None else entry.old_path
        exact.append(replace(file, path=entry.path, old_path=old_path))
    return tuple(exact)


def _lossy(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _binary_file(entry: RawEntry) -> FileChange:
    statuses = {"A": FileStatus.ADDED, "D": FileStatus.DELETED, "R": FileStatus.RENAMED, "C": FileStatus.COPIED}
    status = statuses.get(entry.status, FileStatus.MODIFIED)
    return FileChange(
        path=entry.path,
        old_path=None if status is FileStatus.ADDED else entry.old_path,
        status=status,
        binary=True,
        old_mode=None if entry.old_mode == "000000" else entry.old_mode,
        new_mode=None if entry.new_mode == "000000" else entry.new_mode,
    )


def default_base(repo: Path, head: str) -> str:
    """The merge-base of ``head`` with the upstream branch, as a pull request would see it.

    Falls back to the remote's default branch, then a local main/master/trunk; names what was tried
    when none exists.
    """
    candidates = ["@{upstream}", "refs/remotes/origin/HEAD", "main", "master", "trunk", "origin/main"]
    for candidate in candidates:
        out = run_git(repo, ["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], check=False)
        if not out.strip():
            continue
        merge_base = run_git(repo, ["merge-base", out.decode().strip(), head], check=False).decode().strip()
        if merge_base:
            return merge_base
    raise InputError(
        f"cannot find a base to review {head} against in {repo}: no upstream branch, origin/HEAD, "
        "main, master or trunk; pass --base REV"
    )
