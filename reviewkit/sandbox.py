"""The sandbox for code a change brings: the test gate, the editor's run-tests tool, and any reviewer
that runs tests (``run_sandboxed``).

What it must hold against a hostile change (see docs/untrusted-pull-requests.md): the command cannot
read reviewkit's secrets by any route (its own environment, ``/proc`` of its ancestors, the checkout's
``.git/config``), cannot write reviewkit's outputs, and no process it starts outlives it.

Three tiers, the best that works here is chosen once per process (``REVIEWKIT_SANDBOX`` forces one):

- ``privileged``: reviewkit is root, or ``sudo -n`` works (GitHub's runners). Root sets up PID, mount
  and IPC (and with ``network=False`` network) namespaces; the command runs as reviewkit's own user in
  a further user namespace, with no capabilities, no supplementary groups and ``no_new_privs``.
- ``userns``: an unprivileged user namespace does the same (a developer's machine). The command keeps
  the user's supplementary groups (an unprivileged process cannot drop them).
- ``none``: neither works (e.g. AppArmor forbids user namespaces and there is no sudo). The environment
  is still an allow-list and every process the command starts is killed at the end, but ancestors'
  ``/proc`` and the filesystem are not hidden: an untrusted review refuses to run the command here.

The namespace tiers run ``sandbox_init.py`` (standard library only) in a fresh interpreter; its
docstring describes the mounts. This module decides what to hide and which tier serves.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewkit.errors import ReviewkitError
from reviewkit.report import TestRun

TAIL_LINES = 60
TAIL_CHARS = 4000
LAUNCHER = Path(__file__).with_name("sandbox_init.py")
STOP_GRACE_S = 10.0  # after SIGTERM, the launcher kills the sandbox and reports; then SIGKILL
WAIT_GRACE_S = 15.0  # the launcher enforces the timeout itself; this bounds a launcher that hangs

# The command's environment is an allow-list: anything else (DATABASE_URL, FOO_DSN, tokens, keys) is
# left out, whatever its name. Prefixed names are checked against secret-looking words as well.
ALLOWED_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR",
        "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "PYENV_ROOT", "PYENV_VERSION",
        "CI", "GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "SOURCE_DATE_EPOCH",
    }
)  # fmt: skip
ALLOWED_PREFIXES = ("LC_", "PYTHON")
_SECRET_WORDS = re.compile(r"TOKEN|SECRET|PASS|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT|DSN|URL", re.I)

# Covered by an empty read-only mount in the namespace tiers: credential stores under the user's home
# that a test has no business reading (the command runs as reviewkit's user, so file modes alone do not
# keep it out), the runner's own credentials, and sockets that lead to root or to the user's agents.
HOME_SECRETS = (
    ".ssh", ".gnupg", ".netrc", ".git-credentials", ".config/git/credentials", ".config/gh", ".config/hub",
    ".aws", ".azure", ".config/gcloud", ".kube", ".docker", ".pypirc", ".npmrc", ".yarnrc", ".gem/credentials",
    ".pip", ".config/pip", ".config/pypoetry/auth.toml", ".local/share/python_keyring", ".local/share/keyrings",
    ".cargo/credentials", ".cargo/credentials.toml", ".password-store", ".vault-token", ".terraform.d",
    ".anthropic", ".claude", ".claude.json", ".config/anthropic",
)  # fmt: skip
RUNNER_SECRETS = (".credentials", ".credentials_rsaparams", ".credentials_migrated", ".runner", "_diag")
SYSTEM_SECRETS = ("/run/docker.sock", "/var/run/docker.sock", "/run/containerd", "/run/podman", "/run/user")
# Files reviewkit writes in CI: a command must not append to the step's outputs or rewrite the summary.
RUNNER_FILES = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE")


class Isolation(enum.Enum):
    PRIVILEGED = "privileged"
    USERNS = "userns"
    NONE = "none"


class SandboxError(ReviewkitError):
    """The command could not be run in a sandbox good enough for it (the message says why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Status:
    exit_code: int | None = None
    timed_out: bool = False
    stopped: bool = False
    error: str = ""


def run_sandboxed(
    command: str,
    cwd: Path,
    *,
    timeout_s: float,
    network: bool = True,
    untrusted: bool = False,
    repo: Path | None = None,
) -> TestRun:
    """Run ``command`` through ``/bin/sh`` in ``cwd`` (a workspace) in the best sandbox available.

    :param timeout_s: the command and everything it started are killed after this long.
    :param network: False: the command gets a network namespace with loopback only.
    :param untrusted: the code comes from a stranger: refuse (``SandboxError``) rather than run it
        without namespaces.
    :param repo: the checkout the workspace was made from: its git directories are hidden too (those
        of ``cwd``, of an overlay's lower layers and of the current directory are found without it).
    :returns: the run, with ``isolation`` naming the tier that served. Raises ``SandboxError`` when
        it cannot run as asked (``untrusted`` or ``network=False`` with no namespaces, a forced tier
        that does not work here, a sandbox that failed to start).
    """
    tier = choose_isolation()
    if tier is Isolation.NONE and (untrusted or not network):
        wanted = "an untrusted change's tests" if untrusted else "code_review.test_network = false"
        raise SandboxError(f"{wanted} need a namespace sandbox, and {unavailable_reason()}")
    spec = sandbox_spec(tier, command, cwd, timeout_s=timeout_s, network=network, repo=repo)
    started = time.monotonic()
    with tempfile.TemporaryFile() as output:
        status = _launch(tier, spec, output, wait_s=timeout_s + WAIT_GRACE_S)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    if status.error:
        raise SandboxError(f"the {tier.value} sandbox could not run the command: {status.error}")
    if status.timed_out:
        text += f"\nreviewkit: test command timed out after {timeout_s:g}s and was killed\n"
    elif status.stopped or status.exit_code is None:
        text += "\nreviewkit: test command was stopped\n"
    code = None if status.timed_out else status.exit_code
    return TestRun(
        command=command,
        exit_code=code,
        passed=code == 0,
        output_tail=_tail(text),
        duration_s=time.monotonic() - started,
        isolation=tier.value,
    )


# --- the environment ----------------------------------------------------------------------------------


def sandbox_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The command's environment: only the allow-listed variables of ``environ`` (default: ours)."""
    source = os.environ if environ is None else environ
    return {key: value for key, value in source.items() if _allowed(key)}


def _allowed(name: str) -> bool:
    if name in ALLOWED_NAMES:
        return True
    return name.startswith(ALLOWED_PREFIXES) and not _SECRET_WORDS.search(name)


# --- choosing the tier --------------------------------------------------------------------------------


def choose_isolation() -> Isolation:
    """The tier that serves: ``REVIEWKIT_SANDBOX`` when set (it must work here), else the best that works."""
    forced = os.environ.get("REVIEWKIT_SANDBOX", "").strip()
    if forced:
        try:
            tier = Isolation(forced)
        except ValueError:
            names = ", ".join(t.value for t in Isolation)
            raise SandboxError(f"REVIEWKIT_SANDBOX={forced!r}: use one of {names}") from None
        problem = _probe(tier) if tier is not Isolation.NONE else ""
        if problem:
            raise SandboxError(f"REVIEWKIT_SANDBOX={forced}: that sandbox does not work here: {problem}")
        return tier
    for tier in (Isolation.PRIVILEGED, Isolation.USERNS):
        if not _probe(tier):
            return tier
    return Isolation.NONE


def unavailable_reason() -> str:
    """Why the namespace tiers are not used (for the message that refuses to run without one)."""
    if os.environ.get("REVIEWKIT_SANDBOX", "").strip() == Isolation.NONE.value:
        return "REVIEWKIT_SANDBOX=none turns them off"
    tried = "; ".join(f"{tier.value}: {_probe(tier)}" for tier in (Isolation.PRIVILEGED, Isolation.USERNS))
    return f"none works here ({tried})"


@functools.cache
def _probe(tier: Isolation) -> str:
    """'' when ``tier`` runs a command here (tried once per process, with a network namespace), else why not."""
    if tier is Isolation.PRIVILEGED and os.geteuid() != 0 and shutil.which("sudo") is None:
        return "not root, and sudo is not installed"
    with tempfile.TemporaryDirectory(prefix="reviewkit-probe-") as cwd, tempfile.TemporaryFile() as output:
        spec = sandbox_spec(tier, "true", Path(cwd), timeout_s=30, network=False, repo=None, hide=False)
        status = _launch(tier, spec, output, wait_s=60)
    if status.error:
        return status.error
    return "" if status.exit_code == 0 else f"a probe exited with {status.exit_code}"


# --- the spec -----------------------------------------------------------------------------------------


def sandbox_spec(
    tier: Isolation,
    command: str,
    cwd: Path,
    *,
    timeout_s: float,
    network: bool,
    repo: Path | None = None,
    hide: bool = True,
) -> dict[str, Any]:
    """What the launcher (sandbox_init.py) is told: the command, its environment and user, and the
    directories to replace, keep writable and cover."""
    cwd = cwd.resolve()
    env = sandbox_environment()
    scratch = scratch_dirs()
    if tier is not Isolation.NONE:
        # Home is read-only in the sandbox; caches (pip, uv) start empty in the private temporary directory.
        env["XDG_CACHE_HOME"] = str(Path(tempfile.gettempdir()) / ".cache")
    hidden = hidden_paths(cwd, repo, scratch) if hide and tier is not Isolation.NONE else []
    return {
        "mode": tier.value,
        "command": command,
        "cwd": str(cwd),
        "env": env,
        "timeout_s": max(timeout_s, 0.0),
        # The process that asked for the run: when it is gone (a reviewer killed at its deadline, with
        # sudo in between so that no parent-death signal reaches the launcher), the sandbox goes too.
        "owner_pid": os.getpid(),
        "network": network,
        "uid": os.getuid(),
        "gid": os.getgid(),
        "scratch": scratch,
        "toolchain": toolchain_under(scratch, env) if tier is not Isolation.NONE else [],
        "hidden": hidden,
    }


def scratch_dirs() -> list[str]:
    """Directories the sandbox replaces with fresh, private, writable ones (parents first): the
    temporary directories, the runner's temp folder (the step's output files, checkout's credentials)
    and the user's runtime directory (agent sockets)."""
    candidates = ["/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()]
    candidates += [os.environ[name] for name in ("RUNNER_TEMP", "XDG_RUNTIME_DIR") if os.environ.get(name)]
    found = {os.path.realpath(path) for path in candidates if os.path.isdir(path)}
    return sorted(found, key=lambda path: (path.count("/"), path))


def toolchain_under(scratch: Iterable[str], env: Mapping[str, str]) -> list[str]:
    """Where the command's interpreter and tools live, when that is inside a directory the sandbox
    replaces (a project cloned and its virtual environment made under /tmp, the Action's venv under
    RUNNER_TEMP): kept visible, read-only, or the command would not even start."""
    candidates = [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    candidates += [env.get("VIRTUAL_ENV") or "", *(env.get("PATH") or "").split(os.pathsep)]
    roots = [Path(s) for s in scratch]
    found = {
        os.path.realpath(c)
        for c in candidates
        if c and os.path.isdir(c) and any(Path(os.path.realpath(c)).is_relative_to(r) for r in roots)
    }
    outermost = sorted(found, key=len)
    return [p for i, p in enumerate(outermost) if not any(Path(p).is_relative_to(q) for q in outermost[:i])]


def hidden_paths(cwd: Path, repo: Path | None, scratch: Iterable[str]) -> list[str]:
    """Paths covered in the sandbox: git directories, credentials, CI files, agent and root sockets.

    A path that holds the workspace or a scratch directory is left alone (covering it would hide
    them); what lies inside a scratch directory is gone anyway."""
    home = Path(os.environ.get("HOME") or Path.home())
    paths: set[Path] = set()
    for root in _repositories(cwd, repo):
        paths.update(git_dirs(root))
    paths.update(home / name for name in HOME_SECRETS)
    for root in _runner_roots(home):
        paths.update(root / name for name in RUNNER_SECRETS)
    paths.update(Path(p) for p in SYSTEM_SECRETS)
    paths.update(Path(os.environ[name]) for name in (*RUNNER_FILES, "SSH_AUTH_SOCK") if os.environ.get(name))
    keep = [cwd, *(Path(s) for s in scratch)]
    chosen = {str(p) for p in paths if p.is_absolute() and not any(k == p or k.is_relative_to(p) for k in keep)}
    return sorted(chosen)


def _repositories(cwd: Path, repo: Path | None) -> list[Path]:
    """Every checkout the workspace could lead to: itself, ``repo``, an overlay's lower layers, the
    current directory and ``GITHUB_WORKSPACE`` (where actions/checkout stores its credentials)."""
    roots = [cwd, *overlay_lowers(cwd)]
    with contextlib.suppress(OSError):
        roots.append(Path.cwd())
    if repo is not None:
        roots.append(repo.resolve())
    if os.environ.get("GITHUB_WORKSPACE"):
        roots.append(Path(os.environ["GITHUB_WORKSPACE"]))
    return roots


def git_dirs(root: Path) -> set[Path]:
    """``root/.git`` and, when it is a worktree's ``gitdir:`` file, the git directories it points at."""
    dot_git = root / ".git"
    found = {dot_git}
    if dot_git.is_file():
        admin = _pointer(dot_git, "gitdir:", root)
        if admin is not None:
            found.add(admin)
            common = _pointer(admin / "commondir", "", admin)
            found.add(common if common is not None else admin)
    return found


def _pointer(path: Path, prefix: str, base: Path) -> Path | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text.startswith(prefix) or not text[len(prefix) :].strip():
        return None
    return (base / text[len(prefix) :].strip()).resolve()


def overlay_lowers(path: Path) -> list[Path]:
    """The lower layers of the overlay mounted at ``path`` (the overlay workspace's lower layer is the
    checkout itself when it is clean), from /proc/self/mountinfo."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return []
    for line in lines:
        mount, _, fs = line.partition(" - ")
        fields, fs_fields = mount.split(), fs.split(" ", 2)
        if len(fields) < 5 or len(fs_fields) < 3 or fs_fields[0] != "overlay" or _octal(fields[4]) != str(path):
            continue
        for option in re.split(r"(?<!\\),", _octal(fs_fields[2])):
            if option.startswith("lowerdir="):
                layers = re.split(r"(?<!\\):", option.removeprefix("lowerdir="))
                return [Path(re.sub(r"\\(.)", r"\1", layer)) for layer in layers if layer]
    return []


def _octal(text: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _runner_roots(home: Path) -> list[Path]:
    """Where a GitHub runner keeps its own credentials: its home, and the folder above its work folder."""
    roots = [home]
    workspace = os.environ.get("RUNNER_WORKSPACE")
    if workspace:
        roots.append(Path(workspace).parent.parent)
    return roots


# --- running the launcher -----------------------------------------------------------------------------


def _launch(tier: Isolation, spec: Mapping[str, Any], output: Any, *, wait_s: float) -> _Status:
    """Run the launcher with ``spec``; the command's output goes to ``output``; the launcher's status."""
    argv = [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec)]
    if tier is Isolation.PRIVILEGED and os.geteuid() != 0:
        argv = ["sudo", "-n", "--", *argv]
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"},
            start_new_session=True,  # no terminal: sudo runs without a pty; Ctrl-C reaches reviewkit only
        )
    except OSError as exc:
        return _Status(error=f"could not start {argv[0]}: {exc.strerror}")
    try:
        _, err = proc.communicate(timeout=wait_s)
    except subprocess.TimeoutExpired:
        err = b""
    finally:
        _stop(proc)
    return _parse_status(err.decode("utf-8", "replace"))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask the launcher to stop (it kills the sandbox and waits for it), then make sure."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        proc.send_signal(signal.SIGTERM)  # sudo relays it to the launcher
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _parse_status(text: str) -> _Status:
    fields: dict[str, Any] = {}
    stray: list[str] = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if isinstance(item, dict):
            fields.update(item)
        elif line.strip():
            stray.append(line.strip())
    error = str(fields.get("error") or "")
    if not fields and stray:
        error = stray[-1]  # e.g. "sudo: a password is required"
    code = fields.get("exit_code")
    return _Status(
        exit_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        timed_out=fields.get("timed_out") is True,
        stopped=fields.get("stopped") is True,
        error=error,
    )


def _tail(text: str) -> str:
    lines = text.splitlines()[-TAIL_LINES:]
    return "\n".join(lines)[-TAIL_CHARS:]
