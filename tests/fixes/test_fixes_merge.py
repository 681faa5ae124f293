"""The fix stage end to end: reviewers propose real patches, the merge, the test gate, the report."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import GitRepo, review_with
from fixers import APP, CHECK, Replacer, config, install_plugin, make_patch

from reviewkit.policy import Decision

EVAL_DOUBLE = 'eval(str(x) + " * 2")'
EVAL_HALF = 'eval(str(x) + " / 2")'


def _feature(repo: GitRepo, toml: str) -> None:
    repo.commit("app", **{"app.py": APP, "check.py": CHECK, ".agents__config.toml": toml})


def _assert_nothing_left(repo: GitRepo, tmp: Path) -> None:
    assert repo.git("worktree", "list").count("\n") == 0, repo.git("worktree", "list")
    assert not list(tmp.glob("reviewkit-ws-*"))
    assert str(tmp) not in Path("/proc/mounts").read_text()


def test_a_fix_that_passes_the_gate_is_merged_and_its_finding_fixed(feature_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    _feature(feature_repo, config())
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo)

    verdict = report.verdicts[0]
    assert [f.fixed for f in verdict.findings] == [True]
    assert verdict.status.value == "fixed" and verdict.fix.merged
    assert report.fixes.merged and report.fixes.tests is not None and report.fixes.tests.passed
    assert "checks passed" in report.fixes.tests.output_tail
    assert "+    return x * 2" in (report.fixes.patch or "")
    # The fix is merged in reviewkit's own commit, not in the reviewed revision: that still blocks.
    assert (report.decision, report.exit_code) == (Decision.NEW_REVIEW_ROUND, 1)
    assert "--apply" in report.reason
    assert (feature_repo.root / "app.py").read_text() == APP  # the checkout is never touched without --apply
    assert feature_repo.git("status", "--porcelain") == ""
    _assert_nothing_left(feature_repo, tmp_path)


def test_a_fix_that_breaks_the_tests_is_discarded(feature_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    _feature(feature_repo, config())
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 3")], feature_repo)

    verdict = report.verdicts[0]
    assert [f.fixed for f in verdict.findings] == [False]
    assert verdict.status.value == "blocking" and not verdict.fix.merged
    assert not report.fixes.merged
    tests = report.fixes.tests
    assert tests is not None and not tests.passed and tests.exit_code == 1
    assert "double(4) should be 8" in tests.output_tail
    assert "test gate failed" in report.fixes.note and "test gate failed" in verdict.summary
    assert (report.decision, report.exit_code) == (Decision.CONTINUE_DEVELOPMENT, 1)
    _assert_nothing_left(feature_repo, tmp_path)


def test_two_conflicting_fixes_the_later_one_is_dropped_and_stays_unfixed(feature_repo):
    _feature(feature_repo, config())
    report = review_with(
        [Replacer("alpha", EVAL_DOUBLE, "x * 2"), Replacer("beta", EVAL_DOUBLE, "2 * x")], feature_repo
    )

    alpha, beta = report.verdicts  # merged in the configured order: alpha first
    assert alpha.fix.merged and alpha.status.value == "fixed"
    assert not beta.fix.merged and beta.status.value == "blocking" and not beta.findings[0].fixed
    assert report.fixes.dropped == ("beta: conflicts with the fixes of alpha; dropped",)
    assert "conflicts with the fixes of alpha" in beta.summary
    assert "return x * 2" in report.fixes.patch and "2 * x" not in report.fixes.patch
    assert report.decision is Decision.CONTINUE_DEVELOPMENT


def test_fixes_to_different_lines_of_one_file_merge_three_way(feature_repo):
    _feature(feature_repo, config())
    report = review_with([Replacer("alpha", EVAL_DOUBLE, "x * 2"), Replacer("beta", EVAL_HALF, "x / 2")], feature_repo)

    assert report.fixes.merged and report.fixes.dropped == ()
    assert all(v.status.value == "fixed" for v in report.verdicts)
    assert "+    return x * 2" in report.fixes.patch and "+    return x / 2" in report.fixes.patch


def test_without_a_test_command_fixes_are_proposed_not_merged(feature_repo):
    _feature(feature_repo, config(test_command=None))
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo)

    assert not report.fixes.merged and report.fixes.tests is None
    assert "+    return x * 2" in report.fixes.patch
    assert "no test_command" in report.fixes.note
    assert report.verdicts[0].status.value == "blocking"
    assert report.decision is Decision.CONTINUE_DEVELOPMENT


def test_auto_merge_off_keeps_a_passing_fix_proposed(feature_repo):
    _feature(feature_repo, config(extra="[supervisor]\nauto_merge_fixes = false\n"))
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo)

    assert report.fixes.tests is not None and report.fixes.tests.passed
    assert not report.fixes.merged and "auto_merge_fixes is false" in report.fixes.note
    assert report.decision is Decision.CONTINUE_DEVELOPMENT


def test_the_gate_sees_no_secrets(feature_repo, monkeypatch):
    fake_key = "sk-ant-" + "api03-" + "FAKE0000"
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake_key)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "FAKE1111")
    monkeypatch.setenv("MY_SERVICE_PASSWORD", "hunter2-fake")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:pw-fake@db/app")  # the environment is an allow-list:
    monkeypatch.setenv("FOO_DSN", "dsn-fake")  # no name passes for not looking secret
    monkeypatch.setenv("LC_PAPER", "plain-value")
    show_env = f"{sys.executable} -c 'import os; print(sorted(os.environ.items()))'"
    _feature(feature_repo, config(test_command=show_env))
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo, offline=True)

    tail = report.fixes.tests.output_tail
    assert "plain-value" in tail
    for secret in (fake_key, "ghp_FAKE1111", "hunter2-fake", "pw-fake", "dsn-fake", "ANTHROPIC_API_KEY", "GITHUB_"):
        assert secret not in tail


def test_a_hanging_test_command_times_out_and_is_killed(feature_repo):
    _feature(
        feature_repo,
        config(test_command="sleep 60", extra="").replace("[code_review]\n", '[code_review]\ntest_timeout = "1s"\n'),
    )
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo)

    tests = report.fixes.tests
    assert tests is not None and not tests.passed and tests.exit_code is None
    assert "timed out after 1s" in tests.output_tail and tests.duration_s < 10
    assert not report.fixes.merged and report.decision is Decision.CONTINUE_DEVELOPMENT


def test_sequential_reviewers_see_earlier_fixes_in_their_workspace(feature_repo):
    _feature(feature_repo, config(parallel=False))
    first = Replacer("alpha", EVAL_DOUBLE, "x * 2", fix="workspace")
    second = Replacer("beta", EVAL_HALF, "x / 2", fix="workspace")
    report = review_with([first, second], feature_repo)

    assert "x * 2" in second.seen[0]["app"] and EVAL_DOUBLE in second.seen[0]["head"]
    assert report.fixes.merged and all(v.status.value == "fixed" for v in report.verdicts)
    assert {v.workspace.backend for v in report.verdicts} <= {"overlay", "worktree", "copy"}
    assert all(v.workspace.setup_s > 0 for v in report.verdicts)


def test_parallel_reviewers_edit_separate_workspaces_and_their_edits_merge(feature_repo):
    _feature(feature_repo, config())
    first = Replacer("alpha", EVAL_DOUBLE, "x * 2", fix="workspace")
    second = Replacer("beta", EVAL_HALF, "x / 2", fix="workspace")
    report = review_with([first, second], feature_repo)

    assert EVAL_DOUBLE in second.seen[0]["app"]  # in parallel, nobody sees another's edits
    assert report.fixes.merged and all(v.status.value == "fixed" for v in report.verdicts)
    assert "+    return x * 2" in report.fixes.patch and "+    return x / 2" in report.fixes.patch
    assert "x / 2" not in (report.verdicts[0].fix.patch or "")  # each verdict carries its own fix


def test_a_fix_touching_reviewkit_config_or_prompt_files_is_refused(feature_repo):
    agent = '[[review_agents]]\nname = "style"\nprompt_file = "prompts/style.md"\n'
    feature_repo.commit(
        "app",
        **{
            "app.py": APP,
            "check.py": CHECK,
            ".agents__config.toml": config(extra=agent),
            "prompts__style.md": "Review the style.\n",
        },
    )
    report = review_with(
        [
            _Editor("cfg", ".agents/config.toml"),
            _Editor("prompt", "prompts/style.md"),
            _Editor("hook", ".git/hooks/pre-commit"),
        ],
        feature_repo,
    )

    assert report.fixes.patch is None and not report.fixes.merged
    assert [d.split(":")[0] for d in report.fixes.dropped] == ["cfg", "prompt", "hook"]
    assert all("refused" in d and "read-only" in d for d in report.fixes.dropped), report.fixes.dropped


class _Editor(Replacer):
    """Proposes a change to one file it has no business changing."""

    def __init__(self, name: str, path: str) -> None:
        super().__init__(name, "unused")
        self.path = path

    def review(self, context):
        old = context.read(self.path) or ""
        context.propose_fix(make_patch(self.path, old, old + "# changed\n"))
        return []


def test_apply_writes_the_merged_fixes_to_the_working_tree(feature_repo, cli, monkeypatch, tmp_path):
    _feature(feature_repo, config())
    entry = install_plugin(tmp_path, monkeypatch, EVAL_DOUBLE, "x * 2")
    out = tmp_path / "report.json"
    result = cli(
        "review",
        "--base",
        "main",
        "--reviewer",
        "fixer",
        "--format",
        "json",
        "--output",
        str(out),
        cwd=feature_repo.root,
    )
    assert result.exit_code == 1, result.stderr  # the reviewed commit still holds the flaw
    assert (feature_repo.root / "app.py").read_text() == APP
    assert "+    return x * 2" in (out.read_text())

    result = cli("review", "--base", "main", "--reviewer", "fixer", "--apply", cwd=feature_repo.root)
    assert result.exit_code == 1, result.stderr  # written, not committed: the reviewed commit still blocks
    assert "fixes: merged" in result.stdout and "test gate passed" in result.stdout
    assert "return x * 2" in (feature_repo.root / "app.py").read_text()
    assert entry.exists()


def test_apply_onto_a_working_tree_that_moved_on_says_so_writes_nothing_and_keeps_the_report(
    feature_repo, cli, monkeypatch, tmp_path
):
    _feature(feature_repo, config())
    install_plugin(tmp_path, monkeypatch, EVAL_DOUBLE, "x * 2")
    edited = APP.replace(EVAL_DOUBLE, "x + x")
    (feature_repo.root / "app.py").write_text(edited)  # the user edited the same line meanwhile

    result = cli("review", "--base", "main", "--reviewer", "fixer", "--apply", cwd=feature_repo.root)
    assert result.exit_code == 1  # the review's own exit code: the reviewed revision still blocks
    assert "fixer" in result.stdout  # the report is printed, not discarded
    assert result.stderr.count("\n") == 1 and "--apply" in result.stderr and "nothing was written" in result.stderr
    assert (feature_repo.root / "app.py").read_text() == edited
