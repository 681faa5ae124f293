"""Review memory with model reviewers, end to end through the real command and the fake Messages API:
a second push re-reviews only what changed, billed a fraction of the first review; a rebase keeps what
still matches; what the model asked to see is a dependency; memory that cannot be trusted is ignored."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import memory_scenario as scenario
from conftest import GitRepo, assert_valid
from fake_anthropic import FakeAnthropic, fake_api_fixture  # noqa: F401 - fixture

from reviewkit.git import git_text


def pull_request(repo: GitRepo) -> None:
    repo.commit("base", **{".agents__config.toml": scenario.config(), **_flat(scenario.prompts())})
    repo.branch("feature")
    repo.commit("twenty files", **_flat(scenario.all_files()))


def _flat(files: dict[str, str]) -> dict[str, str]:
    return {name.replace("/", "__"): text for name, text in files.items()}


def review(cli: Any, repo: GitRepo, *args: str) -> dict[str, Any]:
    result = cli("review", "--base", "main", "--format", "json", *args, cwd=repo.root)
    data = result.json()
    assert_valid("report", data)
    assert result.exit_code == data["exit_code"]
    return data


def memory_folder(repo: GitRepo) -> Path:
    return (
        Path(git_text(repo.root, ["rev-parse", "--path-format=absolute", "--git-common-dir"])) / "reviewkit" / "memory"
    )


def test_a_second_push_reviews_only_the_changed_file_for_a_tenth_of_the_tokens(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    first = review(cli, repo)
    first_requests = len(fake_api.messages())
    assert first_requests == 2  # one per reviewer, the whole diff in the shared prefix
    flagged = {scenario.path(i) for i in scenario.FLAGGED}
    assert {path for _, path, _ in scenario.eval_findings(first)} == flagged
    assert first["exit_code"] == 1

    changed = scenario.path(12)
    repo.commit("second push", **{changed.replace("/", "__"): scenario.source(12, version=2, flagged=True)})
    second = review(cli, repo)

    requests = fake_api.messages()[first_requests:]
    assert len(requests) == 2
    for request in requests:
        shown = scenario.shown_files(request.system_text)
        assert list(shown) == [changed]  # only the file that changed is in the prompt
        assert "show_change" in json.dumps(request.body["tools"])
        assert scenario.path(3) in request.user_text  # the rest of the change is listed, on request
    ratio = scenario.billed(second) / scenario.billed(first)
    assert ratio <= 0.10, ratio
    # The untouched files' findings carried over with their evidence; the changed file's is new.
    expected = scenario.eval_findings(first) | {(r, changed, line) for r, _, line in scenario.eval_findings(first)}
    expected = {(r, p, line) for r, p, line in expected if p != changed} | {
        (r, changed, _eval_line(repo, changed)) for r in scenario.REVIEWERS
    }
    assert scenario.eval_findings(second) == expected
    for verdict in second["verdicts"]:
        assert verdict["memory"] == {"reused": 19, "reviewed": 1}
        assert "19 of 20 file(s) reused from review memory" in verdict["summary"]
        carried = [f for f in verdict["findings"] if f["path"] != changed]
        assert carried and all("carried over from the review of" in " ".join(f["notes"]) for f in carried)


def _eval_line(repo: GitRepo, path: str) -> int:
    lines = (repo.root / path).read_text().splitlines()
    return next(number for number, text in enumerate(lines, 1) if "eval(" in text)


def test_nothing_changed_means_no_model_call_and_the_same_decision(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    first = review(cli, repo)
    calls = len(fake_api.messages())
    # A force-push of the same content under a new commit id: nothing to review again.
    repo.git("commit", "-q", "--amend", "-m", "reworded")
    again = review(cli, repo)
    assert len(fake_api.messages()) == calls
    assert scenario.eval_findings(again) == scenario.eval_findings(first)
    assert (again["decision"], again["exit_code"]) == (first["decision"], first["exit_code"])
    assert again["usage"]["input_tokens"] == 0


def test_a_rebase_onto_a_new_base_re_reviews_what_the_base_changed_under(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    review(cli, repo)
    calls = len(fake_api.messages())
    # main moves on: one of the pull request's files gets a base version of its own; then rebase.
    repo.git("checkout", "-q", "main")
    repo.commit("main moves", **{scenario.path(5).replace("/", "__"): "# an older module\n", "NEWS__md": "news\n"})
    repo.git("checkout", "-q", "feature")
    repo.git("rebase", "-q", "-X", "theirs", "main")  # the pull request keeps its version of the file
    rebased = review(cli, repo)
    requests = fake_api.messages()[calls:]
    assert {name for r in requests for name in scenario.shown_files(r.system_text)} == {scenario.path(5)}
    assert all(v["memory"] == {"reused": 19, "reviewed": 1} for v in rebased["verdicts"])
    assert {p for _, p, _ in scenario.eval_findings(rebased)} == {scenario.path(i) for i in scenario.FLAGGED}


def test_a_file_the_model_asked_to_see_is_a_dependency_of_what_it_found(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    review(cli, repo)
    asked = scenario.path(3)
    fake_api.responder = scenario.responder(consult=lambda request: [asked])
    repo.commit("touch 12", **{scenario.path(12).replace("/", "__"): scenario.source(12, version=2)})
    review(cli, repo)
    answers = [
        block
        for r in fake_api.messages()
        for m in r.body["messages"][1:]
        if isinstance(m["content"], list)
        for block in m["content"]
        if block.get("type") == "tool_result"
    ]
    assert answers and all(f"=== {asked} (added) ===" in b["content"] for b in answers)
    calls = len(fake_api.messages())
    # Now the file it consulted changes: what it found about handlers_12 may no longer hold either.
    fake_api.responder = scenario.responder()
    repo.commit("touch 3", **{asked.replace("/", "__"): scenario.source(3, version=2)})
    third = review(cli, repo)
    requests = fake_api.messages()[calls:]
    assert {n for r in requests for n in scenario.shown_files(r.system_text)} == {asked, scenario.path(12)}
    assert all(v["memory"] == {"reused": 18, "reviewed": 2} for v in third["verdicts"])


def test_tampered_and_foreign_entries_are_ignored_and_said_so(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    first = review(cli, repo)
    entries = sorted((memory_folder(repo) / "entries").glob("*/*.json"))
    assert len(entries) == 2 * scenario.FILES
    # Silence a flagged file's entry (a poisoned cache) and swap two others (entries of other files).
    flagged = next(e for e in entries if json.loads(e.read_text())["findings"])
    data = json.loads(flagged.read_text())
    data["findings"] = []
    flagged.write_text(json.dumps(data))
    clean = [e for e in entries if e != flagged and not json.loads(e.read_text())["findings"]]
    a, b, c = clean[0], clean[1], clean[2]
    a_text, b_text = a.read_text(), b.read_text()
    a.write_text(b_text)
    b.write_text(a_text)
    c.write_bytes(b"\x00 not json")  # a cache file cut short or garbled
    calls = len(fake_api.messages())
    again = review(cli, repo)
    assert scenario.eval_findings(again) == scenario.eval_findings(first)  # the poisoned entry changed nothing
    assert len(fake_api.messages()) > calls
    said = [re.search(r"(\d+) review memory entr\(ies\) ignored", v["summary"]) for v in again["verdicts"]]
    assert sum(int(m.group(1)) for m in said if m) == 4


def test_an_entry_signed_with_another_key_is_foreign(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    review(cli, repo)
    (memory_folder(repo).parent / "memory.key").write_bytes(b"k" * 32)  # someone else's memory
    calls = len(fake_api.messages())
    again = review(cli, repo)
    assert len(fake_api.messages()) == calls + 2
    assert all(v["memory"] == {"reused": 0, "reviewed": 20} for v in again["verdicts"])


def test_cache_clear_forgets_everything(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    review(cli, repo)
    info = cli("cache", "info", cwd=repo.root)
    assert info.exit_code == 0 and "40 entries" in info.stdout
    cleared = cli("cache", "clear", cwd=repo.root)
    assert cleared.exit_code == 0 and "removed 40" in cleared.stdout
    assert not memory_folder(repo).exists()
    calls = len(fake_api.messages())
    again = review(cli, repo)
    assert len(fake_api.messages()) == calls + 2
    assert all(v["memory"]["reused"] == 0 for v in again["verdicts"])


def test_no_memory_flag_and_config_turn_it_off(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    review(cli, repo)
    calls = len(fake_api.messages())
    off = review(cli, repo, "--no-memory")
    assert len(fake_api.messages()) == calls + 2 and all("memory" not in v for v in off["verdicts"])
    repo.commit("config", **{".agents__config.toml": scenario.config() + "[memory]\nenabled = false\n"})
    review(cli, repo)
    assert len(fake_api.messages()) == calls + 4


def test_goal_adherence_is_reused_only_for_the_same_whole_change(
    feature_repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    feature_repo.config('[code_review]\nreviewers = ["goal-adherence"]\n')
    feature_repo.commit("a", a__py="x = 1\n", b__py="y = 2\n")
    fake_api.responder = lambda request: scenario.answer(summary="on goal")
    args = ("review", "--base", "main", "--goal", "add x and y", "--format", "json")
    cli(*args, cwd=feature_repo.root)
    cli(*args, cwd=feature_repo.root)
    assert len(fake_api.messages()) == 1
    feature_repo.commit("b", b__py="y = 3\n")
    verdict = cli(*args, cwd=feature_repo.root).json()["verdicts"][0]
    assert len(fake_api.messages()) == 2
    assert verdict["memory"] == {"reused": 0, "reviewed": 3}  # a.py, b.py and the configuration
    other_goal = cli("review", "--base", "main", "--goal", "add z", "--format", "json", cwd=feature_repo.root)
    assert other_goal.exit_code == 0 and len(fake_api.messages()) == 3


def test_learnings_reach_the_model_in_its_cached_instructions_and_renew_its_memory(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    first = review(cli, repo)
    calls = len(fake_api.messages())
    evidence = "return eval(request.args['expr'])"
    learning = (
        f'[[learning]]\nrule = "bugs/eval"\ncode = "{evidence}"\npaths = ["/service/handlers_03.py"]\n'
        'reason = "a sandboxed calculator: expr is parsed before"\n'
    )
    repo.write(".agents/learnings.toml", learning)  # a trusted local run reads it from the working tree
    again = review(cli, repo)
    requests = fake_api.messages()[calls:]
    assert len(requests) == 2  # the learnings are new instructions: nothing is reused
    for request in requests:
        cached = request.body["system"][-1]
        assert "cache_control" in cached and "a sandboxed calculator" in cached["text"]
        assert cached["text"].index("learnings") < cached["text"].index("The change:")
    silenced = scenario.eval_findings(first) - scenario.eval_findings(again)
    assert silenced == {("bugs", scenario.path(3), _eval_line(repo, scenario.path(3)))}


def test_a_run_whose_reviewers_do_not_opt_in_leaves_no_memory(feature_repo: GitRepo, cli: Any) -> None:
    feature_repo.commit("x", app__py="x = 1\n")
    result = cli("review", "--base", "main", "--offline", cwd=feature_repo.root)
    assert result.exit_code == 0
    assert not memory_folder(feature_repo).parent.exists()  # no key, no folder, no git call for it


def test_entries_unused_for_a_month_are_pruned(repo: GitRepo, fake_api: FakeAnthropic, cli: Any) -> None:
    pull_request(repo)
    fake_api.responder = scenario.responder()
    review(cli, repo)
    folder = memory_folder(repo)
    changed = scenario.path(12)
    entries = [e for e in sorted((folder / "entries").glob("*/*.json")) if json.loads(e.read_text())["path"] != changed]
    month_ago = time.time() - 31 * 86_400
    for entry in entries[:5]:
        os.utime(entry, (month_ago, month_ago))
    (folder / ".pruned").unlink()  # pruning runs at most once a day
    repo.commit("touch", **{changed.replace("/", "__"): scenario.source(12, version=2)})
    second = review(cli, repo)
    # 2 x 19 unchanged file reviews, less the 5 forgotten ones.
    assert sum(v["memory"]["reused"] for v in second["verdicts"]) == 38 - 5
