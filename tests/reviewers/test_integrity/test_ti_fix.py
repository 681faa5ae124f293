"""The fix: a patch restoring the base version of each weakened or deleted test. It must apply with
``git apply`` to the reviewed head, and the restored head must review clean. Findings stay unfixed:
whether the restored tests pass is the test gate's decision."""

from __future__ import annotations

import pytest
from conftest import GitRepo, review_with
from ti_corpus import CASES
from ti_eval import BLOCK_ENTRY_POINT, commit_case
from ti_holdout import HOLDOUT

from reviewers.test_integrity import TestIntegrity
from reviewkit.report import Report

RESTORABLE = [
    "durations-skip-marker",
    "durations-early-return",
    "money-test-deleted",
    "money-class-removed",
    "money-try-except",
    "slug-test-file-deleted",
    "slug-test-renamed-away",
    "stats-rel-widened",
    "stats-is-not-none",
    "loader-case-removed",
    "loader-unit-mocked",
    "stock-assert-equal-to-true",
    "stock-test-deleted",
    "stock-regex-dropped",
    "durations-cases-removed",
    "go-skip",
    "go-deleted",
    "go-file-deleted",
    "js-file-deleted",
    "pytestmark-skip",
    "stock-class-skip",
    "module-skip",
    "ho-renamed-to-bak",
]
BY_ID = {case.id: case for case in CASES + HOLDOUT}


def run(repo: GitRepo) -> Report:
    return review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)


@pytest.mark.parametrize("case_id", RESTORABLE)
def test_the_patch_applies_and_the_restored_tests_review_clean(case_id: str, repo: GitRepo) -> None:
    commit_case(BY_ID[case_id], repo)
    (verdict,) = run(repo).verdicts
    assert verdict.status.value == "blocking" and all(not f.fixed for f in verdict.findings)
    patch = verdict.fix.patch
    assert patch and verdict.fix.merged is False
    repo.git("apply", "--check", input=patch.encode())
    repo.git("apply", input=patch.encode())
    repo.commit("restore the base tests")
    again = run(repo)  # often base..head is now empty: "nothing to review" runs no reviewer
    assert again.exit_code == 0 and all(v.findings == () and v.status.value == "pass" for v in again.verdicts)


def test_findings_without_a_test_to_restore_propose_no_patch(repo: GitRepo) -> None:
    commit_case(BY_ID["ci-continue-on-error"], repo)
    (verdict,) = run(repo).verdicts
    assert verdict.status.value == "blocking" and verdict.fix.patch is None


def test_a_file_without_a_final_newline_and_crlf_lines_is_restored(repo: GitRepo) -> None:
    base = "def test_one():\r\n    assert 1 + 1 == 2\r\n\r\n\r\ndef test_two():\r\n    assert 2 * 2 == 4"
    repo.commit("base", **{"tests/test_crlf.py": base})
    repo.branch("feature")
    repo.commit("weaken", **{"tests/test_crlf.py": base.replace("assert 2 * 2 == 4", "assert 2 * 2")})
    (verdict,) = run(repo).verdicts
    assert [f.rule for f in verdict.findings] == ["test-integrity/assertion-weakened"]
    repo.git("apply", input=verdict.fix.patch.encode())
    assert (repo.root / "tests/test_crlf.py").read_bytes() == base.encode()
