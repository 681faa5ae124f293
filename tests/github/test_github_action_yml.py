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
    "base",
    "head",
    "cache",
    "memory",
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
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w.-]+)*@[0-9a-f]{40}", step["uses"]) for step in uses)
    [setup] = [step for step in uses if step["uses"].startswith("actions/setup-python@")]
    assert str(setup["with"]["update-environment"]).lower() == "false"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"


def test_run_scripts_take_inputs_only_through_env():
    scripts = [step for step in STEPS if "run" in step]
    assert scripts
    for step in scripts:
        assert "${{" not in step["run"], step["name"]
        assert step["shell"] == "bash"
    # Inputs reach scripts through env:, and steps' conditions and the pinned actions' with: blocks.
    places = [
        *(value for step in scripts for value in step.get("env", {}).values()),
        *(step.get("if", "") for step in STEPS),
        *(value for step in STEPS for value in step.get("with", {}).values()),
    ]
    referenced = {m for value in places for m in re.findall(r"inputs\.([\w-]+)", str(value))}
    assert referenced == INPUTS
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
        "base": "",
        "head": "",
        "memory": "true",
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
    assert (tmp_path / "reviewkit-memory").is_dir()  # always there for the save step


def _expand(value: str, inputs: dict[str, str], *, venv_root: Path) -> str:
    """The few expressions the step's env uses, evaluated as the runner would."""
    value = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], value)
    value = value.replace("${{ runner.temp }}/reviewkit-venv", str(venv_root / "venv"))
    return value.replace("${{ runner.temp }}", str(venv_root))


def _step(name: str) -> dict:
    return next(step for step in STEPS if step.get("name") == name or step.get("id") == name)


def _run_step(step: dict, env: dict[str, str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    output = tmp_path / "github-output"
    output.write_text("")
    proc = subprocess.run(
        ["bash", "-c", step["run"]],
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    values = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc, values


def test_the_install_is_cached_under_a_key_of_the_actions_own_files(tmp_path: Path):
    action = tmp_path / "action"
    (action / "reviewkit").mkdir(parents=True)
    (action / "reviewkit" / "cli.py").write_text("print('v1')\n")
    (action / "pyproject.toml").write_text("[project]\nname = 'reviewkit'\n")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "planted").write_text("left by an earlier step")
    env = {
        "PYTHON": sys.executable,
        "ACTION_PATH": str(action),
        "VENV": str(venv),
        "PYTHON_VERSION": "3.12.7",
        "RUNNER_KIND": "Linux-X64",
    }

    def key() -> str:
        proc, values = _run_step(_step("key"), env, tmp_path)
        assert proc.returncode == 0, proc.stderr
        return values["key"]

    first = key()
    assert not venv.exists()  # nothing an earlier step left there is installed over or cached
    assert first.startswith("reviewkit-venv-Linux-X64-py3.12.7-")
    (action / ".venv" / "lib").mkdir(parents=True)
    (action / ".venv" / "lib" / "junk.py").write_text("x = 1\n")
    (action / "README.md").write_text("docs do not change the install\n")
    assert key() == first
    (action / "reviewkit" / "cli.py").write_text("print('v2')\n")
    assert key() != first


def test_the_cache_is_saved_right_after_installing_and_before_the_review():
    names = [step.get("id") or step.get("name") for step in STEPS]
    restore, install, save, review = (
        names.index("cache"),
        names.index("install"),
        next(i for i, step in enumerate(STEPS) if step.get("uses", "").startswith("actions/cache/save@")),
        names.index("review"),
    )
    assert restore < install < save < review
    cache_path = "${{ runner.temp }}/reviewkit-venv"
    for index in (restore, save):
        assert STEPS[index]["with"] == {"path": cache_path, "key": "${{ steps.key.outputs.key }}"}
    assert STEPS[restore]["if"] == "inputs.cache == 'true'"
    assert STEPS[save]["if"] == "inputs.cache == 'true' && steps.install.outputs.fresh == 'true'"
    assert _step("install")["env"]["VENV"] == _step("review")["env"]["VENV"] == cache_path


def _stub(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def test_a_cached_install_is_used_only_when_it_runs(tmp_path: Path):
    venv = tmp_path / "venv"
    calls = tmp_path / "calls"
    # A stand-in for setup-python's interpreter: it records what it is asked and makes a venv whose
    # python records pip's arguments, so the step's own logic runs without a network install.
    python = _stub(
        tmp_path / "python",
        f'echo "python $*" >> {calls}\nmkdir -p "$4/bin"\n'
        f'printf \'#!/bin/sh\\necho "venv-python $*" >> {calls}\\n\' > "$4/bin/python"\nchmod +x "$4/bin/python"\n',
    )
    env = {"PYTHON": str(python), "ACTION_PATH": "/action", "VENV": str(venv), "CACHE_HIT": "true"}
    _stub(venv / "bin" / "reviewkit", "echo reviewkit 0.1.0\n")

    proc, values = _run_step(_step("install"), env, tmp_path)

    assert proc.returncode == 0 and "using the cached install" in proc.stdout
    assert values == {} and not calls.exists()

    _stub(venv / "bin" / "reviewkit", "exit 1\n")  # restored, but broken (e.g. a moved Python)
    proc, values = _run_step(_step("install"), env, tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert values == {"fresh": "true"}
    assert calls.read_text().splitlines() == [
        f"python -m venv --clear {venv}",
        "venv-python -m pip install --quiet --disable-pip-version-check /action",
    ]


def test_pre_commit_hook_runs_an_offline_review_before_push():
    # tests/core/test_precommit.py runs both hooks through the real pre-commit on a real push and commit.
    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(hook for hook in hooks if hook["id"] == "reviewkit")
    assert hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["reviewkit", "review"] and "--offline" in hook["entry"]
    assert hook["pass_filenames"] is False and hook["stages"] == ["pre-push"]


def test_review_memory_is_keyed_by_the_pull_request_and_restored_and_saved_around_the_review(tmp_path: Path):
    names = [step.get("id") or step.get("name") for step in STEPS]
    key, restore, review = names.index("memory-key"), names.index("memory"), names.index("review")
    [save] = [
        i for i, step in enumerate(STEPS) if step.get("uses", "").startswith("actions/cache/save@") and i > review
    ]
    assert key < restore < review < save
    memory = "${{ runner.temp }}/reviewkit-memory"
    assert _step("review")["env"]["REVIEWKIT_MEMORY_DIR"] == memory
    assert STEPS[restore]["with"] == {
        "path": memory,
        "key": "${{ steps.memory-key.outputs.key }}",
        "restore-keys": "${{ steps.memory-key.outputs.prefix }}",
    }
    assert STEPS[save]["with"] == {"path": memory, "key": "${{ steps.memory-key.outputs.key }}"}
    # Saved after a blocking review too (the step fails then), never after a cancelled one.
    assert "!cancelled()" in STEPS[save]["if"] and "inputs.memory == 'true'" in STEPS[save]["if"]
    assert "inputs.memory == 'true'" in STEPS[restore]["if"]

    def keys(**env: str) -> dict[str, str]:
        base = {"PR_NUMBER": "", "REF_NAME": "main", "REPOSITORY_ID": "123", "RUN_ID": "9", "RUN_ATTEMPT": "1"}
        proc, values = _run_step(_step("memory-key"), {**base, **env}, tmp_path)
        assert proc.returncode == 0, proc.stderr
        return values

    pull = keys(PR_NUMBER="7")
    assert pull == {"prefix": "reviewkit-memory-v1-123-pr-7-", "key": "reviewkit-memory-v1-123-pr-7-9-1"}
    # A branch named "pr-7" (or "7") does not share the pull request's scope; each run saves a key of its own.
    branch = keys(REF_NAME="pr-7")
    assert branch["prefix"].startswith("reviewkit-memory-v1-123-ref-") and branch["prefix"] != pull["prefix"]
    assert keys(PR_NUMBER="7", RUN_ID="10")["key"] != pull["key"]
    # The install cache and review memory never share a key.
    assert not pull["prefix"].startswith("reviewkit-venv")
