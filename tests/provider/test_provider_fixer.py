"""Model-backed fixing end to end: a markdown reviewer's finding is fixed by the model through the
text-editor tool in its workspace, merged after the test gate, and `--apply` writes it."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo, assert_valid
from fake_anthropic import FakeAnthropic, Recorded, Reply, answer, fake_api_fixture, finding  # noqa: F401

BAD = "import json\n\n\ndef load(text):\n    return eval(text)\n"
CHECK = "from app import load\nassert load('[1, 2]') == [1, 2]\n"
EDIT = (
    "str_replace_based_edit_tool",
    {
        "command": "str_replace",
        "path": "app.py",
        "old_str": "    return eval(text)",
        "new_str": "    return json.loads(text)",
    },
)


def build(repo: GitRepo, *, test_command: str = "python check.py", options: str = "") -> None:
    repo.write(".agents/reviewers/safety.md", "# safety\n\nFlag eval() on input.\n")
    repo.config(
        f'[code_review]\nreviewers = []\ntest_command = "{test_command}"\n\n'
        '[[review_agents]]\nname = "safety"\nblocking = true\nprompt_file = ".agents/reviewers/safety.md"\n' + options
    )
    repo.commit("base", **{"README.md": "# app\n", "check.py": CHECK})
    repo.branch("feature")
    repo.commit("feature", **{"app.py": BAD})


def fixer_script(request: Recorded) -> Reply:
    if not request.body.get("tools"):
        return answer(finding("app.py", 5, "return eval(text)", rule="eval", message="eval() runs any code."))
    turns = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
    if turns == 0:
        return Reply(
            tool_uses=[("str_replace_based_edit_tool", {"command": "view", "path": "app.py"})], stop_reason="tool_use"
        )
    if turns == 1:
        return Reply(tool_uses=[EDIT], stop_reason="tool_use")
    if turns == 2 and any(t["name"] == "run_tests" for t in request.body["tools"]):
        return Reply(tool_uses=[("run_tests", {})], stop_reason="tool_use")
    return Reply(text="eval: fixed with json.loads")


def test_model_fix_is_merged_after_the_gate_and_applied(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    build(repo)
    fake_api.responder = fixer_script
    result = cli("review", "--base", "main", "--apply", "--format", "json", cwd=repo.root)
    report = result.json()
    assert_valid("report", report)
    (verdict,) = report["verdicts"]
    assert verdict["status"] == "fixed", verdict
    assert verdict["findings"][0]["fixed"] is True and verdict["fix"]["merged"] is True
    assert verdict["workspace"]["backend"] in ("overlay", "worktree", "copy")
    assert report["fixes"]["tests"]["passed"] is True
    assert "json.loads(text)" in report["fixes"]["patch"]
    assert (repo.root / "app.py").read_text().endswith("return json.loads(text)\n")
    assert result.exit_code == 1  # applied to the working tree, not committed: the reviewed commit blocks
    tool_results = [
        m
        for r in fake_api.messages()
        for m in r.body["messages"]
        if m["role"] == "user" and isinstance(m["content"], list)
    ]
    assert any("tests passed" in str(m["content"]) for m in tool_results)


def test_a_model_fix_that_breaks_the_tests_is_not_merged(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    build(repo)
    broken = (
        "str_replace_based_edit_tool",
        {"command": "str_replace", "path": "app.py", "old_str": "    return eval(text)", "new_str": "    return None"},
    )

    def script(request: Recorded) -> Reply:
        if not request.body.get("tools"):
            return answer(finding("app.py", 5, "return eval(text)", rule="eval", message="eval() runs any code."))
        if not any(m["role"] == "assistant" for m in request.body["messages"]):
            return Reply(tool_uses=[broken], stop_reason="tool_use")
        return Reply(text="done")

    fake_api.responder = script
    result = cli("review", "--base", "main", "--apply", "--format", "json", cwd=repo.root)
    report = result.json()
    (verdict,) = report["verdicts"]
    assert verdict["status"] == "blocking" and verdict["findings"][0]["fixed"] is False
    assert report["fixes"]["merged"] is False and report["fixes"]["tests"]["passed"] is False
    assert (repo.root / "app.py").read_text() == BAD
    assert result.exit_code == 1


def test_fixing_can_be_turned_off_per_reviewer(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    build(repo, options="\n[reviewer.safety.options]\nfix = false\n")
    fake_api.responder = fixer_script
    result = cli("review", "--base", "main", "--format", "json", cwd=repo.root)
    assert result.json()["verdicts"][0]["status"] == "blocking"
    assert all(not r.body.get("tools") for r in fake_api.messages())


def test_without_a_test_gate_no_fix_is_attempted_unless_asked(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    build(repo, test_command="")
    repo.config((repo.root / ".agents/config.toml").read_text().replace('test_command = ""\n', ""))
    fake_api.responder = fixer_script
    quiet = cli("review", "--base", "main", "--format", "json", cwd=repo.root).json()
    assert quiet["verdicts"][0]["status"] == "blocking"
    assert len(fake_api.messages()) == 1
    repo.config((repo.root / ".agents/config.toml").read_text() + "\n[reviewer.safety.options]\nfix = true\n")
    asked = cli("review", "--base", "main", "--format", "json", cwd=repo.root).json()
    (verdict,) = asked["verdicts"]
    assert verdict["fix"]["merged"] is False and "json.loads(text)" in verdict["fix"]["patch"]
    assert verdict["findings"][0]["fixed"] is False and verdict["status"] == "blocking"
