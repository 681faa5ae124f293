"""Copy-on-write workspaces: one private, writable copy of a commit per fixing reviewer.

Backends, tried in order: an overlayfs mount over the checkout (when this process may mount: root,
or root inside a user namespace), a git worktree (sparse to the paths a reviewer needs, when given),
a plain copy written from git's objects. Never hardlinks: a write through a hardlink would reach the
user's file. Every write goes through this module's confined file API (relative paths, no ``..``,
opened component by component with O_NOFOLLOW, written to a temporary file and renamed), and
``.git`` plus reviewkit's own ``.agents/`` files are read-only. Git runs with hooks and fsmonitor off.

Workspaces are cleaned up on every exit path (``close()``, ``with``, Ctrl-C through ``finally``):
no mount, worktree or directory is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reviewkit.confined import READ_ONLY, ConfinedTree, WorkspaceError, check_path, exact_pattern
from reviewkit.git import SAFE_CONFIG, git_env
from reviewkit.verdict import WorkspaceInfo

BACKENDS = ("overlay", "worktree", "copy")
_PREFIX = "reviewkit-ws-"
_STATUS = ("status", "--porcelain", "-z", "--untracked-files=no", "--ignore-submodules")
_MNT_DETACH = 2

__all__ = [
    "BACKENDS",
    "READ_ONLY",
    "ConfinedTree",
    "Workspace",
    "WorkspaceError",
    "WorkspaceFactory",
    "WorkspaceState",
    "check_path",
    "exact_pattern",
    "git",
]


# --- git plumbing -------------------------------------------------------------------------------------


def git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, input: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run git with reviewkit's safe settings (hooks and fsmonitor off) and extra environment."""
    proc = subprocess.run(
        ["git", *SAFE_CONFIG, *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env={**git_env(), "GIT_LITERAL_PATHSPECS": "1", **(env or {})},
        check=False,
    )
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise WorkspaceError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc


def git_dir(repo: Path) -> Path:
    return Path(git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout.decode().strip())


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount_overlay(lower: Path, upper: Path, work: Path, target: Path) -> None:
    def escape(path: Path) -> str:
        return str(path).replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,")

    options = f"lowerdir={escape(lower)},upperdir={escape(upper)},workdir={escape(work)}"
    if _libc().mount(b"overlay", os.fsencode(target), b"overlay", 0, options.encode()) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"mount overlay: {os.strerror(code)}")


def _unmount(target: Path) -> None:
    if _libc().umount2(os.fsencode(target), 0) != 0 and ctypes.get_errno() == errno.EBUSY:
        _libc().umount2(os.fsencode(target), _MNT_DETACH)  # a test process still inside: detach lazily


@functools.lru_cache(maxsize=4)
def can_mount(parent: str) -> bool:
    """Whether this process may mount an overlay with its upper layer under ``parent``; probed once."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    probe = Path(tempfile.mkdtemp(prefix=_PREFIX + "probe-", dir=parent))
    try:
        for name in ("lower", "upper", "work", "root"):
            (probe / name).mkdir()
        _mount_overlay(probe / "lower", probe / "upper", probe / "work", probe / "root")
    except OSError:
        return False
    else:
        _unmount(probe / "root")
        return True
    finally:
        shutil.rmtree(probe, ignore_errors=True)


# --- workspaces ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspaceState:
    """Where a made workspace lives, so that another process can use it (see Workspace.create_with)."""

    root: str
    state: str
    backend: str
    setup_s: float


class Workspace:
    """A private, writable copy of ``commit``, made on first use (``root``) and removed by ``close()``.

    ``start`` (a tree or commit) is materialised on top of ``commit`` when given: in sequential mode a
    reviewer starts from the fixes of the reviewers before it. ``diff()`` is always against ``commit``.
    """

    def __init__(
        self,
        factory: WorkspaceFactory,
        *,
        start: str | None = None,
        sparse: Sequence[str] | None = None,
        backends: Sequence[str] = BACKENDS,
    ) -> None:
        self._factory = factory
        self.commit = factory.commit
        self._start = start
        self._sparse = list(sparse) if sparse is not None else None
        self._backends = tuple(backends)
        self._lock = threading.RLock()  # creation materialises ``start`` through ``root``
        self._root: Path | None = None
        self._state: Path | None = None
        self.backend = "none"
        self.setup_s = 0.0
        self._creator: Callable[[], WorkspaceState] | None = None

    @property
    def info(self) -> WorkspaceInfo:
        return WorkspaceInfo(backend=self.backend, setup_s=self.setup_s)

    @property
    def created(self) -> bool:
        return self._root is not None

    @property
    def root(self) -> Path:
        with self._lock:
            if self._root is None:
                if self._creator is not None:
                    self._adopt(self._creator())
                else:
                    self._create()
            assert self._root is not None
            return self._root

    def create_with(self, creator: Callable[[], WorkspaceState]) -> None:
        """Have ``creator`` make the workspace on first use: a reviewer in a child process asks its parent,
        which owns (and so always removes) every workspace of the run."""
        self._creator = creator

    def materialize(self) -> WorkspaceState:
        """Make the workspace now and describe it, for :meth:`create_with` in another process."""
        root = self.root
        assert self._state is not None
        return WorkspaceState(root=str(root), state=str(self._state), backend=self.backend, setup_s=self.setup_s)

    def _adopt(self, state: WorkspaceState) -> None:
        self._root, self._state = Path(state.root), Path(state.state)
        self.backend, self.setup_s = state.backend, state.setup_s

    @property
    def files(self) -> ConfinedTree:
        """The confined file API: the only way reviewkit writes into a workspace."""
        return ConfinedTree(self.root, protected=self._factory.protected)

    def read_text(self, path: str) -> str | None:
        try:
            return self.files.read(path).decode("utf-8", "replace")
        except (FileNotFoundError, NotADirectoryError, WorkspaceError):
            return None

    def include(self, paths: Sequence[str]) -> None:
        """Ask for more of the repository in a sparse workspace (no-op for full ones)."""
        for path in paths:
            check_path(path)
        with self._lock:
            if self._sparse is None:
                return
            self._sparse.extend(p for p in paths if p not in self._sparse)
            if self._root is not None and self.backend == "worktree":
                self._apply_sparse()

    def _create(self) -> None:
        started = time.perf_counter()
        self._factory.track(self)  # first: a factory closed meanwhile waits for us, then removes us
        self._state = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=self._factory.parent))
        errors = []
        for backend in self._backends:
            try:
                getattr(self, f"_create_{backend}")()
            except (OSError, WorkspaceError) as exc:
                errors.append(f"{backend}: {exc}")
                self._teardown_backend(backend)
                continue
            self.backend = backend
            break
        else:
            shutil.rmtree(self._state, ignore_errors=True)
            self._state = None
            raise WorkspaceError("no workspace backend worked: " + "; ".join(errors))
        if self._start is not None:
            self.write_tree(self._start)
        self.setup_s = time.perf_counter() - started

    def _create_overlay(self) -> None:
        assert self._state is not None
        if not can_mount(str(self._factory.parent)):
            raise WorkspaceError("this process may not mount (not root)")
        lower = self._factory.lower()
        for name in ("upper", "work", "root"):
            (self._state / name).mkdir()
        _mount_overlay(lower, self._state / "upper", self._state / "work", self._state / "root")
        self._root = self._state / "root"

    def _create_worktree(self) -> None:
        assert self._state is not None
        root = self._state / "root"
        git(self._factory.repo, "worktree", "add", "--no-checkout", "--detach", str(root), self.commit)
        self._root = root
        if self._sparse is not None:
            self._apply_sparse()
        else:
            git(root, "read-tree", "-mu", "HEAD")

    def _apply_sparse(self) -> None:
        assert self._root is not None
        admin = Path(git(self._root, "rev-parse", "--path-format=absolute", "--git-dir").stdout.decode().strip())
        (admin / "info").mkdir(exist_ok=True)
        patterns = "".join("/" + _escape_pattern(p) + "\n" for p in self._sparse or ())
        (admin / "info" / "sparse-checkout").write_text(patterns or "!/*\n", encoding="utf-8")
        # Per-command config: ``git sparse-checkout`` would turn on extensions.worktreeConfig in the
        # user's own repository configuration, which reviewkit never changes.
        git(self._root, "-c", "core.sparseCheckout=true", "read-tree", "-mu", "HEAD")

    def _create_copy(self) -> None:
        assert self._state is not None
        root = self._state / "root"
        root.mkdir()
        self._root = root
        self._git("read-tree", self.commit)
        self._git("checkout-index", "--all", "--force", "-u")

    def _git(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        assert self._root is not None and self._state is not None
        if self.backend == "worktree":
            return git(self._root, *args, input=input, check=check)
        env = {
            "GIT_DIR": str(self._factory.git_dir),
            "GIT_WORK_TREE": str(self._root),
            "GIT_INDEX_FILE": str(self._state / "index"),
        }
        return git(self._root, *args, env=env, input=input, check=check)

    def tree(self) -> str:
        """The tree id of the workspace's current content (gitignored files left out)."""
        self.root  # noqa: B018 - made on first use
        if self.backend == "overlay":
            self._git("read-tree", self.commit)
            candidates = self._overlay_changes()
            if not candidates:
                return self._git("write-tree").stdout.decode().strip()
            listed = self._git("ls-files", "-z", "-m", "-d", "-o", "--exclude-standard", "--", *candidates)
        else:
            listed = self._git("ls-files", "-z", "-m", "-d", "-o", "--exclude-standard")
        paths = [p for p in dict.fromkeys(listed.stdout.split(b"\0")) if p]
        paths = [p for p in paths if not _is_git_path(p.decode("utf-8", "surrogateescape"))]
        if paths:
            self._git("update-index", "--add", "--remove", "-z", "--stdin", input=b"\0".join(paths) + b"\0")
        return self._git("write-tree").stdout.decode().strip()

    def diff(self) -> str:
        """The workspace's changes as a git unified diff against ``commit`` ('' when unchanged)."""
        tree = self.tree()
        args = ("diff", "--text", "--no-ext-diff", "--no-textconv", "--binary", "--no-color", self.commit, tree)
        return git(self._factory.repo, *args).stdout.decode("utf-8", "replace")

    def _overlay_changes(self) -> list[str]:
        """Paths the overlay's upper layer holds: written, created, deleted (whiteouts), replaced dirs."""
        assert self._state is not None
        upper = self._state / "upper"
        found = []
        for directory, dirs, files in os.walk(upper):
            rel = Path(directory).relative_to(upper)
            if rel.parts[:1] == (".git",):
                dirs.clear()
                continue
            for name in files:
                found.append(str(rel / name) if rel.parts else name)
            for name in list(dirs):
                full = Path(directory) / name
                if _is_opaque(full):
                    found.append(str(rel / name) if rel.parts else name)
                    dirs.remove(name)
        return found

    def write_tree(self, tree: str) -> None:
        """Make the workspace hold ``tree`` (a tree or commit): only the differing files are written."""
        current = self.tree()
        raw = git(self._factory.repo, "diff-tree", "-r", "-z", "--no-renames", current, tree).stdout
        fields = raw.split(b"\0")
        changes = [
            (fields[i].decode().split(), fields[i + 1].decode("utf-8", "surrogateescape"))
            for i in range(0, len(fields) - 1, 2)
        ]
        files = self.files
        for meta, path in sorted(changes, key=lambda c: c[0][4] != "D"):  # deletions first
            new_mode, new_sha, status = meta[1], meta[3], meta[4]
            if status == "D" or new_mode == "160000":
                files.remove(path)
                continue
            blob = git(self._factory.repo, "cat-file", "blob", new_sha).stdout
            if new_mode == "120000":
                files.symlink(path, os.fsdecode(blob))
            else:
                files.write(path, blob, executable=new_mode == "100755")

    def close(self) -> None:
        """Remove the workspace: unmount, unregister the worktree, delete the directory. Idempotent."""
        with self._lock:
            if self._state is not None:
                self._teardown_backend(self.backend)
                if not os.path.ismount(self._state / "root"):  # never delete through a live mount
                    shutil.rmtree(self._state, ignore_errors=True)
                self._state = None
                self._root = None
        self._factory.untrack(self)

    def _teardown_backend(self, backend: str) -> None:
        assert self._state is not None
        root = self._state / "root"
        if backend == "overlay" and os.path.ismount(root):
            _unmount(root)
        elif backend == "worktree" and root.exists():
            git(self._factory.repo, "worktree", "remove", "--force", "--force", str(root), check=False)
            git(self._factory.repo, "worktree", "prune", check=False)
        for name in ("upper", "work", "root", "index"):
            target = self._state / name
            if target.is_dir() and not os.path.ismount(target):
                shutil.rmtree(target, ignore_errors=True)
            elif target.exists() and not target.is_dir():
                target.unlink()
        self._root = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WorkspaceFactory:
    """Makes the workspaces of one run over one commit and removes every one of them at ``close()``."""

    def __init__(
        self,
        repo: Path,
        commit: str,
        *,
        parent: Path | None = None,
        backends: Sequence[str] | None = None,
        protected: Collection[str] = (),
    ) -> None:
        self.repo = repo
        self.commit = git(repo, "rev-parse", "--verify", f"{commit}^{{commit}}").stdout.decode().strip()
        self.git_dir = git_dir(repo)
        self.parent = Path(parent or tempfile.gettempdir())
        self.backends = tuple(backends or chosen_backends())
        self.protected = frozenset(protected)  # read-only besides .git/ and .agents/
        self._open: list[Workspace] = []
        self._lower: Path | None = None
        self._export: Workspace | None = None
        self._closed = False
        self._clean: bool | None = None  # the checkout is exactly ``commit`` (found by ``warm``)
        self._warming: subprocess.Popen[bytes] | None = None  # the ``git status`` that ``warm`` started
        self._lock = threading.RLock()

    def create(self, *, start: str | None = None, sparse: Sequence[str] | None = None) -> Workspace:
        """A lazy workspace: nothing is made until its ``root`` is first used."""
        return Workspace(self, start=start, sparse=sparse, backends=self.backends)

    def lower(self) -> Path:
        """The overlay's lower layer: the checkout itself when it is exactly ``commit``, else one
        read-only export of ``commit`` shared by every overlay of the run."""
        with self._lock:
            if self._lower is None:
                known = self._warming is not None or self._clean is not None
                clean = self._warmed() if known else self._checkout_is_commit()
                self._lower = self.repo if clean else self._exported()
            return self._lower

    def _checkout_is_commit(self) -> bool:
        head = git(self.repo, "rev-parse", "HEAD", check=False).stdout.decode().strip()
        if head != self.commit:
            return False
        status = git(self.repo, *_STATUS, check=False)
        return status.returncode == 0 and not status.stdout

    def _exported(self) -> Path:
        self._export = Workspace(self, backends=("copy",))
        return self._export.root

    def warm(self) -> None:
        """Start finding the overlay's lower layer (a ``git status`` over the checkout) while the
        reviewers start, so that the first workspace does not wait for it.

        A process, not a thread: reviewers are forked while it runs, and a thread inside
        ``subprocess`` at that moment would leave pipes open in every child and never return.
        """
        if "overlay" not in self.backends or not can_mount(str(self.parent)):
            return
        head = git(self.repo, "rev-parse", "HEAD", check=False).stdout.decode().strip()
        if head != self.commit:
            self._clean = False
            return
        with contextlib.suppress(OSError):
            self._warming = subprocess.Popen(
                ["git", *SAFE_CONFIG, *_STATUS],
                cwd=self.repo,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**git_env(), "GIT_LITERAL_PATHSPECS": "1"},
            )

    def _warmed(self) -> bool:
        """Whether the ``git status`` that ``warm`` started found the checkout exactly ``commit``."""
        if self._clean is None and self._warming is not None:
            out, _ = self._warming.communicate()
            self._clean = self._warming.returncode == 0 and not out
        return bool(self._clean)

    def track(self, workspace: Workspace) -> None:
        with self._lock:
            if self._closed:
                raise WorkspaceError("the review run is over: no new workspaces")
            self._open.append(workspace)

    def untrack(self, workspace: Workspace) -> None:
        with self._lock:
            if workspace in self._open:
                self._open.remove(workspace)

    def close(self) -> None:
        """Remove every workspace this factory made; the export under the overlays goes last."""
        if self._warming is not None and self._warming.poll() is None:
            self._warming.kill()
            self._warming.communicate()
        with self._lock:
            self._closed = True
            pending = [w for w in self._open if w is not self._export]  # no new ones once closed
        for workspace in pending:
            workspace.close()
        if self._export is not None:
            self._export.close()
            self._export = None
            self._lower = None

    def __enter__(self) -> WorkspaceFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chosen_backends() -> tuple[str, ...]:
    """``REVIEWKIT_WORKSPACE_BACKEND=worktree`` (or overlay, copy) forces one backend: for a machine
    where mounting misbehaves, or to compare backends. Default: all, in order."""
    chosen = os.environ.get("REVIEWKIT_WORKSPACE_BACKEND", "").strip()
    if not chosen:
        return BACKENDS
    if chosen not in BACKENDS:
        raise WorkspaceError(f"REVIEWKIT_WORKSPACE_BACKEND={chosen!r}: use one of {', '.join(BACKENDS)}")
    return (chosen,)


def _escape_pattern(path: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\!# " else ch for ch in path)


def _is_git_path(path: str) -> bool:
    return path.split("/", 1)[0] == ".git"


def _is_opaque(path: Path) -> bool:
    try:
        return os.getxattr(path, "trusted.overlay.opaque") == b"y"
    except OSError:
        return False


def stray_workspaces(parent: Path) -> Iterator[Path]:
    """Workspace directories left under ``parent`` (for diagnostics and tests)."""
    yield from sorted(parent.glob(_PREFIX + "*"))
