"""Ctrl-C during a run: the workspace, its mount or worktree, and the test processes are all gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GIT_ENV
from fixers import APP, CHECK, config, install_plugin

from reviewkit.workspace import can_mount


@pytest.mark.parametrize(
    ("backend", "signum"),
    [("overlay", signal.SIGINT), ("worktree", signal.SIGINT), ("copy", signal.SIGINT), ("worktree", signal.SIGTERM)],
    ids=["overlay-ctrl-c", "worktree-ctrl-c", "copy-ctrl-c", "worktree-sigterm"],
)
def test_ctrl_c_during_the_test_gate_leaves_nothing_behind(backend, signum, feature_repo, tmp_path, monkeypatch):
    workspaces = tmp_path / "tmp"
    workspaces.mkdir()
    if backend == "overlay" and not can_mount(str(workspaces)):
        pytest.skip("this process may not mount an overlay (needs root or a user namespace)")
    # The gate runs in a sandbox (its own PID namespace, /tmp, and a throwaway layer over its workspace):
    # it is found from here by its sleep's duration, which no other process uses.
    token = f"60.{os.getpid()}"
    gate = f"sleep {token}"
    feature_repo.commit("app", **{"app.py": APP, "check.py": CHECK, ".agents__config.toml": config(test_command=gate)})
    install_plugin(tmp_path, monkeypatch, 'eval(str(x) + " * 2")', "x * 2")
    env = {**os.environ, **GIT_ENV, "TMPDIR": str(workspaces), "REVIEWKIT_WORKSPACE_BACKEND": backend}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewkit", "review", "--base", "main", "--reviewer", "fixer"],
        cwd=feature_repo.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: _processes_running(f"sleep\0{token}"), proc)
        assert list(workspaces.glob("reviewkit-ws-*")), "the gate runs inside a workspace"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert b"interrupted" in err
    assert not list(workspaces.iterdir())
    assert str(tmp_path) not in Path("/proc/mounts").read_text()
    assert len(feature_repo.git("worktree", "list").splitlines()) == 1
    assert not _processes_running(f"sleep\0{token}")  # the test command was killed too
    assert feature_repo.git("status", "--porcelain") == ""


def _wait_for(started: Callable[[], object], proc: subprocess.Popen[bytes]) -> None:
    """Until the gate's command runs."""
    deadline = time.monotonic() + 60
    while not started():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the test gate never started: {proc.communicate()}")
        time.sleep(0.02)


def _processes_running(cmdline: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and cmdline in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                found.append(entry.name)
        except OSError:
            continue
    return found
