"""``run_sandboxed``, the API the test gate, the editor's run-tests tool and test-integrity share.

Each test runs real commands in each tier that works here (``REVIEWKIT_SANDBOX`` forces it) and looks
at what they could see and do.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import outside_temp_dir, tier_works

from reviewkit.editor_tool import editor_for
from reviewkit.sandbox import LAUNCHER, Isolation, SandboxError, run_sandboxed, sandbox_environment, sandbox_spec
from reviewkit.workspace import WorkspaceFactory

from conftest import GitRepo  # isort: skip

NAMESPACE_TIERS = ("privileged", "userns")
PY = sys.executable


@pytest.fixture(params=NAMESPACE_TIERS)
def tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if not tier_works(request.param):
        pytest.skip(f"the {request.param} sandbox does not work on this machine")
    monkeypatch.setenv("REVIEWKIT_SANDBOX", request.param)
    return str(request.param)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.py").write_text("VALUE = 1\n")
    return root


@pytest.fixture
def outside() -> Iterator[Path]:
    root = outside_temp_dir()
    (root / "data.txt").write_text("original\n")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_output_exit_code_and_the_tier_are_reported(tier, workspace):
    run = run_sandboxed("cat app.py; echo to-stderr >&2; exit 3", workspace, timeout_s=30)
    assert (run.exit_code, run.passed, run.isolation) == (3, False, tier)
    assert run.output_tail.splitlines() == ["VALUE = 1", "to-stderr"]


def test_the_environment_is_an_allow_list(tier, workspace, monkeypatch):
    for name, value in {
        "DATABASE_URL": "postgres://u:pw@db/x",
        "FOO_DSN": "dsn-secret",
        "SENTRY_THING": "unknown-name",
        "PYTHON_KEYRING_TOKEN": "kr-secret",
        "PYTHONHASHSEED": "7",
        "LC_TIME": "C",
        "LANG": "C.UTF-8",
    }.items():
        monkeypatch.setenv(name, value)
    run = run_sandboxed("env | sort", workspace, timeout_s=30)
    names = {line.split("=", 1)[0] for line in run.output_tail.splitlines()}
    assert {"PATH", "HOME", "LANG", "LC_TIME", "PYTHONHASHSEED"} <= names
    assert not names & {"DATABASE_URL", "FOO_DSN", "SENTRY_THING", "PYTHON_KEYRING_TOKEN"}
    assert sandbox_environment({"CI": "true", "MY_API_KEY": "x", "PYTHONPATH": "/p"}) == {
        "CI": "true",
        "PYTHONPATH": "/p",
    }


def test_only_the_workspace_and_a_private_tmp_are_writable_and_what_it_writes_is_thrown_away(
    tier, workspace, outside, monkeypatch
):
    home = outside / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    visible = Path("/tmp") / f"reviewkit-sandbox-test-{os.getpid()}"
    visible.write_text("host file\n")
    try:
        script = (
            "echo new > made.txt; echo x >> app.py; cat made.txt; "
            f"echo x >> {outside}/data.txt; touch {home}/.profile; ls /tmp; "
            f"echo private > /tmp/inside-{os.getpid()}; cat {outside}/data.txt"
        )
        run = run_sandboxed(script, workspace, timeout_s=30)
    finally:
        visible.unlink()
    assert "new" in run.output_tail and not (workspace / "made.txt").exists()
    assert (workspace / "app.py").read_text() == "VALUE = 1\n"
    assert (outside / "data.txt").read_text() == "original\n" and "original" in run.output_tail
    assert not (home / ".profile").exists()
    assert run.output_tail.count("Read-only file system") == 2
    assert visible.name not in run.output_tail  # /tmp is a fresh one...
    assert not Path(f"/tmp/inside-{os.getpid()}").exists()  # ...and what is written there stays there


def test_no_capabilities_no_new_privileges_and_the_covers_hold(tier, workspace, outside):
    repo = GitRepo(outside / "checkout")
    repo.commit("base", **{"a.txt": "a\n"})
    repo.git("config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic c2VjcmV0")
    git = repo.root / ".git"
    script = (
        "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status; "
        f"umount {git}; umount -l {git}; mount -o remount,rw /; "
        f"unshare -rm sh -c 'umount {git} || umount -l {git}; cat {git}/config'; "
        f"cat {repo.root}/a.txt; ls -A {git} | wc -l; cat {git}/config"
    )
    run = run_sandboxed(script, workspace, timeout_s=30, repo=repo.root)
    status = dict(line.split(":\t") for line in run.output_tail.splitlines() if ":\t" in line)
    assert status == {"CapEff": "0" * 16, "CapPrm": "0" * 16, "CapBnd": "0" * 16, "NoNewPrivs": "1"}
    assert "extraheader" not in run.output_tail and "c2VjcmV0" not in run.output_tail
    assert "a\n0\n" in run.output_tail + "\n"  # the checkout is readable, its .git is an empty cover


def test_a_timeout_kills_every_process_including_a_setsid_daemon(tier, workspace):
    token = f"9.{os.getpid()}1"
    started = time.monotonic()
    run = run_sandboxed(f"setsid sh -c 'sleep {token}' & echo started; sleep {token}", workspace, timeout_s=1)
    assert run.exit_code is None and not run.passed
    assert "started" in run.output_tail and "timed out after 1s and was killed" in run.output_tail
    assert time.monotonic() - started < 8
    assert not _running(token)


def test_the_fallback_also_kills_a_double_forked_daemon_when_the_command_ends(workspace, monkeypatch):
    monkeypatch.setenv("REVIEWKIT_SANDBOX", "none")
    token = f"9.{os.getpid()}2"
    daemon = (
        "import os\nif os.fork() == 0:\n os.setsid()\n"
        f" if os.fork() == 0: os.execv('/bin/sleep', ['sleep', '{token}'])\n"
    )
    (workspace / "daemon.py").write_text(daemon)
    run = run_sandboxed(f"{PY} daemon.py; echo parent done", workspace, timeout_s=30)
    assert run.passed and run.isolation == "none" and "parent done" in run.output_tail
    assert not _running(token)


def test_untrusted_or_offline_tests_refuse_the_fallback(workspace, monkeypatch):
    monkeypatch.setenv("REVIEWKIT_SANDBOX", "none")
    marker = workspace / "ran"
    with pytest.raises(SandboxError, match="an untrusted change's tests need a namespace sandbox"):
        run_sandboxed(f"touch {marker}", workspace, timeout_s=30, untrusted=True)
    with pytest.raises(SandboxError, match="test_network = false need a namespace sandbox"):
        run_sandboxed(f"touch {marker}", workspace, timeout_s=30, network=False)
    assert not marker.exists()
    monkeypatch.setenv("REVIEWKIT_SANDBOX", "chroot")
    with pytest.raises(SandboxError, match=r"REVIEWKIT_SANDBOX='chroot': use one of privileged, userns, none"):
        run_sandboxed("true", workspace, timeout_s=30)


def test_without_network_the_host_is_unreachable_but_loopback_works(tier, workspace):
    with _server() as port:
        probe = (
            "import socket, sys\n"
            "own = socket.create_server(('127.0.0.1', 0)); own_port = own.getsockname()[1]\n"
            "socket.create_connection(('127.0.0.1', own_port), timeout=2).close(); print('own server: ok')\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2); print('host: reached')\n"
            "except OSError as exc:\n    print('host:', type(exc).__name__)\n"
        )
        (workspace / "probe.py").write_text(probe)
        offline = run_sandboxed(f"{PY} probe.py", workspace, timeout_s=30, network=False)
        online = run_sandboxed(f"{PY} probe.py", workspace, timeout_s=30)
    assert "own server: ok" in offline.output_tail and "host: ConnectionRefusedError" in offline.output_tail
    assert "host: reached" in online.output_tail


def test_the_editor_run_tests_tool_uses_the_same_sandbox(tier, tmp_path, monkeypatch):
    repo = GitRepo(tmp_path / "repo")
    repo.commit("base", **{"app.py": "x = 1\n"})
    with WorkspaceFactory(repo.root, "HEAD", parent=tmp_path) as factory:
        workspace = factory.create()
        gate = "echo 'x = 2' > app.py; head -c 200 /proc/1/cmdline | tr '\\0' ' '; echo; "
        gate += "git rev-parse --git-dir 2>&1 | head -1"
        editor = editor_for(workspace, test_command=gate, test_timeout_s=30)
        result = editor.call("run_tests", {})
        assert result.startswith("tests passed (exit code 0")
        assert "sandbox_init.py" in result  # PID 1 is the sandbox's init
        assert result.splitlines()[-1].startswith("fatal:")  # and the workspace's .git is covered
        assert workspace.diff() == ""  # the tests cannot change the fix the model is making
        monkeypatch.setenv("REVIEWKIT_SANDBOX", "none")
        refused = editor_for(workspace, test_command="touch ran", test_timeout_s=30, untrusted=True)
        assert refused.call("run_tests", {}).startswith("Error: the tests could not run: an untrusted change's")
        assert not (workspace.root / "ran").exists()


def test_an_unprivileged_user_gets_the_user_namespace_tier():
    """A developer without sudo: the launcher run as uid 65534 by the system Python, as reviewkit runs it."""
    python = shutil.which("python3", path="/usr/bin:/bin")
    if os.geteuid() != 0 or python is None or shutil.which("setpriv") is None:
        pytest.skip("needs root (to become another user), setpriv and a system python3")
    if not _readable_by_anyone(LAUNCHER):
        pytest.skip(f"{LAUNCHER} is not readable by another user here (a checkout under a private directory)")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    userns = [*as_nobody, "unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "true"]
    if subprocess.run(userns, capture_output=True, check=False).returncode != 0:
        pytest.skip("unprivileged user namespaces are not allowed on this machine")
    shared = Path("/tmp") / f"reviewkit-unprivileged-{os.getpid()}"  # a directory nobody may use
    shared.mkdir()
    shared.chmod(0o777)
    token = f"9.{os.getpid()}3"
    attack = (
        "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c SECRET_VALUE; id -u; "
        f"setsid sh -c 'sleep {token}' & echo done"
    )
    outputs = {}
    try:
        for tier in (Isolation.USERNS, Isolation.NONE):  # without namespaces, as a control
            spec = {**sandbox_spec(tier, attack, shared, timeout_s=30, network=False), "uid": 65534, "gid": 65534}
            proc = subprocess.run(
                [*as_nobody, "sh", "-c", '"$@"; :', "sh", python, "-I", "-S", str(LAUNCHER), json.dumps(spec)],
                env={"PATH": "/usr/bin:/bin", "SECRET": "SECRET_VALUE"},  # the parent shell holds a secret
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert proc.stderr.strip() == '{"exit_code": 0}', proc.stderr
            outputs[tier] = proc.stdout.split()
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert outputs[Isolation.USERNS] == ["0", "65534", "done"]
    assert outputs[Isolation.NONE][0] != "0"  # the same script finds the secret where nothing hides it
    assert not _running(token)


def _readable_by_anyone(path: Path) -> bool:
    """Whether a user with no rights of its own can read ``path``: every directory above it searchable."""
    import stat

    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents)


def test_the_privileged_tier_runs_the_command_as_the_user_reviewkit_runs_as(tmp_path):
    """Through ``sudo -n`` the launcher is root and reviewkit is not: the command runs as reviewkit's
    user, without root's groups, and can write its own workspace (here: root launching for uid 65534)."""
    if os.geteuid() != 0 or not tier_works("privileged"):
        pytest.skip("needs root")
    workspace = Path("/tmp") / f"reviewkit-as-user-{os.getpid()}"
    workspace.mkdir()
    (workspace / "app.py").write_text("x = 1\n")
    shutil.chown(workspace / "app.py", 65534, 65534)
    shutil.chown(workspace, 65534, 65534)
    command = "id -u; id -G; grep NoNewPrivs /proc/self/status; echo made > new.txt; echo x >> app.py; cat new.txt"
    spec = {**sandbox_spec(Isolation.PRIVILEGED, command, workspace, timeout_s=30, network=True)}
    spec.update(uid=65534, gid=65534)
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec)], capture_output=True, text=True, check=False
        )
        assert proc.stderr.strip() == '{"exit_code": 0}', (proc.stdout, proc.stderr)
        assert proc.stdout.split() == ["65534", "65534", "NoNewPrivs:", "1", "made"]
        assert sorted(p.name for p in workspace.iterdir()) == ["app.py"]  # and its writes were thrown away
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def _running(token: str) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                return True
        except OSError:
            continue
    return False


class _server:
    """A TCP server on the host's 127.0.0.1 that accepts connections until the block ends."""

    def __enter__(self) -> int:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return int(self.sock.getsockname()[1])

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.close()

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
