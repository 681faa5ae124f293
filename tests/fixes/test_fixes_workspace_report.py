"""The report says where the fix stage's test gate ran: the workspace backend and its set-up time."""

from __future__ import annotations

import pytest
from conftest import GitRepo, assert_valid, review_with
from fixers import APP, CHECK, Replacer, config

from reviewkit.reporters.text import TextReporter

EVAL_DOUBLE = 'eval(str(x) + " * 2")'


@pytest.mark.parametrize("backend", ["worktree", "copy"])
def test_the_report_records_the_gates_workspace(feature_repo: GitRepo, monkeypatch, backend: str):
    monkeypatch.setenv("REVIEWKIT_WORKSPACE_BACKEND", backend)
    feature_repo.commit("app", **{"app.py": APP, "check.py": CHECK, ".agents__config.toml": config()})

    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo)

    data = report.to_dict()
    assert_valid("report", data)
    assert data["fixes"]["tests"]["passed"]
    workspace = data["fixes"]["workspace"]
    assert workspace["backend"] == backend and workspace["setup_s"] > 0
    assert f"({backend} workspace, set up in " in TextReporter().render(report)


def test_without_a_test_gate_no_workspace_is_recorded(feature_repo: GitRepo):
    feature_repo.commit("app", **{"app.py": APP, "check.py": CHECK, ".agents__config.toml": config(test_command=None)})

    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo)

    assert report.to_dict()["fixes"]["workspace"] == {"backend": "none", "setup_s": 0.0}
    assert report.fixes.patch  # the fix is proposed, never run anywhere
