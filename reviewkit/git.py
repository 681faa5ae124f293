"""Running git: always with hooks and fsmonitor off, no pager, no external diff, no colour.

Repositories under review are untrusted: a checked-in ``core.hooksPath`` or fsmonitor command must never run.
"""

from __future__ import annotations

import os
import subprocess
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from reviewkit.errors import InputError

SAFE_CONFIG = (
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.fsmonitor=false",
    "-c", "core.quotePath=false",
    "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false",
    "-c", "diff.external=",
    "-c", "color.ui=never",
    "-c", "protocol.file.allow=user",
)  # fmt: skip


def git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", PAGER="cat", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EXTERNAL_DIFF"):
        env.pop(key, None)
    return env


# The author and committer of the commits reviewkit makes itself (fixes, uncommitted work under review).
IDENTITY = {
    "GIT_AUTHOR_NAME": "reviewkit",
    "GIT_AUTHOR_EMAIL": "reviewkit@localhost",
    "GIT_COMMITTER_NAME": "reviewkit",
    "GIT_COMMITTER_EMAIL": "reviewkit@localhost",
}


def run_git(
    repo: Path,
    args: Sequence[str],
    *,
    check: bool = True,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run ``git args`` in ``repo`` and return stdout; a failure is an InputError quoting git's message.

    :param env: variables to set on top of :func:`git_env` (an identity for ``commit-tree``, say).
    """
    try:
        proc = subprocess.run(
            ["git", *SAFE_CONFIG, *args],
            cwd=repo,
            input=input,
            capture_output=True,
            env={**git_env(), **(env or {})},
            check=False,
        )
    except FileNotFoundError as exc:
        raise InputError("git is not installed or not on PATH; install git or pass --diff FILE") from exc
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit code {proc.returncode}"
        raise InputError(f"git {' '.join(args[:3])} failed in {repo}: {detail}")
    return proc.stdout


def git_text(
    repo: Path,
    args: Sequence[str],
    *,
    check: bool = True,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    return run_git(repo, args, check=check, input=input, env=env).decode("utf-8", "replace").strip()


def find_repo_root(start: Path) -> Path | None:
    """The top of the work tree containing ``start``, or None outside a repository."""
    if not start.is_dir():
        return None
    out = run_git(start, ["rev-parse", "--show-toplevel"], check=False).decode("utf-8", "replace").strip()
    return Path(out) if out else None


def resolve_rev(repo: Path, rev: str, *, flag: str = "") -> str:
    """The full commit id of ``rev``; an unknown revision is an InputError naming it (and ``flag``, the
    option that gave it), with a hint when the clone is shallow."""
    where = f"{flag} {rev}: " if flag else ""
    if rev.startswith("-"):
        raise InputError(f"{where}revision {rev!r} is not valid: revisions may not start with '-'")
    out = run_git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], check=False)
    sha = out.decode().strip()
    if not sha:
        check = "" if flag else "; check --base/--head"
        raise InputError(f"{where}unknown revision {rev!r} in {repo}{check}{shallow_hint(repo)}")
    return sha


def shallow_hint(repo: Path) -> str:
    """For messages about missing history: how to fetch more when ``repo`` is a shallow clone."""
    if git_text(repo, ["rev-parse", "--is-shallow-repository"], check=False) != "true":
        return ""
    return (
        "; this clone is shallow, so older history is missing: fetch more with "
        "'git fetch --deepen=50' (or 'git fetch --unshallow' for all of it)"
    )


_READERS: weakref.WeakSet[BlobReader] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for reader in list(_READERS):
        reader._forget_parent_process()


os.register_at_fork(after_in_child=_after_fork_in_child)


class BlobReader:
    """Reads files at one commit through one long-lived ``git cat-file --batch`` process.

    One process serves thousands of reads (a subprocess per file would cost seconds on a large diff);
    a lock keeps concurrent reviewers from interleaving requests.
    """

    def __init__(self, repo: Path, commit: str) -> None:
        self._repo = repo
        self._commit = commit
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        _READERS.add(self)

    def _forget_parent_process(self) -> None:
        """In a forked child: the parent's cat-file process and lock are the parent's, not ours."""
        self._lock = threading.Lock()
        self._proc = None

    def read(self, path: str) -> bytes | None:
        """The file's bytes at the commit, or None when it does not exist there (or is not a file)."""
        if "\n" in path or "\r" in path:
            # cat-file's batch protocol is line-based: such a name is resolved to its blob id first.
            out = run_git(self._repo, ["rev-parse", "--verify", "--quiet", f"{self._commit}:{path}"], check=False)
            blob = out.decode().strip()
            return self.read_object(blob) if blob else None
        return self._request(f"{self._commit}:{path}")

    def read_object(self, object_id: str) -> bytes | None:
        """A blob's bytes by its id, or None when there is no such blob."""
        return self._request(object_id)

    def read_objects(self, object_ids: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
        """Many blobs by id in one pipelined pass (no round trip per object): ``(id, bytes or None)``."""
        proc = subprocess.Popen(
            ["git", *SAFE_CONFIG, "cat-file", "--batch"],
            cwd=self._repo,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env(),
        )
        assert proc.stdin is not None and proc.stdout is not None
        requests = b"".join(object_id.encode("ascii") + b"\n" for object_id in object_ids)

        def feed() -> None:
            assert proc.stdin is not None
            try:
                proc.stdin.write(requests)
            except BrokenPipeError:
                pass
            finally:
                proc.stdin.close()

        writer = threading.Thread(target=feed, name="reviewkit-cat-file", daemon=True)
        writer.start()
        try:
            for object_id in object_ids:
                header = proc.stdout.readline().split()
                if len(header) != 3:
                    yield object_id, None
                    continue
                data = proc.stdout.read(int(header[2]))
                proc.stdout.read(1)
                yield object_id, data if header[1] == b"blob" else None
        finally:
            writer.join()
            proc.stdout.close()
            proc.wait()

    def _request(self, spec: str) -> bytes | None:
        with self._lock:
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().decode("utf-8", "replace").split()
            if len(header) != 3:
                return None
            size = int(header[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after every object
            return data if header[1] == "blob" else None

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["git", *SAFE_CONFIG, "cat-file", "--batch"],
                cwd=self._repo,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=git_env(),
            )
        return self._proc

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
                self._proc.wait()
                if self._proc.stdout is not None:
                    self._proc.stdout.close()
                self._proc = None
