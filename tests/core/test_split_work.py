"""``reviewkit.in_halves``: a reviewer splits its work with a forked worker. Every item is reviewed whether
the worker succeeds, dies or hangs; a hung worker dies with its reviewer at the deadline. Driven through
a real installed plugin and the real command."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import GitRepo
from test_plugins import install_plugin, plugins_only_repo, review

PLUGIN = """
import os, time
from pathlib import Path
from reviewkit import Finding, Reviewer, hookimpl, in_halves


def _look(paths):
    if os.getpid() != int(os.environ["HALVES_REVIEWER_PID"]):  # the worker
        Path(os.environ["HALVES_WORKER_PID_FILE"]).write_text(str(os.getpid()))
        mode = os.environ.get("HALVES_WORKER", "works")
        if mode == "dies":
            os._exit(7)
        if mode == "hangs":
            time.sleep(600)
    return [(path, os.getpid()) for path in paths]


class Halves(Reviewer):
    name = "halves"
    trigger = "always"
    blocking = True  # a review it cannot finish must not pass

    def blocks(self, finding):
        return False  # what it sees is only reported

    def review(self, context):
        os.environ["HALVES_REVIEWER_PID"] = str(os.getpid())
        paths = [f.path for f in context.files]
        for part in in_halves(_look, paths, weight=len):
            for path, pid in part:
                yield Finding(rule="halves/seen", severity="low", path=path, line=1,
                              message=f"seen by {pid}", evidence=context.read(path).splitlines()[0])


@hookimpl
def register_reviewers(register):
    register(Halves())
"""

TWO_CPUS = len(os.sched_getaffinity(0)) >= 2


@pytest.fixture
def many_files(feature_repo: GitRepo) -> GitRepo:
    return plugins_only_repo(feature_repo, "4s", {f"src__m{i}.py": f"VALUE = {i}\n" for i in range(9)})


def _run(repo: GitRepo, tmp_path: Path, mode: str):
    site = install_plugin(tmp_path / "site", "halves_plugin", PLUGIN)
    pid_file = tmp_path / "worker.pid"
    result = review(repo, site, "", HALVES_WORKER=mode, HALVES_WORKER_PID_FILE=str(pid_file))
    (verdict,) = result.json()["verdicts"]
    return result, verdict, pid_file


@pytest.mark.skipif(not TWO_CPUS, reason="the work is split only with a second CPU")
def test_every_item_is_reviewed_once_across_two_processes(many_files: GitRepo, tmp_path: Path) -> None:
    result, verdict, _ = _run(many_files, tmp_path, "works")
    assert result.exit_code == 0, result.stderr
    assert sorted(f["path"] for f in verdict["findings"]) == [f"src/m{i}.py" for i in range(9)]
    assert len({f["message"] for f in verdict["findings"]}) == 2  # the reviewer and its worker


@pytest.mark.skipif(not TWO_CPUS, reason="the work is split only with a second CPU")
def test_a_dead_worker_s_half_is_done_by_the_reviewer(many_files: GitRepo, tmp_path: Path) -> None:
    result, verdict, pid_file = _run(many_files, tmp_path, "dies")
    assert pid_file.exists()  # the worker ran, and died
    assert result.exit_code == 0, result.stderr
    assert sorted(f["path"] for f in verdict["findings"]) == [f"src/m{i}.py" for i in range(9)]
    assert len({f["message"] for f in verdict["findings"]}) == 1


@pytest.mark.skipif(not TWO_CPUS, reason="the work is split only with a second CPU")
def test_a_hung_worker_dies_with_its_reviewer_at_the_deadline(many_files: GitRepo, tmp_path: Path) -> None:
    result, verdict, pid_file = _run(many_files, tmp_path, "hangs")
    assert verdict["status"] == "error" and "4" in verdict["error"]
    assert result.exit_code == 3  # a blocking reviewer that did not finish: never approved
    worker = int(pid_file.read_text())
    for _ in range(50):
        if not Path(f"/proc/{worker}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{worker}").exists()
