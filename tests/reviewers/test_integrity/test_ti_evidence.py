"""Block on evidence, note the rest (issue 11): each honest maintenance shape that blocked real history is a
note or nothing, each cheating shape still blocks, and the attacks on the new leniency (laundering a
dropped check through an unrelated removal, a version gate that always skips) still block. Real
repositories through the real pipeline."""

from __future__ import annotations

from conftest import GitRepo, review_with
from ti_eval import BLOCK_ENTRY_POINT

from reviewers.test_integrity import TestIntegrity
from reviewkit.report import Report

APP = """\
def area(width, height):
    return width * height


def perimeter(width, height):
    return 2 * (width + height)


def legacy_area(size):
    return size * size
"""
TESTS = """\
import sys

import pytest

from app.shapes import area, legacy_area, perimeter


def test_area():
    assert area(2, 3) == 6
    assert area(0, 5) == 0


def test_perimeter():
    assert perimeter(2, 3) == 10


def test_legacy_area():
    assert legacy_area(3) == 9
"""


def run(repo: GitRepo, **files: str) -> Report:
    repo.commit("base", **{"app/__init__.py": "", "app/shapes.py": APP, "tests/test_shapes.py": TESTS})
    repo.branch("feature")
    repo.commit("change", **files)
    return review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)


def outcome(report: Report) -> tuple[int, list[tuple[str, bool]]]:
    return report.exit_code, [(f.rule.split("/")[1], f.blocking) for v in report.verdicts for f in v.findings]


def test_a_test_removed_with_the_function_it_tested_is_a_note_naming_it(repo: GitRepo) -> None:
    report = run(
        repo,
        **{
            "app/shapes.py": APP.split("\n\n\ndef legacy_area")[0] + "\n",
            "tests/test_shapes.py": TESTS.split("\n\n\ndef test_legacy_area")[0].replace(", legacy_area", "") + "\n",
        },
    )
    assert outcome(report) == (0, [("test-deleted", False)])
    message = report.verdicts[0].findings[0].message
    assert "removes legacy_area from the production code" in message and "A note, not blocking" in message


def test_dropping_a_check_while_removing_an_unrelated_function_still_blocks(repo: GitRepo) -> None:
    report = run(
        repo,
        **{
            "app/shapes.py": APP.split("\n\n\ndef legacy_area")[0] + "\n",
            "tests/test_shapes.py": TESTS.replace("    assert area(0, 5) == 0\n", "").replace(
                "\n\n\ndef test_legacy_area():\n    assert legacy_area(3) == 9\n", "\n"
            ),
        },
    )
    assert ("assertion-removed", True) in outcome(report)[1] and report.exit_code == 1


def test_a_test_split_in_two_with_every_check_kept_is_quiet(repo: GitRepo) -> None:
    split = TESTS.replace(
        "def test_area():\n    assert area(2, 3) == 6\n    assert area(0, 5) == 0\n",
        "def test_area_rectangle():\n    result = area(2, 3)\n    assert result == 6\n\n\n"
        "def test_area_zero():\n    assert 0 == area(0, 5)\n",
    )
    assert outcome(run(repo, **{"tests/test_shapes.py": split})) == (0, [])


def test_a_split_that_loses_a_check_blocks(repo: GitRepo) -> None:
    split = TESTS.replace(
        "def test_area():\n    assert area(2, 3) == 6\n    assert area(0, 5) == 0\n",
        "def test_area_rectangle():\n    assert area(2, 3) == 6\n\n\ndef test_area_square():\n    assert area(2, 2)\n",
    )
    code, found = outcome(run(repo, **{"tests/test_shapes.py": split}))
    assert code == 1 and ("test-deleted", True) in found


def test_the_only_test_added_for_changed_code_that_cannot_fail_blocks(repo: GitRepo) -> None:
    report = run(
        repo,
        **{
            "app/shapes.py": APP.replace("2 * (width + height)", "2 * width + height"),
            "tests/test_shapes.py": TESTS + "\n\nclass TestGate:\n    def test_testing(self):\n        assert True\n",
        },
    )
    assert outcome(report) == (1, [("vacuous-test", True)])


def test_a_vacuous_test_beside_a_real_one_is_a_note(repo: GitRepo) -> None:
    extra = "\n\ndef test_smoke():\n    perimeter(1, 1)\n\n\ndef test_square():\n    assert perimeter(1, 1) == 4\n"
    report = run(
        repo,
        **{
            "app/shapes.py": APP.replace("2 * (width + height)", "2 * width + 2 * height"),
            "tests/test_shapes.py": TESTS + extra,
        },
    )
    assert outcome(report) == (0, [("vacuous-test", False)])


def test_a_version_gate_that_runs_here_is_a_note_and_one_that_always_skips_blocks(repo: GitRepo, tmp_path) -> None:
    runs = TESTS.replace(
        "def test_perimeter", '@pytest.mark.skipif(sys.version_info < (3, 9), reason="new")\ndef test_perimeter'
    )
    assert outcome(run(repo, **{"tests/test_shapes.py": runs})) == (0, [("test-skipped", False)])
    always = TESTS.replace(
        "def test_perimeter", '@pytest.mark.skipif(sys.version_info >= (3, 0), reason="x")\ndef test_perimeter'
    )
    assert outcome(run(GitRepo(tmp_path / "other"), **{"tests/test_shapes.py": always})) == (
        1,
        [("test-skipped", True)],
    )


def test_narrowed_discovery_in_testr_conf_blocks(repo: GitRepo) -> None:
    testr = "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t . . $LISTOPT\n"
    repo.commit(
        "base", **{"app/__init__.py": "", "app/shapes.py": APP, "tests/test_shapes.py": TESTS, ".testr.conf": testr}
    )
    repo.branch("feature")
    repo.commit("narrow", **{".testr.conf": testr.replace("-t . .", "-t . ./tests")})
    report = review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)
    assert outcome(report) == (1, [("collection-narrowed", True)])


def test_pytest_dropped_from_a_dependency_list_is_not_a_test_run_removed(repo: GitRepo) -> None:
    cfg = "[metadata]\nname = shapes\n\n[options.extras_require]\ntest =\n    pytest\n    coverage\n"
    repo.commit("base", **{"app/__init__.py": "", "app/shapes.py": APP, "setup.cfg": cfg})
    repo.branch("feature")
    repo.commit("deps", **{"setup.cfg": cfg.replace("    pytest\n", "")})
    assert outcome(review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)) == (0, [])


def _excluding(repo: GitRepo, path: str, before: str, after: str) -> tuple[int, list[tuple[str, bool]]]:
    files = {
        "app/__init__.py": "",
        "app/shapes.py": APP,
        "tests/test_shapes.py": TESTS,
        "docs_src/example.py": "x = 1\n",
    }
    repo.commit("base", **files, **{path: before})
    repo.branch("feature")
    repo.commit("exclude", **{path: after})
    return outcome(review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT))


def test_ignoring_a_directory_without_tests_is_a_note(repo: GitRepo) -> None:
    ini = '[tool.pytest.ini_options]\naddopts = "-ra"\n'
    after = ini.replace('"-ra"', '"-ra --ignore=docs_src"')
    assert _excluding(repo, "pyproject.toml", ini, after) == (0, [("collection-narrowed", False)])


def test_ignoring_a_test_file_however_spelled_blocks(repo: GitRepo, tmp_path) -> None:
    conftest = "import pytest\n"
    dotted = conftest + 'collect_ignore = ["./test_shapes.py"]\n'
    assert _excluding(repo, "tests/conftest.py", conftest, dotted) == (1, [("collection-narrowed", True)])
    computed = conftest + 'collect_ignore = [name for name in ["test_shapes.py"]]\n'
    other = GitRepo(tmp_path / "other")
    assert _excluding(other, "tests/conftest.py", conftest, computed) == (1, [("collection-narrowed", True)])


def test_a_version_flag_the_change_redefines_is_read_from_its_definition(repo: GitRepo) -> None:
    flagged = "from tests.compat import PY_3_10_PLUS\n" + TESTS.replace(
        "def test_perimeter", '@pytest.mark.skipif(not PY_3_10_PLUS, reason="3.10+")\ndef test_perimeter'
    )
    report = run(repo, **{"tests/compat.py": "PY_3_10_PLUS = False\n", "tests/test_shapes.py": flagged})
    assert outcome(report) == (1, [("test-skipped", True)])


def test_a_gate_for_older_pythons_the_project_supports_is_a_note_but_not_if_the_change_widens_them(
    repo: GitRepo, tmp_path
) -> None:
    pre310 = TESTS.replace(
        "def test_perimeter", '@pytest.mark.skipif(sys.version_info >= (3, 10), reason="old")\ndef test_perimeter'
    )
    supported = '[project]\nname = "shapes"\nrequires-python = ">=3.8"\n'
    files = {"app/__init__.py": "", "app/shapes.py": APP, "tests/test_shapes.py": TESTS}
    repo.commit("base", **files, **{"pyproject.toml": supported})
    repo.branch("feature")
    repo.commit("gate", **{"tests/test_shapes.py": pre310})
    report = review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)
    assert outcome(report) == (0, [("test-skipped", False)])
    # The same gate with the supported range widened by the change itself: judged on this Python alone.
    widened = run(GitRepo(tmp_path / "other"), **{"pyproject.toml": supported, "tests/test_shapes.py": pre310})
    assert outcome(widened) == (1, [("test-skipped", True)])


def test_a_check_moved_into_a_skipped_test_is_still_removed(repo: GitRepo) -> None:
    hidden = TESTS.replace("    assert area(0, 5) == 0\n", "").replace(
        "def test_perimeter",
        '@pytest.mark.skip(reason="later")\ndef test_area_zero():\n    assert area(0, 5) == 0\n\n\ndef test_perimeter',
    )
    code, found = outcome(run(repo, **{"tests/test_shapes.py": hidden}))
    assert code == 1 and ("assertion-removed", True) in found


def test_a_skipped_real_test_does_not_excuse_a_vacuous_one(repo: GitRepo) -> None:
    extra = (
        "\n\ndef test_gate():\n    assert True\n\n\n"
        '@pytest.mark.skip(reason="flaky")\ndef test_perimeter_unit():\n    assert perimeter(1, 1) == 4\n'
    )
    changed = APP.replace("2 * (width + height)", "2 * width + height")
    code, found = outcome(run(repo, **{"app/shapes.py": changed, "tests/test_shapes.py": TESTS + extra}))
    assert code == 1 and ("vacuous-test", True) in found


def test_a_check_moved_into_a_file_pytest_does_not_collect_is_still_removed(repo: GitRepo) -> None:
    moved = "from app.shapes import area\n\n\ndef test_area_zero():\n    assert area(0, 5) == 0\n"
    files = {"tests/test_shapes.py": TESTS.replace("    assert area(0, 5) == 0\n", ""), "tests/checks.py": moved}
    code, found = outcome(run(repo, **files))
    assert code == 1 and ("assertion-removed", True) in found
