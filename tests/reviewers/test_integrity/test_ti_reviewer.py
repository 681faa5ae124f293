"""test-integrity end to end: real repositories, the real pipeline, what a user sees in the report."""

from __future__ import annotations

import json

from conftest import GitRepo, review_with
from ti_eval import BLOCK_ENTRY_POINT

from reviewers.test_integrity import TestIntegrity
from reviewkit.report import Report

APP = "def area(width, height):\n    return width * height\n"
TESTS = """\
from app.geometry import area


def test_area_square():
    assert area(2, 2) == 4


def test_area_rectangle():
    assert area(2, 3) == 6
    assert area(3, 2) == 6


def test_area_zero():
    assert area(0, 5) == 0
"""


def run(repo: GitRepo) -> Report:
    return review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)


def project(repo: GitRepo, extra: dict[str, str] | None = None) -> GitRepo:
    repo.commit(
        "base", **{"app/geometry.py": APP, "app/__init__.py": "", "tests/test_geometry.py": TESTS, **(extra or {})}
    )
    repo.branch("feature")
    return repo


def change(repo: GitRepo, files: dict[str, str]) -> None:
    repo.commit("change", **files)


def test_a_deleted_test_blocks_the_merge_citing_the_base(repo: GitRepo) -> None:
    change(
        project(repo),
        {"tests/test_geometry.py": TESTS.replace("def test_area_zero():\n    assert area(0, 5) == 0\n", "")},
    )
    report = run(repo)
    (verdict,) = report.verdicts
    assert report.decision.value == "CONTINUE_DEVELOPMENT" and report.exit_code == 1
    assert verdict.status.value == "blocking"
    (finding,) = verdict.findings
    data = finding.to_dict()
    assert data["rule"] == "test-integrity/test-deleted" and data["side"] == "base"
    assert (data["path"], data["line"], data["evidence"]) == ("tests/test_geometry.py", 13, "def test_area_zero():")
    assert "test_area_zero (1 assertion(s)) is removed" in data["message"] and data["fixed"] is False


def test_a_weakened_assertion_cites_the_head_and_quotes_the_base(repo: GitRepo) -> None:
    change(project(repo), {"tests/test_geometry.py": TESTS.replace("assert area(2, 3) == 6", "assert area(2, 3) >= 1")})
    (finding,) = run(repo).verdicts[0].findings
    assert finding.rule == "test-integrity/assertion-weakened"
    assert (finding.line, finding.evidence) == (9, "assert area(2, 3) >= 1")
    assert "assert area(2, 3) == 6" in finding.message


def test_an_expectation_edited_with_the_code_is_a_note_with_both_values(repo: GitRepo) -> None:
    change(
        project(repo),
        {
            "app/geometry.py": APP.replace("width * height", "width * height - 1"),
            "tests/test_geometry.py": TESTS.replace("assert area(2, 2) == 4", "assert area(2, 2) == 3"),
        },
    )
    report = run(repo)
    (finding,) = report.verdicts[0].findings
    assert finding.rule == "test-integrity/expected-value-changed" and finding.severity.value == "low"
    assert "(4 -> 3)" in finding.message and "app/geometry.py" in finding.message
    assert finding.blocking is False and report.exit_code == 0 and report.verdicts[0].status.value == "warn"


def test_the_same_expectation_edit_without_a_code_change_is_quiet(repo: GitRepo) -> None:
    change(
        project(repo), {"tests/test_geometry.py": TESTS.replace("assert area(0, 5) == 0", "assert area(0, 5) == 0 * 5")}
    )
    assert run(repo).verdicts[0].findings == ()


def test_tests_moved_to_another_file_and_renamed_are_quiet(repo: GitRepo) -> None:
    project(repo)
    kept, moved = TESTS.split("\n\n\ndef test_area_rectangle")
    change(
        repo,
        {
            "tests/test_geometry.py": kept + "\n",
            "tests/test_rectangles.py": "from app.geometry import area\n\n\ndef test_rect_area"
            + moved.replace("assert area(3, 2) == 6", "assert area(3, 2) == 6\n    assert area(1, 1) == 1"),
        },
    )
    report = run(repo)
    assert report.verdicts[0].findings == () and report.exit_code == 0
    assert report.decision.value == "DEVELOPMENT_COMPLETE"


def test_production_code_returning_a_test_literal_is_found_through_the_repository(repo: GitRepo) -> None:
    # Only production code changes: the literals are found in the unchanged test file (git grep at head).
    change(
        project(repo),
        {
            "app/geometry.py": APP.replace(
                "    return width", "    if width == 2 and height == 3:\n        return 6\n    return width"
            )
        },
    )
    (finding,) = run(repo).verdicts[0].findings
    assert finding.rule == "test-integrity/test-special-case"
    assert finding.evidence == "if width == 2 and height == 3:" and "returns 6" in finding.message


def test_a_runner_check_in_production_code_is_critical(repo: GitRepo) -> None:
    change(
        project(repo),
        {
            "app/geometry.py": "import os\n\n\n"
            + APP.replace(
                "    return width", '    if "PYTEST_CURRENT_TEST" in os.environ:\n        return 4\n    return width'
            )
        },
    )
    (finding,) = run(repo).verdicts[0].findings
    assert finding.rule == "test-integrity/test-special-case" and finding.severity.value == "critical"


def test_ci_that_ignores_test_failures_is_found(repo: GitRepo) -> None:
    workflow = "jobs:\n  test:\n    steps:\n      - run: pytest -q\n"
    project(repo, {".github/workflows/ci.yml": workflow})
    change(repo, {".github/workflows/ci.yml": workflow.replace("pytest -q", "pytest -q || true")})
    (finding,) = run(repo).verdicts[0].findings
    assert (finding.rule, finding.path, finding.line) == (
        "test-integrity/ci-failure-ignored",
        ".github/workflows/ci.yml",
        4,
    )


def test_a_removed_doctest_warns_without_blocking(repo: GitRepo) -> None:
    documented = 'def area(width, height):\n    """\n    >>> area(2, 3)\n    6\n    """\n    return width * height\n'
    repo.commit("base", **{"app/geometry.py": documented})
    repo.branch("feature")
    change(repo, {"app/geometry.py": APP})
    report = run(repo)
    (finding,) = report.verdicts[0].findings
    assert finding.rule == "test-integrity/doctest-removed" and finding.severity.value == "low"
    assert report.verdicts[0].status.value == "warn" and report.exit_code == 0


def test_it_is_a_registered_built_in(cli, repo: GitRepo) -> None:
    project(repo)
    result = cli("reviewers", "--format", "json", cwd=repo.root)
    entry = next(r for r in json.loads(result.stdout) if r["name"] == "test-integrity")
    assert entry["builtin"] is True and entry["blocking"] is True and entry["trigger"] == "always"


def test_the_command_line_fails_a_skipped_test(cli, repo: GitRepo) -> None:
    change(
        project(repo),
        {
            "tests/test_geometry.py": TESTS.replace(
                "def test_area_zero", "import pytest\n\n\n@pytest.mark.skip\ndef test_area_zero"
            )
        },
    )
    result = cli(
        "review", "--base", "main", "--reviewer", "test-integrity", "--offline", "--format", "json", cwd=repo.root
    )
    assert result.exit_code == 1, result.stderr
    report = result.json()
    (finding,) = report["verdicts"][0]["findings"]
    assert finding["rule"] == "test-integrity/test-skipped" and finding["evidence"] == "@pytest.mark.skip"
    assert report["verdicts"][0]["fix"]["patch"].startswith("diff --git a/tests/test_geometry.py")


def test_code_that_only_names_runner_variables_is_not_a_runner_check(repo: GitRepo) -> None:
    # A linter listing the variables (this reviewer, say) does not branch on them.
    lint = (
        'RUNNER_VARIABLES = {"PYTEST_CURRENT_TEST", "_called_from_test"}\n\n\n'
        'def flags(node):\n    return node.attr == "_called_from_test"  # "pytest" in sys.modules\n'
    )
    change(project(repo), {"app/lint.py": lint})
    assert run(repo).verdicts[0].findings == ()
