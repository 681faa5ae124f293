"""Rounds and decisions end to end: every row of DESIGN.md's policy table reached by a real run."""

from __future__ import annotations

from conftest import GitRepo, review_with
from fixers import APP, CHECK, Replacer, config, make_patch

from reviewkit import hookimpl
from reviewkit.pipeline import ReviewRequest, review
from reviewkit.policy import Decision
from reviewkit.reporters.text import TextReporter

EVAL_DOUBLE = 'eval(str(x) + " * 2")'


def _feature(repo: GitRepo, toml: str = "") -> None:
    repo.commit("app", **{"app.py": APP, "check.py": CHECK, ".agents__config.toml": toml or config()})


def _decisions(report) -> list[str]:
    return [r.decision.value for r in report.rounds or ()]


def test_one_round_with_merged_fixes_asks_for_a_new_round_and_exits_0(feature_repo):
    _feature(feature_repo)
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo)
    assert (report.decision, report.exit_code, report.rounds) == (Decision.NEW_REVIEW_ROUND, 1, None)


def test_rounds_re_review_the_merged_result_until_development_is_complete(feature_repo):
    _feature(feature_repo)
    fixer = Replacer("fixer", EVAL_DOUBLE, "x * 2")
    report = review_with([fixer], feature_repo, rounds=3)

    assert _decisions(report) == ["NEW_REVIEW_ROUND", "DEVELOPMENT_COMPLETE"]
    # The decision describes the fixed code; the exit code the reviewed revision, which still has the flaw.
    assert (report.decision, report.exit_code) == (Decision.DEVELOPMENT_COMPLETE, 1)
    assert "take them" in report.reason
    assert "x * 2" in fixer.seen[1]["head"]  # round 2 reviewed the merged fixes, not the original head
    assert report.verdicts[0].findings == () and report.rounds[0].verdicts[0].findings[0].fixed
    assert report.fixes.merged and "+    return x * 2" in report.fixes.patch
    assert report.to_dict()["rounds"][0]["decision"] == "NEW_REVIEW_ROUND"
    text = TextReporter().render(report)
    assert "rounds: NEW_REVIEW_ROUND -> DEVELOPMENT_COMPLETE" in text
    assert "round 1: fixed fixer/" in text and "app.py:2 (fixer)" in text


def test_an_unfixable_blocking_finding_continues_development(feature_repo):
    _feature(feature_repo)
    report = review_with([Replacer("flagger", "def half", fix=None)], feature_repo, rounds=3)
    assert (report.decision, report.exit_code) == (Decision.CONTINUE_DEVELOPMENT, 1)
    assert len(report.rounds) == 1  # nothing could change: another round would see the same code


def test_a_blocking_finding_that_survives_every_round_stops_development(feature_repo):
    _feature(feature_repo)
    report = review_with(
        [Replacer("fixer", EVAL_DOUBLE, "x * 2"), Replacer("flagger", "def half", fix=None)], feature_repo, rounds=3
    )

    assert _decisions(report) == ["CONTINUE_DEVELOPMENT", "STOP_DEVELOPMENT"]
    assert (report.decision, report.exit_code) == (Decision.STOP_DEVELOPMENT, 1)
    assert "survived every round" in report.reason


def test_fixes_that_keep_failing_the_gate_stop_development(feature_repo):
    _feature(feature_repo)
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 3")], feature_repo, rounds=2)

    assert _decisions(report) == ["CONTINUE_DEVELOPMENT", "STOP_DEVELOPMENT"]
    assert "fixes keep failing the test gate" in report.reason
    assert not report.fixes.merged and not report.fixes.tests.passed


def test_a_blocking_reviewer_error_in_a_later_round_notifies_management(feature_repo):
    _feature(feature_repo)
    crasher = Replacer("crasher", "no such text", fail_when="return x * 2")
    report = review_with([Replacer("fixer", EVAL_DOUBLE, "x * 2"), crasher], feature_repo, rounds=3)

    assert _decisions(report) == ["NEW_REVIEW_ROUND", "NOTIFY_MANAGEMENT"]
    assert (report.decision, report.exit_code) == (Decision.NOTIFY_MANAGEMENT, 3)
    assert report.verdicts[1].status.value == "error"


def test_a_diff_run_in_a_repository_gets_the_fix_stage(feature_repo, tmp_path):
    _feature(feature_repo)
    patch = tmp_path / "change.patch"
    patch.write_text(feature_repo.git("diff", "main", "HEAD") + "\n")
    feature_repo.git("checkout", "-q", "main")  # the patch applies onto HEAD: made into commits, reviewed
    feature_repo.config(config())  # local runs read the configuration from the working tree
    report = review_with(
        [Replacer("fixer", EVAL_DOUBLE, "x * 2")], feature_repo, base=None, head=None, diff_file=str(patch)
    )
    assert report.fixes.merged and "+    return x * 2" in (report.fixes.patch or "")
    assert report.exit_code == 1  # the patch itself still holds the flaw


def test_a_diff_run_without_a_repository_only_proposes_fixes_and_says_so(feature_repo, tmp_path):
    _feature(feature_repo)
    patch = tmp_path / "change.patch"
    patch.write_text(make_patch("app.py", "", APP).replace("--- a/app.py", "--- /dev/null"))
    outside = tmp_path / "outside"
    outside.mkdir()

    class Plugin:
        @hookimpl
        def register_reviewers(self, register):
            register(Replacer("fixer", EVAL_DOUBLE, "x * 2"))

    report = review(ReviewRequest(repo=outside, diff_file=str(patch), reviewers=("fixer",), plugins=(Plugin(),)))
    assert not report.fixes.merged and "+    return x * 2" in (report.fixes.patch or "")
    assert "proposed only" in report.fixes.note and "--diff" in report.fixes.note
    assert report.verdicts[0].status.value == "blocking"
