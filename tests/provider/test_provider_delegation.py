"""Bounded fixers end to end: a model fixer delegates writing a test to a sub-agent, within
``[delegation] max_depth`` and the token budget; past either, the whole fix is abandoned and undone."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo, assert_valid
from fake_anthropic import FakeAnthropic, Recorded, Reply, answer, fake_api_fixture, finding  # noqa: F401

BAD = "import json\n\n\ndef load(text):\n    return eval(text)\n"
FIX = (
    "str_replace_based_edit_tool",
    {
        "command": "str_replace",
        "path": "app.py",
        "old_str": "    return eval(text)",
        "new_str": "    return json.loads(text)",
    },
)
NEW_TEST = (
    "str_replace_based_edit_tool",
    {"command": "create", "path": "test_load.py", "file_text": "from app import load\nassert load('[1]') == [1]\n"},
)
DELEGATE = ("delegate", {"task": "Write a test of load() in test_load.py."})


def build(repo: GitRepo, *, delegation: str = "", options: str = "") -> None:
    repo.write(".agents/reviewers/safety.md", "# safety\n\nFlag eval() on input.\n")
    repo.config(
        '[code_review]\nreviewers = []\ntest_command = "python check.py"\n\n'
        + delegation
        + '\n[[review_agents]]\nname = "safety"\nblocking = true\nprompt_file = ".agents/reviewers/safety.md"\n'
        + options
    )
    repo.commit("base", **{"README.md": "# app\n", "check.py": "import app\n"})
    repo.branch("feature")
    repo.commit("feature", **{"app.py": BAD})


def agent_script(*, sub_agent_delegates: bool = False, sub_agent_turns: int = 1) -> Any:
    """The fake model as reviewer, fixer and sub-agent, told apart by their first message."""

    def respond(request: Recorded) -> Reply:
        first = request.body["messages"][0]["content"]
        first = first if isinstance(first, str) else "".join(b.get("text", "") for b in first)
        turns = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
        if "Findings to fix" not in first and "sub-agent" not in first:
            return answer(finding("app.py", 5, "return eval(text)", rule="eval", message="eval() runs any code."))
        if "sub-agent" in first:
            if sub_agent_delegates and turns == 0:
                return Reply(tool_uses=[DELEGATE], stop_reason="tool_use")
            if turns < sub_agent_turns:
                return Reply(tool_uses=[NEW_TEST], stop_reason="tool_use")
            return Reply(text="wrote test_load.py")
        if turns == 0:
            return Reply(tool_uses=[FIX], stop_reason="tool_use")
        if turns == 1:
            return Reply(tool_uses=[DELEGATE], stop_reason="tool_use")
        return Reply(text="eval: fixed with json.loads, and a test was added")

    return respond


def review(cli: Any, repo: GitRepo) -> tuple[int, dict[str, Any]]:
    result = cli("review", "--base", "main", "--format", "json", cwd=repo.root)
    data = result.json()
    assert_valid("report", data)
    return result.exit_code, data


def tools_offered(fake_api: FakeAnthropic, *, agent: str = "") -> list[set[str]]:
    """The tools of each tool-using request (of the fixer or a sub-agent, when ``agent`` says which)."""
    return [
        {t["name"] for t in r.body.get("tools", [])}
        for r in fake_api.messages()
        if r.body.get("tools") and agent in r.user_text
    ]


def test_a_fixer_delegates_a_test_to_a_sub_agent_and_the_delegation_is_in_the_usage(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    build(repo)
    fake_api.responder = agent_script()
    code, report = review(cli, repo)
    (verdict,) = report["verdicts"]
    assert verdict["fix"]["merged"] is True and verdict["status"] == "fixed", verdict
    assert "test_load.py" in report["fixes"]["patch"] and "json.loads" in report["fixes"]["patch"]
    (delegation,) = verdict["usage"]["delegations"]
    assert delegation["depth"] == 1 and delegation["task"] == DELEGATE[1]["task"]
    assert delegation["outcome"].startswith("done") and delegation["input_tokens"] > 0
    assert verdict["usage"]["input_tokens"] >= delegation["input_tokens"]  # counted in the totals too
    # The fixer is offered delegate (depth 0 < 1); its sub-agent is not (depth 1 = max_depth).
    fixer, sub_agent = tools_offered(fake_api, agent="Findings to fix"), tools_offered(fake_api, agent="sub-agent")
    assert len(fixer) == 3 and all("delegate" in tools for tools in fixer)
    assert sub_agent and all("delegate" not in tools and "str_replace_based_edit_tool" in tools for tools in sub_agent)
    assert code == 1  # the reviewed revision still holds the eval(): the fix must be taken and committed


def test_a_delegation_past_max_depth_abandons_the_whole_fix(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    build(repo)
    fake_api.responder = agent_script(sub_agent_delegates=True)  # a tool it was not offered
    code, report = review(cli, repo)
    (verdict,) = report["verdicts"]
    assert "max_depth = 1" in verdict["fix"]["error"]
    assert verdict["fix"]["patch"] is None and report["fixes"]["patch"] is None  # the fixer's own edit is gone too
    assert verdict["findings"][0]["fixed"] is False and verdict["status"] == "blocking"
    (delegation,) = verdict["usage"]["delegations"]
    assert delegation["outcome"].startswith("aborted")
    assert "abandoned" in verdict["summary"]
    assert (report["decision"], code) == ("CONTINUE_DEVELOPMENT", 1)


def test_a_sub_agent_past_the_token_budget_abandons_the_fix(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    # Enough for the review and the fixer's first turns, not for a sub-agent that keeps working.
    build(repo, options="[reviewer.safety.options]\ntoken_budget = 40000\n")
    fake_api.responder = agent_script(sub_agent_turns=50)
    code, report = review(cli, repo)
    (verdict,) = report["verdicts"]
    assert "token budget" in verdict["fix"]["error"]
    assert report["fixes"]["patch"] is None
    assert verdict["usage"]["delegations"][0]["outcome"].startswith("failed: token budget exceeded")
    assert code == 1


def test_max_depth_zero_offers_no_delegation(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    build(repo, delegation="[delegation]\nmax_depth = 0\n")
    fake_api.responder = agent_script()  # the fixer calls delegate anyway
    _code, report = review(cli, repo)
    (verdict,) = report["verdicts"]
    assert all("delegate" not in tools for tools in tools_offered(fake_api))
    assert "max_depth = 0" in verdict["fix"]["error"]


def test_a_bad_max_depth_is_a_configuration_error(repo: GitRepo, cli: Any) -> None:
    build(repo, delegation="[delegation]\nmax_depth = -1\n")
    result = cli("review", "--base", "main", "--offline", cwd=repo.root)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "delegation.max_depth" in result.stderr
