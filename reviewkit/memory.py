"""Review memory: a reviewer's findings for a file, reused while nothing they depend on has changed.

An entry holds one reviewer's findings for one changed file. Its key is a digest of everything the
result depends on: the reviewer (name, reviewkit's version, the source of the reviewer's module), its
configuration (prompt file, model, options, trigger), the goal, the repository's learnings, whether
the review is untrusted, the labels, and the file's base and head blobs (with modes, status and old
path). The files the reviewer asked to see as context are recorded in the entry with their blobs and
checked when it is read. Memory is content-addressed, so the interdiff of a pull request falls out of
it: a new push re-reviews exactly the files whose content (or base, after a rebase) is not one the
reviewer has seen, and a force-push or a rebase keeps what still matches.

A reviewer opts in with ``Reviewer.memory_scope``: ``"file"`` (its findings about a file depend on
that file and on context it asks for: prompt reviewers), ``"change"`` (it judges the change as a whole
and is reused only when every file is the same: goal-adherence), or ``""`` (never reused, the default).

Nothing read from the folder is trusted for being there: an entry is used only when it parses, names
the key it was looked up by, carries a valid HMAC, holds findings of its own reviewer about its own
file, and the context it recorded is unchanged. Anything else is ignored and counted. The HMAC key is
a secret the reviewed code never sees: ``REVIEWKIT_MEMORY_KEY``, else one derived from the model key
(in CI, where the folder is ``REVIEWKIT_MEMORY_DIR`` and travels through actions/cache), else a random
key kept beside the default folder in the repository's git directory (hidden from the test gate's
sandbox). CI without any secret has no memory: an entry nobody can verify would be worth nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import inspect
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewkit.config import Config
from reviewkit.diff import FileChange
from reviewkit.findings import Finding, Side
from reviewkit.git import git_text
from reviewkit.version import __version__

ENTRY_VERSION = 1
MEMORY_DIR_ENV = "REVIEWKIT_MEMORY_DIR"
MEMORY_KEY_ENV = "REVIEWKIT_MEMORY_KEY"
SCOPES = ("", "file", "change")
_WHOLE_CHANGE = "*"  # the one entry of a change-scoped reviewer
_KEY_FILE = "memory.key"
PRUNE_AFTER_DAYS = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class Blobs:
    """What a changed file is, as far as memory is concerned: both sides' blobs and modes."""

    old_path: str
    status: str
    old_blob: str
    new_blob: str
    old_mode: str
    new_mode: str

    def to_list(self) -> list[str]:
        return [self.old_path, self.status, self.old_blob, self.new_blob, self.old_mode, self.new_mode]


@dataclass(frozen=True, slots=True, kw_only=True)
class Recall:
    """What memory holds for one reviewer in one run.

    :ivar identity: the reviewer's :func:`reviewer_identity`.
    :ivar keys: the entry key of every file in the reviewer's scope (one ``*`` key for a change-scoped
        reviewer), used to store what this run finds.
    :ivar reused: paths whose findings come from memory; ``findings``: those findings.
    :ivar to_review: the files the reviewer must review now.
    :ivar ignored: entries found but not trusted (corrupt, foreign, stale context).
    """

    scope: str
    identity: str
    keys: Mapping[str, str]
    reused: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    to_review: tuple[FileChange, ...] = ()
    ignored: int = 0


class ReviewMemory:
    """One run's view of the memory folder: entries keyed by content, signed with ``key``."""

    def __init__(self, folder: Path, key: bytes, blobs: Mapping[str, Blobs], *, head: str) -> None:
        self.folder = folder
        self._key = key
        self._blobs = blobs
        self._head = head

    # --- reading ------------------------------------------------------------------------------------

    def recall(self, identity: str, scope: str, files: Sequence[FileChange]) -> Recall:
        """Look up every file of a reviewer's scope; ``identity`` is :func:`reviewer_identity`."""
        if scope == "change":
            return self._recall_change(identity, files)
        keys = {f.path: self._file_key(identity, f) for f in files}
        reused: list[str] = []
        findings: list[Finding] = []
        to_review: list[FileChange] = []
        ignored = 0
        for file in files:
            entry, bad = self._read(keys[file.path], identity, _names(file))
            ignored += bad
            if entry is None:
                to_review.append(file)
                continue
            reused.append(file.path)
            findings += entry
        return Recall(
            scope=scope,
            identity=identity,
            keys=keys,
            reused=tuple(reused),
            findings=tuple(findings),
            to_review=tuple(to_review),
            ignored=ignored,
        )

    def _recall_change(self, identity: str, files: Sequence[FileChange]) -> Recall:
        material = [[f.path, *self._signature(f)] for f in sorted(files, key=lambda f: f.path)]
        key = _digest(["change", identity, material])
        names = frozenset(name for f in files for name in _names(f))
        entry, bad = self._read(key, identity, names)
        if entry is None:
            return Recall(
                scope="change", identity=identity, keys={_WHOLE_CHANGE: key}, to_review=tuple(files), ignored=bad
            )
        return Recall(
            scope="change",
            identity=identity,
            keys={_WHOLE_CHANGE: key},
            reused=tuple(f.path for f in files),
            findings=tuple(entry),
        )

    def _read(self, key: str, identity: str, names: frozenset[str]) -> tuple[list[Finding] | None, int]:
        """The findings of entry ``key`` when it can be trusted; the second value is 1 when an entry
        was there but could not be."""
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            return None, 0
        try:
            data = json.loads(raw)
            findings = self._verified(data, key, identity, names)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None, 1
        if findings is None:
            return None, 1
        with contextlib.suppress(OSError):
            os.utime(self._path(key))  # recently used: kept when the folder is pruned
        return findings, 0

    def _verified(self, data: Any, key: str, identity: str, names: frozenset[str]) -> list[Finding] | None:
        if not isinstance(data, dict) or data.get("reviewkit_memory") != ENTRY_VERSION or data.get("key") != key:
            return None
        mac = data.pop("mac", "")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, self._mac(data)):
            return None
        reviewer = data["reviewer"]
        if data.get("identity") != identity:
            return None
        findings = [_carried(Finding.from_dict(item), data.get("head")) for item in data["findings"]]
        if any(not f.rule.startswith(f"{reviewer}/") or f.path not in names for f in findings):
            return None  # an entry about another reviewer or another file is not this one's
        for path, recorded in data["depends"].items():
            current = self._blobs.get(path)
            if current is None or current.to_list() != recorded:
                return None  # the context it read has changed since
        return findings

    # --- writing ------------------------------------------------------------------------------------

    def remember(
        self,
        recall: Recall,
        findings: Sequence[Finding],
        *,
        reviewer: str,
        reviewed: Sequence[FileChange],
        context: Iterable[str] = (),
    ) -> int:
        """Store what a completed review of ``reviewed`` found; returns the entries written. Findings
        that cite a file outside ``reviewed`` cannot be attributed, so nothing is stored then."""
        if not reviewed:
            return 0
        depends = {path: self._blobs[path].to_list() for path in sorted(set(context)) if path in self._blobs}
        if recall.scope == "change":
            names = frozenset(name for f in reviewed for name in _names(f))
            if any(f.path not in names for f in findings):
                return 0
            self._write(recall.keys[_WHOLE_CHANGE], _WHOLE_CHANGE, recall, reviewer, list(findings), depends)
            return 1
        owner = {name: file.path for file in reviewed for name in _names(file)}
        if any(f.path not in owner for f in findings):
            return 0
        for file in reviewed:
            own = [f for f in findings if owner[f.path] == file.path]
            self._write(recall.keys[file.path], file.path, recall, reviewer, own, depends)
        return len(reviewed)

    def _write(
        self, key: str, about: str, recall: Recall, reviewer: str, findings: list[Finding], depends: dict[str, Any]
    ) -> None:
        data: dict[str, Any] = {
            "reviewkit_memory": ENTRY_VERSION,
            "key": key,
            "identity": recall.identity,
            "reviewer": reviewer,
            "path": about,  # for a person reading the folder: the key is what counts
            "head": self._head,
            "findings": [_stored(f) for f in findings],
            "depends": depends,
        }
        data["mac"] = self._mac(data)
        target = self._path(key)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".entry-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, sort_keys=True)
            os.replace(temporary, target)  # readers see the old entry or the new one, never half of one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    # --- keys ---------------------------------------------------------------------------------------

    def _file_key(self, identity: str, file: FileChange) -> str:
        return _digest(["file", identity, file.path, *self._signature(file)])

    def _signature(self, file: FileChange) -> list[str]:
        blobs = self._blobs.get(file.path)
        return blobs.to_list() if blobs is not None else [file.old_path or "", file.status.value, "?", "?", "", ""]

    def _mac(self, data: Mapping[str, Any]) -> str:
        payload = json.dumps(data, sort_keys=True, ensure_ascii=True).encode()
        return hmac.new(self._key, payload, hashlib.sha256).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / "entries" / key[:2] / f"{key}.json"


# --- opening ----------------------------------------------------------------------------------------


def default_folder(repo: Path) -> Path:
    """``<git common dir>/reviewkit/memory``: per repository, shared by its worktrees, never committed."""
    common = git_text(repo, ["rev-parse", "--git-common-dir"])  # relative to ``repo`` unless absolute
    return (repo / common).resolve() / "reviewkit" / "memory"


def memory_folder(repo: Path) -> tuple[Path, bool]:
    """The folder in use, and whether it is the default one (``REVIEWKIT_MEMORY_DIR`` overrides it)."""
    chosen = os.environ.get(MEMORY_DIR_ENV, "").strip()
    if chosen:
        return Path(chosen).resolve(), False
    return default_folder(repo), True


def signing_key(folder: Path, *, default_location: bool) -> bytes | None:
    """The HMAC key for entries (see the module docstring), or None when there is none to trust."""
    explicit = os.environ.get(MEMORY_KEY_ENV, "")
    if explicit:
        return hashlib.sha256(b"reviewkit memory key\0" + explicit.encode()).digest()
    if not default_location:
        model = os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN") or ""
        # One-way: the entries' key, never the model key itself, is what the HMAC uses.
        return hmac.new(model.encode(), b"reviewkit review memory v1", hashlib.sha256).digest() if model else None
    return _local_key(folder.parent / _KEY_FILE)


def _local_key(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        data = path.read_bytes()
        if len(data) == 32:
            return data
    except OSError:
        pass
    fresh = secrets.token_bytes(32)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    with os.fdopen(handle, "wb") as out:
        out.write(fresh)
    os.replace(temporary, path)
    return fresh


def open_memory(
    repo: Path | None, base: str | None, head: str | None, *, enabled: bool
) -> tuple[ReviewMemory | None, str]:
    """The run's memory, or None and why there is none (said once in the report's notes)."""
    if not enabled:
        return None, "review memory is off ([memory] enabled = false or --no-memory)"
    if repo is None or base is None or head is None:
        return None, "review memory needs a git range (a patch alone has no blobs to key it by)"
    folder, default = memory_folder(repo)
    key = signing_key(folder, default_location=default)
    if key is None:
        return None, (
            f"review memory is off: {MEMORY_DIR_ENV} is set but there is no secret to sign entries with "
            f"({MEMORY_KEY_ENV} or a model key)"
        )
    prune(folder)
    return ReviewMemory(folder, key, changed_blobs(repo, base, head), head=head), ""


def prune(folder: Path, *, max_age_days: float = PRUNE_AFTER_DAYS) -> int:
    """Remove entries not used for ``max_age_days`` (a hit touches its entry), at most once a day;
    returns how many. Memory of a merged pull request's files is not worth keeping forever."""
    stamp = folder / ".pruned"
    now = time.time()
    with contextlib.suppress(OSError):
        if now - stamp.stat().st_mtime < 86_400:
            return 0
    removed = 0
    for entry in (folder / "entries").glob("*/*.json") if folder.is_dir() else ():
        with contextlib.suppress(OSError):
            if now - entry.stat().st_mtime > max_age_days * 86_400:
                entry.unlink()
                removed += 1
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp.touch()
    return removed


def changed_blobs(repo: Path, base: str, head: str) -> dict[str, Blobs]:
    """Every changed file's blobs, by head path (old path for a deletion), from ``git diff --raw``."""
    from reviewkit.gitdiff import raw_entries

    return {
        entry.new_path: Blobs(
            old_path=entry.old_path,
            status=entry.status,
            old_blob=entry.old_blob,
            new_blob=entry.new_blob,
            old_mode=entry.old_mode,
            new_mode=entry.new_mode,
        )
        for entry in raw_entries(repo, base, head)
    }


def clear(folder: Path) -> int:
    """Remove every entry (and the local key); returns how many entries there were."""
    entries = sum(1 for _ in (folder / "entries").glob("*/*.json")) if folder.is_dir() else 0
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        (folder.parent / _KEY_FILE).unlink()
    return entries


def reviewer_identity(
    reviewer: object,
    name: str,
    *,
    config: Config,
    options: Mapping[str, Any],
    goal: str | None,
    learnings: str,
    labels: Sequence[str],
    untrusted: bool,
) -> str:
    """A digest of everything about a reviewer that its results depend on, besides the files."""
    agent = next((a for a in config.review_agents if a.name == name), None)
    settings = config.settings_for(name)
    material = {
        "reviewer": name,
        "reviewkit": __version__,
        "code": _source_digest(type(reviewer)),
        "scope": getattr(reviewer, "memory_scope", ""),
        "model": config.model,
        "settings": [settings.blocking, str(settings.trigger), settings.model],
        "options": _jsonable(options),
        "agent": None
        if agent is None
        else [_sha(agent.prompt), agent.model, agent.blocking, str(agent.trigger), agent.prompt_file.as_posix()],
        "goal": _sha(goal or ""),
        "learnings": _sha(learnings),
        # reviewkit's own labels (reviewkit:accept...) speak to reviewkit, not to reviewers
        "labels": sorted(label for label in labels if not label.startswith("reviewkit:")),
        "untrusted": untrusted,
    }
    return _digest(material)


def _source_digest(cls: type) -> str:
    """The reviewer's module source: a reviewer whose code changed is a new reviewer to memory."""
    try:
        source = inspect.getsourcefile(cls)
        return _sha(Path(source).read_bytes().decode("utf-8", "replace")) if source else cls.__qualname__
    except (OSError, TypeError):
        return f"{cls.__module__}.{cls.__qualname__}"


# --- small helpers ----------------------------------------------------------------------------------


def _names(file: FileChange) -> frozenset[str]:
    return frozenset(filter(None, (file.path, file.old_path)))


def _stored(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    for derived in ("fingerprint", "blocking", "accepted", "notes"):  # the pipeline sets these each run
        data.pop(derived, None)
    return data


def _carried(finding: Finding, head: Any) -> Finding:
    where = f" of {str(head)[:10]}" if isinstance(head, str) and head else ""
    side = "" if finding.side is Side.HEAD else " (base side)"
    return finding.with_note(f"carried over from the review{where}: the file is unchanged since{side}")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _digest(material: Any) -> str:
    return _sha(json.dumps(material, sort_keys=True, ensure_ascii=True, default=str))


def _jsonable(options: Mapping[str, Any]) -> Any:
    return json.loads(json.dumps(dict(options), sort_keys=True, default=str))


__all__ = ["SCOPES", "Recall", "ReviewMemory", "clear", "memory_folder", "open_memory", "reviewer_identity"]
