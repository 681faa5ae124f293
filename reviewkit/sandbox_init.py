"""The sandbox's own program: ``python -I -S sandbox_init.py SPEC`` (see reviewkit/sandbox.py).

It runs outside reviewkit's interpreter, before the command and often as root (through ``sudo -n``),
so it uses the standard library only and imports nothing from reviewkit or the checkout.

``SPEC`` is one JSON object: ``mode`` ("privileged", "userns" or "none"), ``command``, ``cwd``,
``env``, ``timeout_s``, ``network``, ``uid``/``gid`` (who the command runs as), ``scratch`` (fresh
writable temporary directories) and ``hidden`` (paths covered by an empty read-only mount). The
command's stdout and stderr go to this process's stdout. This process's stderr carries JSON status
lines only: ``{"error": why}`` (the sandbox could not be set up), ``{"exit_code": n}`` (negative: killed
by signal n), ``{"timed_out": true}``, ``{"stopped": true}`` (reviewkit asked it to stop).

The namespace modes (privileged: set up by real root; userns: inside an unprivileged user namespace):

- a new PID namespace whose first process (``init`` here) waits for the command and then exits, and the
  kernel kills every process left in the namespace, daemons included, before that exit completes;
- a new mount namespace: everything read-only; fresh tmpfs over the temporary directories; the
  workspace at its own path, writable through an overlay whose upper layer is thrown away (the command
  cannot change the code reviewkit merges or proposes); ``hidden`` paths covered; its own ``/proc``, so
  no ancestor's environment or memory is visible;
- the command runs as reviewkit's user (``uid``/``gid``) with no capabilities and ``no_new_privs`` (no
  sudo, no setuid): it cannot unmount or remount anything; in userns mode it gets a further user and
  mount namespace, which locks every mount it inherits;
- a new IPC namespace, and with ``network`` false a network namespace holding only loopback.

Mode "none" is the fallback: a new session, reviewkit's allow-listed environment, and every descendant
killed at the end (this process is their child subreaper, so a double-forked daemon is found too).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import time
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
# The new mount API (Linux 5.2+; mount_setattr 5.12+): one number on every architecture.
SYS_OPEN_TREE, SYS_MOVE_MOUNT, SYS_MOUNT_SETATTR = 428, 429, 442
AT_FDCWD, AT_EMPTY_PATH, AT_RECURSIVE = -100, 0x1000, 0x8000
OPEN_TREE_CLONE, MOVE_MOUNT_F_EMPTY_PATH = 1, 4
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID = 0x1, 0x2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_SECUREBITS, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 28, 36, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
SECBIT_NOROOT_LOCKED = 0b11  # root gains no capabilities on exec, and that cannot be undone
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
SETUP_FAILED = 125

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_stop_requested = False


class SetupError(Exception):
    """The sandbox could not be made; the message says which step failed."""


# --- system calls -------------------------------------------------------------------------------------


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(code)}")
    return result


def _path(path: str | None) -> bytes | None:
    return None if path is None else os.fsencode(path)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(_path(source), _path(target), _path(fstype), ctypes.c_ulong(flags), _path(data)),
        f"mount {target}",
    )


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl {option}")


def syscall(number: int, *args: Any) -> int:
    return int(_check(_libc.syscall(ctypes.c_long(number), *args), f"syscall {number}"))


# --- status -------------------------------------------------------------------------------------------


def report(**status: object) -> None:
    """One JSON status line on stderr (the command never holds this descriptor)."""
    os.write(2, json.dumps(status).encode() + b"\n")


def _on_stop(signum: int, frame: object) -> None:
    global _stop_requested
    _stop_requested = True


# --- the namespace modes: outside -----------------------------------------------------------------------


def run_isolated(spec: dict[str, Any]) -> None:
    """Enter the namespaces, start ``init`` (PID 1 of the new PID namespace) and supervise it."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (0 if spec["network"] else CLONE_NEWNET)
    if spec["mode"] == "userns":
        uid, gid = os.geteuid(), os.getegid()
        unshare(flags | CLONE_NEWUSER)
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    elif os.geteuid() != 0:
        raise SetupError("the privileged sandbox needs root (run through sudo -n)")
    else:
        unshare(flags)
    pid = os.fork()
    if pid == 0:
        _run_child(init, spec)
    supervise(pid, spec["timeout_s"], spec.get("owner_pid"))


def init(spec: dict[str, Any]) -> None:
    """PID 1 of the sandbox: make the mounts, start the command, wait for it, exit (which ends the rest)."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the supervisor gone (killed): the whole namespace goes
    prctl(PR_SET_DUMPABLE, 0)  # the command (same uid in userns mode) may not read this process
    _default_signals()  # PID 1 ignores signals it has no handler for: the command cannot stop it
    build_filesystem(spec)
    if not spec["network"]:
        loopback_up()
    command = start_command(spec)
    while True:
        pid, status = os.waitpid(-1, 0)  # PID 1 reaps every orphan of the namespace
        if pid == command:
            report(exit_code=os.waitstatus_to_exitcode(status))
            os._exit(0)


def supervise(pid: int, timeout_s: float, owner: int | None = None) -> int | None:
    """Wait for ``pid`` up to ``timeout_s``, a stop request, or the end of ``owner`` (the process that
    asked for the run), then kill it; its wait status, or None when it had to be killed."""
    deadline = time.monotonic() + timeout_s
    pidfd = os.pidfd_open(pid)
    killed = False
    while not select.select([pidfd], [], [], 0.2 if not killed else None)[0]:
        orphaned = owner is not None and not _alive(owner)
        if not killed and (_stop_requested or orphaned or time.monotonic() >= deadline):
            report(**({"timed_out": True} if not (_stop_requested or orphaned) else {"stopped": True}))
            _kill(pid)
            killed = True
    os.close(pidfd)
    status = os.waitpid(pid, 0)[1]
    return None if killed else status


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _run_child(body: Any, spec: dict[str, Any]) -> None:
    """The forked child's whole life: ``body`` never returns; a setup failure is reported and exits."""
    try:
        body(spec)
    except BaseException as exc:
        report(error=str(exc) or type(exc).__name__)
    os._exit(SETUP_FAILED)


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w") as handle:
            handle.write(text)
    except OSError as exc:
        raise SetupError(f"write {path}: {exc.strerror}") from exc


# --- the namespace modes: the filesystem --------------------------------------------------------------


def build_filesystem(spec: dict[str, Any]) -> None:
    """Read-only everything, fresh scratch directories, the workspace writable, hidden paths covered,
    and a /proc of this PID namespace. Nothing of this reaches the host: every mount is private."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    workspace = _clone_tree(spec["cwd"])
    attr = ctypes.create_string_buffer(struct.pack("QQQQ", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0, 0, 0))
    syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE, attr, ctypes.c_size_t(32))
    # The interpreter and tools the command needs, when they live under a directory replaced below: taken
    # after the root went read-only, so they come back read-only.
    toolchain = [(path, _clone_tree(path)) for path in spec.get("toolchain", [])]
    for scratch in spec["scratch"]:
        _makedirs(scratch)
        mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for path, tree in [(spec["cwd"], workspace), *toolchain]:
        _makedirs(path)
        syscall(SYS_MOVE_MOUNT, tree, b"", AT_FDCWD, _path(path), MOVE_MOUNT_F_EMPTY_PATH)
        os.close(tree)
    discard_writes(spec["cwd"], spec["scratch"])
    for path in spec["hidden"]:
        hide(path)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _clone_tree(path: str) -> int:
    """A detached copy of the mounts at ``path`` (and below), to attach again after ``path`` is covered."""
    return syscall(SYS_OPEN_TREE, AT_FDCWD, _path(path), OPEN_TREE_CLONE | os.O_CLOEXEC | AT_RECURSIVE)


def discard_writes(cwd: str, scratch: list[str]) -> None:
    """Put an overlay over the workspace whose upper layer lies in a fresh scratch tmpfs: the command
    writes as usual, but nothing it writes reaches the workspace reviewkit reads its fixes from."""
    if not scratch:
        raise SetupError("no scratch directory for the workspace's private layer")
    layer = os.path.join(scratch[0], ".reviewkit-writes")
    for name in ("upper", "work"):
        _makedirs(os.path.join(layer, name))
    # The overlay's top directory takes the upper layer's owner and mode: give it the workspace's (an
    # owner this user namespace cannot map stays as it is: the mode still lets the command write).
    top = os.stat(cwd)
    with contextlib.suppress(OSError):
        os.chown(os.path.join(layer, "upper"), top.st_uid, top.st_gid)
    os.chmod(os.path.join(layer, "upper"), top.st_mode & 0o7777)
    options = f"lowerdir={_escape(cwd)},upperdir={_escape(layer)}/upper,workdir={_escape(layer)}/work"
    try:
        mount("overlay", cwd, "overlay", 0, options)
    except SetupError:  # older kernels in a user namespace need the user.* extended attributes
        mount("overlay", cwd, "overlay", 0, options + ",userxattr")


def _escape(path: str) -> str:
    return path.replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,")


def hide(path: str) -> None:
    """Cover ``path`` with something empty and read-only: a directory with a tmpfs, anything else with
    /dev/null. A path that does not exist here (or lies under a fresh scratch tmpfs) needs nothing."""
    try:
        is_dir = os.path.isdir(path) and not os.path.islink(path)
        exists = os.path.lexists(path)
    except OSError:
        return
    if not exists:
        return
    if is_dir:
        mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k")
    elif not os.path.islink(path):
        mount("/dev/null", path, None, MS_BIND)
    else:
        hide(os.path.realpath(path))  # mounts follow symbolic links: cover what the link names


def _makedirs(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise SetupError(f"mkdir {path}: {exc.strerror}") from exc


def loopback_up() -> None:
    """A new network namespace starts with loopback down; tests that serve on 127.0.0.1 need it up."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


# --- the namespace modes: the command -----------------------------------------------------------------


def start_command(spec: dict[str, Any]) -> int:
    """Fork the command, without any capability, and return its pid.

    In userns mode this process is root of the user namespace that owns the mounts, so the command gets
    a user and mount namespace of its own, which locks every mount it inherits. In privileged mode it
    runs in the initial user namespace with no capabilities at all: it cannot unmount anything either
    (and the sandbox does not need user namespaces, which a system may have turned off)."""
    if spec["mode"] == "privileged":
        pid = os.fork()
        if pid == 0:
            _run_child(_privileged_child, spec)
        return pid
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        _run_child(lambda s: _userns_child(s, ready_w, go_r), spec)
    os.close(ready_w)
    os.close(go_r)
    if os.read(ready_r, 1) == b"u":  # nothing read: the child failed and reported why
        _write(f"/proc/{pid}/uid_map", f"{spec['uid']} 0 1")  # the user, seen from here as root
        _write(f"/proc/{pid}/gid_map", f"{spec['gid']} 0 1")
        os.write(go_w, b"g")
    os.close(go_w)
    os.close(ready_r)
    return pid


def _privileged_child(spec: dict[str, Any]) -> None:
    prctl(PR_SET_DUMPABLE, 1)  # inherited from init; exec resets it anyway
    drop_privileges(spec)
    _exec_command(spec)


def _userns_child(spec: dict[str, Any], ready_w: int, go_r: int) -> None:
    prctl(PR_SET_DUMPABLE, 1)  # inherited from init, which must be able to write our id maps
    unshare(CLONE_NEWUSER | CLONE_NEWNS)
    os.write(ready_w, b"u")
    if os.read(go_r, 1) != b"g":
        raise SetupError("the sandbox's init did not map the command's user")
    drop_privileges(spec)
    _exec_command(spec)


def _exec_command(spec: dict[str, Any]) -> None:
    os.chdir(spec["cwd"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(1, 2)  # stderr joins stdout; the status channel is not the command's
    _default_signals()
    os.execve("/bin/sh", ["sh", "-c", spec["command"]], spec["env"])


def _default_signals() -> None:
    # Python ignores SIGPIPE and SIGXFSZ and we handle stop signals; exec keeps what is ignored.
    for signum in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def drop_privileges(spec: dict[str, Any]) -> None:
    """No capabilities now or after exec, no way to gain any (setuid, file capabilities, sudo)."""
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last_cap = int(handle.read())
    for cap in range(last_cap + 1):
        prctl(PR_CAPBSET_DROP, cap)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT_LOCKED)
    if spec["mode"] == "privileged":
        os.setgroups([])  # root's groups; in userns mode setgroups is denied and there is nothing to drop
    os.setresgid(spec["gid"], spec["gid"], spec["gid"])
    os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    prctl(PR_SET_NO_NEW_PRIVS, 1)


# --- mode none ----------------------------------------------------------------------------------------


def run_plain(spec: dict[str, Any]) -> None:
    """No namespaces: the command in a session of its own; afterwards every descendant is killed."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of the command become our children, not init's
    pid = os.fork()
    if pid == 0:
        _run_child(_plain_child, spec)
    status = supervise(pid, spec["timeout_s"], spec.get("owner_pid"))
    kill_descendants()
    if status is not None:
        report(exit_code=os.waitstatus_to_exitcode(status))


def _plain_child(spec: dict[str, Any]) -> None:
    os.setsid()
    _exec_command(spec)


def kill_descendants() -> None:
    """Kill every child until none is left: the children of a killed one are reparented to us."""
    while True:
        for pid in _children():
            _kill(pid)
        try:
            reaped = os.waitpid(-1, os.WNOHANG)[0]
        except ChildProcessError:
            return
        if not reaped:
            time.sleep(0.002)


def _children() -> list[int]:
    found: list[int] = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as handle:
                found.extend(int(pid) for pid in handle.read().split())
        except OSError:
            continue
    return found


# --- entry --------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _on_stop)
    try:
        spec = json.loads(argv[1])
        run_plain(spec) if spec["mode"] == "none" else run_isolated(spec)
    except (SetupError, OSError, KeyError, IndexError, ValueError) as exc:
        report(error=str(exc))
        return SETUP_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
