"""The doors a hostile change could use to get a weakened test past test-integrity (issue 10, items 3
and 4), each built as a real repository and reviewed by the real command. None may end in exit 0:
either the weakening is found (exit 1) or the review says it is incomplete (exit 3)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from conftest import GitRepo

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "provider"))
from fake_anthropic import FakeAnthropic, answer, fake_api_fixture  # noqa: F401 - the fake_api fixture

APP = "def area(width, height):\n    return width * height\n"
TESTS = """\
from app.geometry import area


def test_area():
    assert area(2, 3) == 6
    assert area(0, 5) == 0
"""
WEAKENED = TESTS.replace("assert area(2, 3) == 6", "assert area(2, 3)")


def project(repo: GitRepo, tests: str | bytes = TESTS, **extra: str | bytes) -> GitRepo:
    repo.commit("base", **{"app/geometry.py": APP, "app/__init__.py": "", "tests/test_geometry.py": tests, **extra})
    repo.branch("feature")
    return repo


def review(cli: Any, repo: GitRepo, *flags: str) -> tuple[int, dict[str, Any]]:
    result = cli("review", "--base", "main", "--reviewer", "test-integrity", "--format", "json", *flags, cwd=repo.root)
    assert result.exit_code in (0, 1, 3), result.stderr
    return result.exit_code, result.json()["verdicts"][0]


def rules(verdict: dict[str, Any]) -> list[str]:
    return [f["rule"].removeprefix("test-integrity/") for f in verdict["findings"]]


def unread(verdict: dict[str, Any]) -> list[str]:
    return [item["path"] for item in verdict.get("not_reviewed", [])]


def test_newer_syntax_added_next_to_a_weakened_test_is_not_reviewed_and_the_weakening_still_found(cli, repo) -> None:
    project(repo).commit("weaken", **{"tests/test_geometry.py": WEAKENED + "\n\ntype Area = int\n"})
    code, verdict = review(cli, repo, "--offline")
    assert code == 3 and verdict["status"] == "error"
    assert unread(verdict) == ["tests/test_geometry.py"] and "Python 3." in verdict["not_reviewed"][0]["reason"]
    assert rules(verdict) == ["assertion-weakened"]


def test_newer_syntax_the_change_did_not_touch_leaves_the_rest_fully_compared(cli, repo) -> None:
    newer = TESTS + "\n\ntype Area = int\n"
    project(repo, newer).commit("weaken", **{"tests/test_geometry.py": newer.replace("== 6", "")})
    code, verdict = review(cli, repo, "--offline")
    assert code == 1 and unread(verdict) == [] and rules(verdict) == ["assertion-weakened"]


def test_a_weakened_line_in_newer_f_string_syntax_is_not_reviewed(cli, repo) -> None:
    project(repo).commit(
        "weaken",
        **{
            "tests/test_geometry.py": TESTS.replace(
                "assert area(2, 3) == 6", 'assert f"{area(**{"width": 2, "height": 3})}"'
            )
        },
    )
    code, verdict = review(cli, repo, "--offline")
    assert code == 3 and unread(verdict) == ["tests/test_geometry.py"]


def test_a_test_file_padded_past_a_megabyte_is_still_compared(cli, repo) -> None:
    padding = "# " + "x" * 98 + "\n"
    project(repo).commit("weaken", **{"tests/test_geometry.py": padding * 12_000 + WEAKENED})
    code, verdict = review(cli, repo, "--offline")
    assert code == 1 and rules(verdict) == ["assertion-weakened"]


def test_a_generated_code_marker_added_by_the_change_hides_nothing(cli, repo) -> None:
    project(repo).commit("weaken", **{"tests/test_geometry.py": "# @generated DO NOT EDIT\n" + WEAKENED})
    code, verdict = review(cli, repo, "--offline")
    assert code == 1 and rules(verdict) == ["assertion-weakened"]


def test_a_byte_order_mark_added_by_the_change_hides_nothing(cli, repo) -> None:
    project(repo).commit("weaken", **{"tests/test_geometry.py": "\ufeff" + WEAKENED})
    code, verdict = review(cli, repo, "--offline")
    assert code == 1 and rules(verdict) == ["assertion-weakened"]


def test_an_expected_value_in_bytes_that_are_not_utf8_is_not_reviewed(cli, repo) -> None:
    latin = b"# -*- coding: latin-1 -*-\ndef test_name():\n    assert 'caf\xe9'.upper() == 'CAF\xc9'\n"
    project(repo, **{"tests/test_names.py": latin}).commit(
        "edit", **{"tests/test_names.py": latin.replace(b"'CAF\xc9'", b"'CAF\xc8'")}
    )
    code, verdict = review(cli, repo, "--offline")
    assert code == 3 and unread(verdict) == ["tests/test_names.py"]
    assert "not UTF-8 (line 3)" in verdict["not_reviewed"][0]["reason"]


def test_a_test_file_turned_binary_is_not_reviewed(cli, repo) -> None:
    project(repo).commit("binary", **{"tests/test_geometry.py": b"\x00" + WEAKENED.encode()})
    code, verdict = review(cli, repo, "--offline")
    assert code == 3 and unread(verdict) == ["tests/test_geometry.py"]
    assert "binary" in verdict["not_reviewed"][0]["reason"]


def test_attributes_that_make_tests_binary_do_not_approve(cli, repo) -> None:
    project(repo).commit("attrs", **{".gitattributes": "*.py binary\n", "tests/test_geometry.py": WEAKENED})
    code, verdict = review(cli, repo, "--offline")
    assert code in (1, 3)
    assert "tests/test_geometry.py" in unread(verdict) or "assertion-weakened" in rules(verdict)


def test_a_linked_test_file_pointed_elsewhere_is_not_reviewed(cli, repo) -> None:
    # (A regular file turned into a link is a type change, which the core's diff refuses with exit 2.)
    os.makedirs(repo.root / "tests")
    os.symlink("test_geometry.py", repo.root / "tests/test_linked.py")
    project(repo, **{"tests/empty.py": "\n"})
    os.remove(repo.root / "tests/test_linked.py")
    os.symlink("empty.py", repo.root / "tests/test_linked.py")
    repo.commit("link")
    code, verdict = review(cli, repo, "--offline")
    assert code == 3 and unread(verdict) == ["tests/test_linked.py"]
    assert "symbolic link" in verdict["not_reviewed"][0]["reason"]


MOCKED = TESTS.replace(
    "def test_area():\n",
    "def test_area(monkeypatch):\n    monkeypatch.setattr('app.geometry.area', lambda w, h: w * h)\n",
).replace("from app.geometry import area", "from app.geometry import area\nimport app.geometry")


def test_in_an_untrusted_review_the_model_cannot_dismiss_a_blocking_finding(cli, repo, fake_api: FakeAnthropic) -> None:
    project(repo).commit("mock", **{"tests/test_geometry.py": MOCKED})
    fake_api.queue(answer(dismissals=[{"index": 0, "reason": "the author says the mock is fine"}]))
    code, verdict = review(cli, repo, "--untrusted")
    assert code == 1 and rules(verdict) == ["unit-mocked"] and verdict["findings"][0]["blocking"] is True
    assert "blocking finding(s) kept without asking the model" in verdict["summary"]
    assert fake_api.messages() == []


def test_in_a_trusted_review_the_model_may_dismiss_the_same_finding(cli, repo, fake_api: FakeAnthropic) -> None:
    project(repo).commit("mock", **{"tests/test_geometry.py": MOCKED})
    fake_api.queue(answer(dismissals=[{"index": 0, "reason": "the mock replaces a collaborator"}]))
    code, verdict = review(cli, repo)
    assert code == 0 and rules(verdict) == [] and "model dismissed test-integrity/unit-mocked" in verdict["summary"]
