"""Bad input and unusual layouts: files that do not parse, binary files, tests next to the code,
unittest and nose-style classes, huge parametrize tables, and a patch reviewed without a repository.
Each is handled with a note or a finding, never a crash."""

from __future__ import annotations

import time

from conftest import GitRepo, review_with
from ti_eval import BLOCK_ENTRY_POINT

from reviewers.test_integrity import TestIntegrity, analyse
from reviewers.test_integrity.pairs import FilePair
from reviewkit.report import Report

GOOD = "def test_sum():\n    assert sum([1, 2]) == 3\n    assert sum([]) == 0\n"


def run(repo: GitRepo) -> Report:
    return review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)


def change(repo: GitRepo, base: dict[str, str | bytes], head: dict[str, str | bytes]) -> Report:
    repo.commit("base", **base)
    repo.branch("feature")
    repo.commit("head", **head)
    return run(repo)


def test_a_head_that_does_not_parse_where_the_change_touches_it_is_not_reviewed(repo: GitRepo) -> None:
    report = change(repo, {"tests/test_sum.py": GOOD}, {"tests/test_sum.py": GOOD + "def test_broken(:\n"})
    (verdict,) = report.verdicts
    assert verdict.status.value == "error" and report.exit_code == 3
    (unread,) = verdict.not_reviewed
    assert unread.path == "tests/test_sum.py" and "the head does not parse" in unread.reason
    assert "(line 4)" in unread.reason


def test_a_base_that_did_not_parse_where_the_change_touches_it_is_not_reviewed(repo: GitRepo) -> None:
    report = change(repo, {"tests/test_sum.py": "def test_(:\n"}, {"tests/test_sum.py": GOOD})
    (verdict,) = report.verdicts
    assert report.exit_code == 3 and "the base does not parse" in verdict.not_reviewed[0].reason


def test_an_unreadable_statement_the_change_did_not_touch_is_only_noted(repo: GitRepo) -> None:
    newer = "type Number = int\n\n\n" + GOOD
    report = change(repo, {"tests/test_sum.py": newer}, {"tests/test_sum.py": newer + "    assert sum([2]) == 2\n"})
    (verdict,) = report.verdicts
    assert verdict.status.value == "pass" and report.exit_code == 0 and verdict.not_reviewed == ()
    assert "statements the change did not touch do not parse" in verdict.summary


def test_binary_and_undecodable_files_do_not_crash(repo: GitRepo) -> None:
    report = change(
        repo,
        {"tests/data.bin": b"\x00\x01\x02", "tests/test_latin.py": b"# caf\xe9\n" + GOOD.encode()},
        {"tests/data.bin": b"\x00\xff", "tests/test_latin.py": b"# caf\xe9!\n" + GOOD.encode()},
    )
    assert report.verdicts[0].status.value == "pass"


def test_tests_next_to_the_code_are_tests(repo: GitRepo) -> None:
    weaker = GOOD.replace("    assert sum([]) == 0\n", "")
    report = change(repo, {"pkg/test_util.py": GOOD}, {"pkg/test_util.py": weaker})
    assert [f.rule for f in report.verdicts[0].findings] == ["test-integrity/assertion-removed"]


def test_nose_style_and_unittest_classes_are_compared(repo: GitRepo) -> None:
    nose = (
        "class TestParser(object):\n    def setup(self):\n        self.items = [1, 2]\n\n"
        "    def test_len(self):\n        assert len(self.items) == 2\n"
    )
    unit = (
        "import unittest\n\n\nclass Checks(unittest.TestCase):\n    def testUpper(self):\n"
        "        self.assertEqual('a'.upper(), 'A')\n"
    )
    report = change(
        repo,
        {"tests/test_nose.py": nose, "tests/checks.py": unit},
        {
            "tests/test_nose.py": nose.replace("== 2", "> 0"),
            "tests/checks.py": unit.replace("assertEqual('a'.upper(), 'A')", "assertTrue('a'.upper())"),
        },
    )
    found = sorted((f.path, f.rule) for f in report.verdicts[0].findings)
    assert found == [
        ("tests/checks.py", "test-integrity/assertion-weakened"),
        ("tests/test_nose.py", "test-integrity/assertion-weakened"),
    ]


def test_a_huge_parametrize_table_is_compared_by_count(repo: GitRepo) -> None:
    rows = "".join(f"    ({i}, {i * 2}),\n" for i in range(20000))
    table = (
        f"import pytest\n\n\n@pytest.mark.parametrize('n, twice', [\n{rows}])\n"
        "def test_double(n, twice):\n    assert n * 2 == twice\n"
    )
    shorter = table.replace("    (19999, 39998),\n", "")
    started = time.monotonic()
    report = change(repo, {"tests/test_table.py": table}, {"tests/test_table.py": shorter})
    assert time.monotonic() - started < 20
    (verdict,) = report.verdicts
    assert [f.rule for f in verdict.findings] == ["test-integrity/parametrize-case-removed"]
    assert "20000 parametrize cases in the base, 19999 now" in verdict.findings[0].message
    assert "too large to compare case by case" in verdict.summary


def test_a_patch_without_a_repository_gets_the_line_checks(cli, tmp_path) -> None:
    patch = tmp_path / "change.patch"
    patch.write_text(
        "diff --git a/.github/workflows/ci.yml b/.github/workflows/ci.yml\n"
        "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n"
        "@@ -1,3 +1,3 @@\n jobs:\n   test:\n-    - run: pytest -q\n+    - run: pytest -q || true\n"
        "diff --git a/tests/test_a.py b/tests/test_a.py\n--- a/tests/test_a.py\n+++ b/tests/test_a.py\n"
        "@@ -10,2 +10,2 @@ def test_a():\n     x = 1\n-    assert x == 1\n+    assert x\n"
    )
    result = cli(
        "review", "--diff", str(patch), "--reviewer", "test-integrity", "--offline", "--format", "json", cwd=tmp_path
    )
    # The test file is read line by line only: the review is incomplete (exit 3), its findings stand.
    assert result.exit_code == 3, result.stderr
    (verdict,) = result.json()["verdicts"]
    assert [f["rule"] for f in verdict["findings"]] == [
        "test-integrity/assertion-weakened",
        "test-integrity/ci-failure-ignored",
    ]
    assert verdict["findings"][0]["evidence"] == "assert x"
    assert [n["path"] for n in verdict["not_reviewed"]] == ["tests/test_a.py"]
    assert "patch without its base revision: only line-level checks ran" in verdict["summary"]


def test_a_huge_file_of_repeated_lines_is_reviewed_quickly(repo: GitRepo) -> None:
    # Generated code repeats lines; comparing it line by line must not go quadratic, with the diff's
    # hunks (a review) or without them (the pure analysis).
    big = "VALUES = [\n" + "    0,\n" * 60000 + "]\n"
    blank = "\n" * 30000
    head = {
        "app/generated.py": big.replace("    0,\n", "    1,\n", 1),
        "conftest.py": blank + "collect_ignore = ['x']\n",
    }
    started = time.monotonic()
    report = change(repo, {"app/generated.py": big, "conftest.py": blank}, head)
    pure = analyse(
        [
            FilePair(path=p, old_path=p, base=b, head=head[p])
            for p, b in (("app/generated.py", big), ("conftest.py", blank))
        ]
    )
    assert time.monotonic() - started < 20
    assert [f.rule for f in report.verdicts[0].findings] == ["test-integrity/collection-narrowed"]
    assert [f.rule for f in pure.findings] == ["test-integrity/collection-narrowed"]
