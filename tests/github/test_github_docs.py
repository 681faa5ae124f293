"""docs/github-action.md: every workflow in it parses, pins its actions, and uses only real inputs."""

from __future__ import annotations

import re

import yaml
from conftest import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "github-action.md").read_text(encoding="utf-8")
WORKFLOWS = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", DOC, re.S)]
ACTION_INPUTS = set(yaml.safe_load((PROJECT_ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"])


def _steps() -> list[dict]:
    return [step for flow in WORKFLOWS for job in flow["jobs"].values() for step in job["steps"]]


def test_every_workflow_parses_and_asks_for_minimal_permissions():
    assert len(WORKFLOWS) >= 4  # the complete workflow, merge queue, sharding, manual runs
    for flow in WORKFLOWS:
        events = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads a bare `on` as True
        assert "pull_request_target" not in events
        assert flow["permissions"] == {}
        for job in flow["jobs"].values():
            assert set(job.get("permissions", {}).values()) <= {"read", "write"}


def test_every_action_is_pinned_by_a_full_commit_id_with_its_version_named():
    lines = [line.strip() for line in DOC.splitlines() if line.strip().startswith(("uses:", "- uses:"))]
    assert lines
    for line in lines:
        if "reviewkit/reviewkit@" in line:
            assert line.endswith("reviewkit/reviewkit@REVIEWKIT_COMMIT"), line
            continue
        assert re.search(r"@[0-9a-f]{40}  # v\d+\.\d+\.\d+$", line), line


def test_checkouts_keep_no_credentials_and_scripts_take_no_expressions():
    steps = _steps()
    checkouts = [step for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(step["with"]["persist-credentials"] is False for step in checkouts)
    assert all("${{" not in step["run"] for step in steps if "run" in step)


def test_the_workflows_use_only_the_actions_real_inputs():
    used = {key for step in _steps() if "reviewkit/reviewkit@" in step.get("uses", "") for key in step.get("with", {})}
    assert used and used <= ACTION_INPUTS
    table = DOC[DOC.index("### Inputs and outputs") : DOC.index("Outputs: ")]
    documented = set(re.findall(r"^\| `([\w-]+)`(?:, `([\w-]+)`)? \|", table, re.M))
    assert {name for pair in documented for name in pair if name} == ACTION_INPUTS
