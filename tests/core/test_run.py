"""A review run end to end: policy decisions and exit codes, the scheduler, reports and `merge`."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import GitRepo, assert_valid, review_with, run_reviewkit

from reviewkit import Finding, Reviewer, Skip
from reviewkit.pipeline import ReviewRequest, review
from reviewkit.policy import Decision, decide
from reviewkit.verdict import NotReviewed, Status, Verdict


class Flagger(Reviewer):
    """Flags added lines containing a marker; blocking and severity are set per instance."""

    def __init__(self, name: str, marker: str, *, blocking: bool, severity: str = "high") -> None:
        self.name = name  # type: ignore[misc]
        self.blocking = blocking  # type: ignore[misc]
        self.marker = marker
        self.severity = severity

    def review(self, context):
        for line in context.change.added_lines():
            if self.marker in line.text:
                yield Finding(
                    rule=f"{self.name}/marker",
                    severity=self.severity,
                    path=line.path,
                    line=line.number,
                    message=f"{self.marker} found",
                    evidence=line.text,
                )


class Sleeper(Reviewer):
    """Sleeps, then appends ``name start end`` to a log file (reviewers run in processes of their own)."""

    def __init__(self, name: str, seconds: float, log: Path) -> None:
        self.name = name  # type: ignore[misc]
        self.seconds = seconds
        self.log = log

    def review(self, context):
        start = time.monotonic()
        time.sleep(self.seconds)
        with self.log.open("a") as handle:
            handle.write(f"{self.name} {start} {time.monotonic()}\n")
        return []


def read_log(log: Path) -> list[tuple[str, float, float]]:
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(name, float(start), float(end)) for name, start, end in rows]


@pytest.fixture
def change_repo(feature_repo: GitRepo) -> GitRepo:
    feature_repo.config("[code_review]\nreviewers = []\n")
    feature_repo.commit("cfg")
    feature_repo.git("branch", "-f", "main", "HEAD")
    feature_repo.commit("work", **{"app.py": "x = eval(data)  # BLOCK\ny = 1  # WARN\n"})
    return feature_repo


def test_unfixable_blocking_finding_continues_development(change_repo: GitRepo) -> None:
    report = review_with(
        [Flagger("strict", "BLOCK", blocking=True), Flagger("soft", "WARN", blocking=False)], change_repo
    )
    statuses = {v.reviewer: v.status for v in report.verdicts}
    assert statuses == {"strict": Status.BLOCKING, "soft": Status.WARN}
    assert (report.decision, report.exit_code) == (Decision.CONTINUE_DEVELOPMENT, 1)


def test_warnings_only_is_development_complete(change_repo: GitRepo) -> None:
    report = review_with([Flagger("soft", "WARN", blocking=False)], change_repo)
    assert (report.decision, report.exit_code) == (Decision.DEVELOPMENT_COMPLETE, 0)
    assert report.verdicts[0].findings[0].evidence == "y = 1  # WARN"


def test_reviewer_blocks_method_decides_which_findings_block(change_repo: GitRepo) -> None:
    class OnlyCritical(Flagger):
        def blocks(self, finding):
            return finding.severity.rank >= 4

    report = review_with([OnlyCritical("sev", "BLOCK", blocking=True, severity="high")], change_repo)
    assert report.verdicts[0].status is Status.WARN and report.exit_code == 0


def test_config_can_make_a_reviewer_non_blocking(change_repo: GitRepo) -> None:
    change_repo.config("[code_review]\nreviewers = []\n[reviewer.strict]\nblocking = false\n")
    report = review_with([Flagger("strict", "BLOCK", blocking=True)], change_repo, head="HEAD")
    # The config is read from the working tree for local runs.
    assert report.verdicts[0].blocking is False and report.exit_code == 0


def test_skip_is_reported_with_its_reason(change_repo: GitRepo) -> None:
    class NothingToDo(Reviewer):
        name = "idle"

        def review(self, context):
            raise Skip("no Python files changed")

    report = review_with([NothingToDo()], change_repo)
    assert report.verdicts[0].status is Status.SKIPPED
    assert [(s.reviewer, s.reason) for s in report.skipped] == [("idle", "no Python files changed")]


def test_rule_ids_must_carry_the_reviewer_name(change_repo: GitRepo) -> None:
    class Impostor(Reviewer):
        name = "impostor"
        blocking = True

        def review(self, context):
            return [
                Finding(
                    rule="security/fake", severity="high", path="app.py", line=1, message="m", evidence="x = eval(data)"
                )
            ]

    report = review_with([Impostor()], change_repo)
    assert report.verdicts[0].status is Status.ERROR and report.exit_code == 3


def test_parallel_runs_at_most_max_concurrent(change_repo: GitRepo, tmp_path: Path) -> None:
    change_repo.config("[code_review]\nreviewers = []\n[delegation]\nmax_concurrent = 2\n")
    started = time.monotonic()
    review_with([Sleeper(f"s{i}", 0.3, tmp_path / "log") for i in range(4)], change_repo)
    elapsed = time.monotonic() - started
    log = read_log(tmp_path / "log")
    assert len(log) == 4
    overlaps = max(sum(1 for _, s, e in log if s <= t < e) for _, t, _ in log)
    assert overlaps == 2
    assert elapsed < 1.2 * 4 * 0.3  # parallel, not sequential


def test_sequential_mode_runs_in_order_one_at_a_time(change_repo: GitRepo, tmp_path: Path) -> None:
    change_repo.config("[code_review]\nreviewers = []\nparallel = false\n")
    log_file = tmp_path / "log"
    review_with([Sleeper(name, 0.05, log_file) for name in "abc"], change_repo)
    log = read_log(log_file)
    assert [name for name, _, _ in log] == ["a", "b", "c"]
    assert all(log[i][2] <= log[i + 1][1] for i in range(2))


def test_whole_run_deadline_turns_late_reviewers_into_errors(change_repo: GitRepo, tmp_path: Path) -> None:
    change_repo.config(
        '[code_review]\nreviewers = []\n[supervisor]\nmax_session_duration = "0.5s"\n[delegation]\nmax_concurrent = 1\n'
    )
    log = tmp_path / "log"
    started = time.monotonic()
    report = review_with([Sleeper("slow", 5, log), Sleeper("next", 0.01, log)], change_repo)
    assert time.monotonic() - started < 3
    errors = {v.reviewer: v.error for v in report.verdicts}
    assert "timed out" in errors["slow"]
    assert "not started" in errors["next"]
    # Non-blocking reviewers' errors are logged, not blocking (their findings could only have warned).
    assert report.decision is Decision.DEVELOPMENT_COMPLETE
    # The same with a blocking reviewer fails closed.
    blocking = Sleeper("blocking-slow", 5, log)
    blocking.blocking = True  # type: ignore[misc]
    report = review_with([blocking], change_repo)
    assert (report.decision, report.exit_code) == (Decision.NOTIFY_MANAGEMENT, 3)


class Backtracker(Reviewer):
    """Stuck in C code that never yields the interpreter lock: a catastrophically backtracking regex."""

    name = "backtracker"
    blocking = True

    def review(self, context):
        re.search(r"^(a+)+$", "a" * 40 + "!")  # minutes to hours in the regex engine, GIL held throughout
        return []


def test_a_reviewer_that_never_yields_is_stopped_at_its_deadline(change_repo: GitRepo) -> None:
    change_repo.config('[code_review]\nreviewers = []\n[delegation]\nreviewer_timeout = "1s"\n')
    started = time.monotonic()
    report = review_with([Backtracker(), Flagger("strict", "BLOCK", blocking=True)], change_repo)
    assert time.monotonic() - started < 10
    verdicts = {v.reviewer: v for v in report.verdicts}
    assert verdicts["backtracker"].status is Status.ERROR and "timed out" in (verdicts["backtracker"].error or "")
    assert verdicts["strict"].status is Status.BLOCKING  # the other reviewer's result is kept
    assert (report.decision, report.exit_code) == (Decision.NOTIFY_MANAGEMENT, 3)


def test_policy_table() -> None:
    def verdict(status: Status, blocking: bool = True) -> Verdict:
        return Verdict(reviewer=f"r-{status}", status=status, blocking=blocking)

    assert decide([verdict(Status.PASS), verdict(Status.WARN, False)]).decision is Decision.DEVELOPMENT_COMPLETE
    new_round = decide([verdict(Status.FIXED)], fixes_changed_code=True)
    assert (new_round.decision, new_round.exit_code) == (Decision.NEW_REVIEW_ROUND, 1)
    assert decide([verdict(Status.BLOCKING)]).exit_code == 1
    assert decide([verdict(Status.BLOCKING)], persisted_every_round=True).decision is Decision.STOP_DEVELOPMENT
    assert decide([verdict(Status.BLOCKING)], fixes_keep_failing=True).decision is Decision.STOP_DEVELOPMENT
    assert decide([verdict(Status.BLOCKING), verdict(Status.ERROR)]).exit_code == 3
    assert decide([verdict(Status.ERROR, blocking=False)]).exit_code == 0
    # A later round is clean, but the reviewed revision had a blocking finding (fixed only by reviewkit).
    blocking = Finding(rule="r/x", severity="high", path="a.py", line=1, message="m", evidence="e", blocking=True)
    first = replace(verdict(Status.FIXED), findings=(blocking.with_fixed(),))
    later = decide([verdict(Status.PASS)], revision=[first])
    assert (later.decision, later.exit_code) == (Decision.DEVELOPMENT_COMPLETE, 1)
    # A blocking reviewer that could not analyse a file is incomplete, whatever else it found.
    unread = replace(verdict(Status.WARN), not_reviewed=(NotReviewed(path="a.py", reason="syntax"),))
    assert decide([unread]).exit_code == 3


def test_head_is_read_from_git_not_the_working_tree(change_repo: GitRepo) -> None:
    (change_repo.root / "app.py").write_text("overwritten on disk\n")
    report = review_with([Flagger("strict", "BLOCK", blocking=True)], change_repo)
    assert report.verdicts[0].findings[0].evidence == "x = eval(data)  # BLOCK"


def test_inline_and_config_suppressions(change_repo: GitRepo) -> None:
    change_repo.commit(
        "more", **{"lib.py": "a = 1  # BLOCK  # noqa: reviewkit\nb = 2  # BLOCK\n", "tests__t.py": "c = 3  # BLOCK\n"}
    )
    change_repo.config('[code_review]\nreviewers = []\n[[suppress]]\nrule = "strict/*"\npaths = ["tests/**"]\n')
    report = review_with([Flagger("strict", "BLOCK", blocking=True)], change_repo)
    flagged = sorted((f.path, f.line) for f in report.verdicts[0].findings)
    assert flagged == [("app.py", 1), ("lib.py", 2)]


def test_review_finished_observer_sees_the_report(change_repo: GitRepo) -> None:
    from reviewkit import hookimpl

    seen = []

    class Observer:
        @hookimpl
        def review_finished(self, context, report):
            seen.append((context.change.paths, report.decision))

        @hookimpl
        def register_reviewers(self, register):
            register(Flagger("strict", "BLOCK", blocking=True))

    review(ReviewRequest(repo=change_repo.root, base="main", reviewers=("strict",), plugins=(Observer(),)))
    assert seen == [(("app.py",), Decision.CONTINUE_DEVELOPMENT)]


# --- the command line -----------------------------------------------------------------------------------


def test_json_report_validates_and_lists_files_as_numstat(change_repo: GitRepo, cli) -> None:
    result = cli("review", "--format", "json", cwd=change_repo.root)
    report = result.json()
    assert_valid("report", report)
    assert report["files"] == [
        {"path": "app.py", "old_path": None, "status": "added", "added": 2, "deleted": 0, "binary": False}
    ]
    assert report["base"] == change_repo.git("rev-parse", "main")
    assert report["head"] == change_repo.git("rev-parse", "HEAD")


def test_text_report_without_colour_when_piped(change_repo: GitRepo) -> None:
    result = run_reviewkit("review", cwd=change_repo.root)
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout
    assert "DEVELOPMENT_COMPLETE (exit 0)" in result.stdout
    assert result.stderr == ""  # progress is hidden when stderr is not a terminal


def test_review_a_patch_without_a_repository(change_repo: GitRepo, tmp_path: Path) -> None:
    patch = change_repo.git("diff", "main", "HEAD") + "\n"
    outside = tmp_path / "nowhere"
    outside.mkdir()
    result = run_reviewkit("review", "--diff", "-", "--format", "json", "--offline", cwd=outside, stdin=patch.encode())
    report = result.json()
    assert_valid("report", report)
    assert report["base"] is None and report["files"][0]["path"] == "app.py"
    # The default reviewers work on the patch alone: security quotes the eval() the patch adds.
    security = next(v for v in report["verdicts"] if v["reviewer"] == "security")
    assert [(f["path"], f["line"]) for f in security["findings"] if "eval" in f["evidence"]] == [("app.py", 1)]
    assert "goal-adherence" in {s["reviewer"] for s in report["skipped"]}
    assert (report["decision"], result.exit_code) == ("CONTINUE_DEVELOPMENT", 1)


def test_usage_errors_are_one_line_exit_2(change_repo: GitRepo, cli, tmp_path: Path) -> None:
    cases = [
        (("review", "--format", "yaml"), "--format yaml: unknown format"),
        (("review", "--base", "no-such-rev"), "unknown revision 'no-such-rev'"),
        (("review", "--rounds", "0"), "must be 1 or more"),
        (("review", "--diff", str(tmp_path / "x.patch")), "cannot read diff"),
        (("review", "--reviewer", "nobody"), "--reviewer nobody: unknown reviewer"),
        (("review", "--goal", "@" + str(tmp_path / "goal.md")), "cannot read"),
        (("review", "--diff", "-", "--base", "main"), "cannot be combined"),
        (("review", "-p", "yes:x"), "only '-p no:NAME'"),
        (("review", "--output", str(tmp_path / "no" / "dir.json")), "does not exist"),
    ]
    for args, message in cases:
        result = cli(*args, cwd=change_repo.root)
        assert result.exit_code == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, lines)
        assert result.stdout == ""


def test_outside_a_repository_without_diff(tmp_path: Path, cli) -> None:
    result = cli("review", cwd=tmp_path)
    assert result.exit_code == 2 and "not inside a git repository" in result.stderr


def test_no_base_found_says_how_to_fix(repo: GitRepo, cli) -> None:
    repo.commit("only", **{"a.py": "a = 1\n"})
    repo.git("branch", "-m", "main", "work")
    result = cli("review", cwd=repo.root)
    assert result.exit_code == 2 and "pass --base REV" in result.stderr


def test_output_file_written_whole_and_exit_code_kept(change_repo: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run_reviewkit("review", "--format", "json", "--output", str(out), cwd=change_repo.root)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["decision"] == "DEVELOPMENT_COMPLETE"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_merge_applies_policy_to_sharded_verdicts(change_repo: GitRepo, tmp_path: Path) -> None:
    blocking = Verdict(
        reviewer="a",
        status=Status.BLOCKING,
        blocking=True,
        findings=(Finding(rule="a/x", severity="high", path="app.py", line=1, message="m", evidence="x = eval(data)"),),
    )
    ok = Verdict(reviewer="b", status=Status.PASS, blocking=True)
    (tmp_path / "a.json").write_text(json.dumps(blocking.to_dict()))
    (tmp_path / "b.json").write_text(json.dumps([ok.to_dict()]))
    result = run_reviewkit("merge", "a.json", "b.json", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 1
    merged = result.json()
    assert_valid("report", merged)
    assert merged["decision"] == "CONTINUE_DEVELOPMENT"
    assert [v["reviewer"] for v in merged["verdicts"]] == ["a", "b"]


def test_merge_of_report_files_from_separate_runs(change_repo: GitRepo, tmp_path: Path) -> None:
    for name in ("one", "two"):
        cfg = tmp_path / f"{name}.toml"
        cfg.write_text(f'[[review_agents]]\nname = "{name}"\nprompt_file = "p.md"\n[code_review]\nreviewers = []\n')
    change_repo.write("p.md", "prompt\n")
    for name in ("one", "two"):
        run = run_reviewkit(
            "review",
            "--config",
            str(tmp_path / f"{name}.toml"),
            "--format",
            "json",
            "--output",
            str(tmp_path / f"{name}.json"),
            cwd=change_repo.root,
        )
        assert run.exit_code == 0, run.stderr
    merged = run_reviewkit("merge", "one.json", "two.json", "--format", "json", cwd=tmp_path).json()
    assert {s["reviewer"] for s in merged["skipped"]} == {"one", "two"}
    assert merged["head"] == change_repo.git("rev-parse", "HEAD")


def test_merge_rejects_invalid_verdict_files(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"reviewer": "a", "status": "great"}')
    (tmp_path / "broken.json").write_text("{not json")
    bad = run_reviewkit("merge", "bad.json", cwd=tmp_path)
    assert bad.exit_code == 2 and "bad.json: not a valid verdict" in bad.stderr
    broken = run_reviewkit("merge", "broken.json", cwd=tmp_path)
    assert broken.exit_code == 2 and "broken.json: line 1: not JSON" in broken.stderr


def test_init_writes_config_and_prompt_then_refuses_to_overwrite(repo: GitRepo, cli) -> None:
    first = cli("init", cwd=repo.root)
    assert first.exit_code == 0
    assert (repo.root / ".agents/config.toml").is_file()
    assert (repo.root / ".agents/reviewers/example.md").is_file()
    from reviewkit.config import load_config

    config = load_config(repo.root)
    assert config.review_agents[0].name == "example"
    assert len(config.reviewers) == 9  # every built-in, so a new user sees what exists
    assert cli("review", "--offline", "--diff", "/dev/null", cwd=repo.root).exit_code != 2  # all registered
    again = cli("init", cwd=repo.root)
    assert again.exit_code == 2 and "already exists; pass --force" in again.stderr


def test_version_and_python_m(tmp_path: Path) -> None:
    result = run_reviewkit("--version", cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout.startswith("reviewkit ")


def test_concurrent_reviewers_share_snapshots_safely(change_repo: GitRepo) -> None:
    class Reader(Reviewer):
        def __init__(self, name: str) -> None:
            self.name = name  # type: ignore[misc]

        def review(self, context):
            for _ in range(50):
                assert context.head.read_text("app.py") is not None
                assert context.base.read_text("app.py") is None
            return []

    change_repo.config("[code_review]\nreviewers = []\n[delegation]\nmax_concurrent = 8\n")
    report = review_with([Reader(f"r{i}") for i in range(8)], change_repo)
    assert all(v.status is Status.PASS for v in report.verdicts), [v.error for v in report.verdicts]
    assert threading.active_count() < 50
