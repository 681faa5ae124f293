"""Issue 10, item 5: a hostile pull request's test gate, run by the real command as CI runs it.

The change rewrites the script the gate runs; the script hunts for reviewkit's secrets, writes
reviewkit's outputs and leaves a daemon behind (see hostile.py). In every namespace tier it finds
nothing, writes nothing, and its daemon is dead when reviewkit exits. Without namespaces the same script
does find the CI shell's token, which shows the probe is real, and an untrusted review refuses to run it.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import AUTH_HEADER, SECRETS, HostilePullRequest, hostile_pull_request, outside_temp_dir, tier_works

from reviewkit.policy import Decision
from reviewkit.workspace import can_mount

from conftest import assert_valid  # isort: skip


@pytest.fixture
def checkout_root() -> Iterator[Path]:
    root = outside_temp_dir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def hostile(checkout_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HostilePullRequest:
    return hostile_pull_request(checkout_root, tmp_path, monkeypatch)


def _assert_nothing_leaked(pr: HostilePullRequest, stdout: str, report: dict) -> None:
    everything = stdout + json.dumps(report) + pr.report_path.read_text()
    for value in [*SECRETS.values(), AUTH_HEADER.split()[-1]]:
        assert value not in everything
    assert "LEAK" not in report["fixes"]["tests"]["output_tail"]


def _assert_daemon_dead(pr: HostilePullRequest) -> None:
    assert not pr.daemon_alive(), "a process the gate started outlived reviewkit"
    time.sleep(1.0)  # the daemon would have written by now
    assert not (pr.repo.root / "daemon-was-here").exists()


def _assert_outputs_untouched(pr: HostilePullRequest) -> None:
    for path in pr.outputs.values():
        assert path.read_text() == "existing=1\n", path
    assert "DEVELOPMENT_COMPLETE\n" not in pr.report_path.read_text()


@pytest.mark.parametrize(
    ("tier", "backend"),
    [("privileged", "overlay"), ("privileged", "worktree"), ("userns", "copy"), ("userns", "overlay")],
)
def test_a_hostile_test_gate_reads_no_secret_writes_no_output_and_leaves_no_process(hostile, tier, backend):
    if not tier_works(tier):
        pytest.skip(f"the {tier} sandbox does not work on this machine")
    if backend == "overlay" and not can_mount(str(hostile.workspaces)):
        pytest.skip("this process may not mount an overlay workspace")
    result = hostile.review("--untrusted", sandbox=tier, backend=backend)

    assert result.returncode == 1, result.stderr
    report = json.loads(hostile.report_path.read_text())
    assert_valid("report", report)
    tests = report["fixes"]["tests"]
    assert tests["isolation"] == tier and tests["passed"], tests
    assert "ATTACK DONE" in tests["output_tail"]  # the hostile script did run, to the end
    assert report["decision"] == Decision.NEW_REVIEW_ROUND.value and report["fixes"]["merged"]
    _assert_nothing_leaked(hostile, result.stdout, report)
    tail = tests["output_tail"]
    assert f"DENIED {hostile.repo.root}/.git/config" in tail  # the checkout itself is reachable, its .git is not
    # The runner's temp folder is a fresh, private directory in the sandbox: writes land there and vanish.
    processes = int(tail.split("PROCESSES ", 1)[1].split()[0])
    assert processes <= 4  # its own PID namespace: init, sh, python; no ancestor is visible
    _assert_daemon_dead(hostile)
    _assert_outputs_untouched(hostile)


def test_without_namespaces_the_same_script_finds_the_ci_token_and_an_untrusted_review_refuses_it(hostile):
    trusted = hostile.review(sandbox="none")  # a trusted run may use the fallback: it shows what it lacks
    report = json.loads(hostile.report_path.read_text())
    tail = report["fixes"]["tests"]["output_tail"]
    assert trusted.returncode == 1 and report["fixes"]["tests"]["isolation"] == "none"
    assert "LEAK /proc/" in tail and SECRETS["GITHUB_TOKEN"] in tail  # from the CI shell, an ancestor
    assert "GITHUB_TOKEN" not in tail.split("PROCESSES")[0].split("LEAK /proc")[0]  # not its own environment
    assert f"LEAK {hostile.repo.root}/.git/config extraheader" in tail
    _assert_daemon_dead(hostile)  # the fallback still kills every descendant...
    assert "decision=DEVELOPMENT_COMPLETE" in hostile.outputs["GITHUB_OUTPUT"].read_text()  # ...but hides nothing

    hostile.report_path.unlink()
    untrusted = hostile.review("--untrusted", sandbox="none")
    report = json.loads(hostile.report_path.read_text())
    assert untrusted.returncode == 1
    assert report["fixes"]["tests"] is None and not report["fixes"]["merged"]
    assert "need a namespace sandbox" in report["fixes"]["note"] and "REVIEWKIT_SANDBOX=none" in report["fixes"]["note"]
    assert report["decision"] == Decision.CONTINUE_DEVELOPMENT.value  # the finding stays unfixed: it blocks
    assert "ATTACK" not in json.dumps(report)
