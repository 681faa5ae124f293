"""action.yml and .pre-commit-hooks.yaml: parsed, checked against the Action contract, and the review
step's shell script run for real against the fake GitHub API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import PROJECT_ROOT
from github_pr_setup import APP_BASE, REPOSITORY, TOKEN, PullRequestFixture, pull_request_fixture  # noqa: F401

ACTION = yaml.safe_load((PROJECT_ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]
INPUTS = {
    "anthropic-api-key",
    "github-token",
    "config",
    "reviewers",
    "fail-on",
    "post-review",
    "sarif-file",
    "python-version",
}


def test_inputs_outputs_and_branding():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == INPUTS
    assert all(spec.get("description") for spec in ACTION["inputs"].values())
    assert {name: spec["value"] for name, spec in ACTION["outputs"].items()} == {
        name: f"${{{{ steps.review.outputs.{name} }}}}" for name in ("decision", "report", "sarif")
    }
    assert ACTION["branding"]["icon"] and ACTION["branding"]["color"]


def test_third_party_actions_are_pinned_by_full_sha_and_python_leaves_the_environment_alone():
    uses = [step for step in STEPS if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]) for step in uses)
    [setup] = [step for step in uses if step["uses"].startswith("actions/setup-python@")]
    assert str(setup["with"]["update-environment"]).lower() == "false"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"


def test_run_scripts_take_inputs_only_through_env():
    scripts = [step for step in STEPS if "run" in step]
    assert scripts
    for step in scripts:
        assert "${{" not in step["run"], step["name"]
        assert step["shell"] == "bash"
    referenced = {
        m
        for step in scripts
        for value in step.get("env", {}).values()
        for m in re.findall(r"inputs\.([\w-]+)", str(value))
    }
    assert referenced | {"python-version"} == INPUTS
    [install] = [step for step in scripts if "pip install" in step["run"]]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert install["env"]["VENV"].startswith("${{ runner.temp }}")
    assert '"$ACTION_PATH"' in install["run"]


def test_the_review_step_script_runs_reviewkit_github(pr: PullRequestFixture, tmp_path: Path):
    head = pr.push("eval", **{"app.py": APP_BASE.replace("line_5 = 5\n", "value = eval(user_input)\n")})
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    launcher = venv / "bin" / "reviewkit"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reviewkit "$@"\n')
    launcher.chmod(0o755)
    [step] = [step for step in STEPS if step.get("id") == "review"]
    inputs = {
        "github-token": TOKEN,
        "anthropic-api-key": "",
        "config": "",
        "reviewers": "evals,todos",
        "fail-on": "error",
        "post-review": "true",
        "sarif-file": str(tmp_path / "out.sarif"),
    }
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(pr.tmp / "site"), *sys.path]),
        "GITHUB_EVENT_PATH": str(pr.event(head)),
        "GITHUB_API_URL": pr.fake.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_OUTPUT": str(pr.outputs),
        "GITHUB_STEP_SUMMARY": str(pr.summary),
        "RUNNER_TEMP": str(pr.runner_temp),
    }
    for name, value in step["env"].items():
        env[name] = _expand(value, inputs, venv_root=tmp_path)

    proc = subprocess.run(
        ["bash", "-c", step["run"]], cwd=pr.checkout, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert proc.returncode == 0, proc.stderr  # fail-on: error lets blocking findings pass the step
    assert pr.output_values()["sarif"] == str(tmp_path / "out.sarif")
    assert (tmp_path / "out.sarif").is_file()
    assert len(pr.fake.reviews) == 1
    assert TOKEN not in proc.stdout + proc.stderr


def _expand(value: str, inputs: dict[str, str], *, venv_root: Path) -> str:
    """The few expressions the step's env uses, evaluated as the runner would."""
    value = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], value)
    return value.replace("${{ runner.temp }}/reviewkit-venv", str(venv_root / "venv"))


def test_pre_commit_hook_runs_an_offline_review_before_push():
    # tests/core/test_precommit.py runs both hooks through the real pre-commit on a real push and commit.
    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(hook for hook in hooks if hook["id"] == "reviewkit")
    assert hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["reviewkit", "review"] and "--offline" in hook["entry"]
    assert hook["pass_filenames"] is False and hook["stages"] == ["pre-push"]
