"""Execution as evidence (issue 11, item 4): with a test command configured, the base version of each
deleted or weakened test runs against the head's code in the reviewer's workspace. Real repositories,
the real command, the project's own pytest or unittest run in the sandboxed test runner."""

from __future__ import annotations

import shlex
import sys
from typing import Any

from conftest import GitRepo, assert_valid

PYTHON = shlex.quote(sys.executable)
APP = "def area(width, height):\n    return width * height\n"
TESTS = """\
from app.geometry import area


def test_area_square():
    assert area(2, 2) == 4


def test_area_rectangle():
    assert area(2, 3) == 6


def test_area_zero():
    assert area(0, 5) == 0
"""
DROP_ZERO = TESTS.replace("\n\ndef test_area_zero():\n    assert area(0, 5) == 0\n", "")
BROKEN_APP = APP.replace("return width * height", "return width * height or 1")


def project(repo: GitRepo, command: str = f"{PYTHON} -m pytest -q", **extra: str) -> GitRepo:
    config = f"[code_review]\ntest_command = {command!r}\ntest_timeout = 60\n".replace("'", '"')
    files = {"app/__init__.py": "", "app/geometry.py": APP, "tests/test_geometry.py": TESTS, **extra}
    repo.commit("base", **files, **{".agents/config.toml": config})
    repo.branch("feature")
    return repo


def review(cli: Any, repo: GitRepo, *flags: str) -> tuple[int, dict[str, Any]]:
    result = cli(
        "review",
        "--base",
        "main",
        "--reviewer",
        "test-integrity",
        "--offline",
        "--format",
        "json",
        *flags,
        cwd=repo.root,
    )
    assert result.exit_code in (0, 1, 3), result.stderr
    report = result.json()
    assert_valid("report", report)
    return result.exit_code, report


def test_a_deleted_test_that_fails_on_the_new_code_blocks_with_the_failure_quoted(cli, repo) -> None:
    project(repo).commit("break zero", **{"app/geometry.py": BROKEN_APP, "tests/test_geometry.py": DROP_ZERO})
    code, report = review(cli, repo)
    (finding,) = report["verdicts"][0]["findings"]
    assert code == 1 and finding["rule"] == "test-integrity/test-deleted" and finding["blocking"] is True
    assert "the base version of the test fails on the head's code" in finding["message"]
    assert "FAILED tests/test_geometry.py::test_area_zero" in finding["message"]
    run = finding["evidence_run"]
    assert run["exit_code"] == 1 and "tests/test_geometry.py::test_area_zero" in run["command"]
    assert "test_area_square" not in run["command"]  # only the affected test ran
    assert "assert 1 == 0" in run["output_tail"]


def test_a_deleted_test_that_still_passes_is_a_note(cli, repo) -> None:
    project(repo).commit("drop a redundant test", **{"tests/test_geometry.py": DROP_ZERO})
    code, report = review(cli, repo)
    (verdict,) = report["verdicts"]
    (finding,) = verdict["findings"]
    assert code == 0 and verdict["status"] == "warn" and finding["blocking"] is False
    assert finding["severity"] == "low" and "still passes on the head's code" in finding["message"]
    assert finding["evidence_run"]["exit_code"] == 0
    assert report["fixes"]["patch"] is None  # the run left nothing in the workspace, and notes restore nothing


def test_in_an_untrusted_review_a_passing_run_does_not_lift_the_block(cli, repo) -> None:
    project(repo).commit("drop a test", **{"tests/test_geometry.py": DROP_ZERO})
    code, report = review(cli, repo, "--untrusted")
    (finding,) = report["verdicts"][0]["findings"]
    assert code == 1 and finding["blocking"] is True and finding["evidence_run"]["exit_code"] == 0
    assert "does not lift a block" in finding["message"]


def test_a_weakened_unittest_test_runs_by_its_unittest_id(cli, repo) -> None:
    unit = (
        "import unittest\n\nfrom app.geometry import area\n\n\nclass AreaTest(unittest.TestCase):\n"
        "    def test_zero(self):\n        self.assertEqual(area(0, 5), 0)\n"
    )
    project(
        repo, f"{PYTHON} -m unittest discover -s tests -t .", **{"tests/__init__.py": "", "tests/test_unit.py": unit}
    )
    repo.commit(
        "weaken",
        **{
            "app/geometry.py": BROKEN_APP,
            "tests/test_unit.py": unit.replace("assertEqual(area(0, 5), 0)", "assertTrue(area(0, 5))"),
        },
    )
    code, report = review(cli, repo)
    findings = [f for f in report["verdicts"][0]["findings"] if f["path"] == "tests/test_unit.py"]
    (finding,) = findings
    assert code == 1 and finding["rule"] == "test-integrity/assertion-weakened"
    assert "tests.test_unit.AreaTest.test_zero" in finding["evidence_run"]["command"]
    assert "FAIL" in finding["message"]


def test_a_test_command_that_cannot_select_tests_leaves_the_static_judgement(cli, repo) -> None:
    project(repo, "make test", **{"Makefile": "test:\n\tpytest -q\n"}).commit(
        "drop", **{"tests/test_geometry.py": DROP_ZERO}
    )
    code, report = review(cli, repo)
    (verdict,) = report["verdicts"]
    assert code == 1 and verdict["findings"][0]["blocking"] is True and "evidence_run" not in verdict["findings"][0]
    assert "neither pytest nor unittest" in verdict["summary"]


def test_base_tests_that_cannot_run_leave_the_static_judgement(cli, repo) -> None:
    needs = TESTS.replace(
        "from app.geometry import area\n", "from app.geometry import area\nimport not_installed_anywhere\n"
    )
    project(repo, **{"tests/test_geometry.py": needs}).commit(
        "drop",
        **{"tests/test_geometry.py": needs.replace("\n\ndef test_area_zero():\n    assert area(0, 5) == 0\n", "")},
    )
    code, report = review(cli, repo)
    (verdict,) = report["verdicts"]
    assert code == 1 and verdict["findings"][0]["blocking"] is True
    assert "did not run cleanly" in verdict["summary"]
