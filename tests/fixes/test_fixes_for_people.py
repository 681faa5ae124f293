"""Taking fixes as a person does: ``--apply`` says what it wrote (or why it wrote nothing) and reminds to
commit; run twice it recognises its own fix; ``--fix-patch FILE`` saves the patch; ``-o`` is ``--output``."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GitRepo

BAD = "import yaml\n\n\ndef load(fh):\n    return yaml.load(fh)\n"
FIXED = BAD.replace("yaml.load", "yaml.safe_load")


@pytest.fixture
def fixable(feature_repo: GitRepo) -> GitRepo:
    """A branch adding yaml.load, which the security reviewer fixes; the test gate is `true`."""
    feature_repo.commit("loader", **{"loader.py": BAD})
    feature_repo.config('[code_review]\nreviewers = ["security"]\ntest_command = "true"\n')
    return feature_repo


def stderr_line(result, start: str) -> str:  # type: ignore[no-untyped-def]
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"reviewkit: {start}")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_apply_lists_what_it_wrote_and_reminds_to_commit(fixable: GitRepo, cli) -> None:
    result = cli("review", "--apply", cwd=fixable.root)
    assert result.exit_code == 1  # the reviewed commit still holds yaml.load
    assert "security/yaml-load" in result.stdout  # the report is printed as usual
    line = stderr_line(result, "--apply")
    assert "wrote fixes to 1 file(s): loader.py" in line and "commit" in line
    assert (fixable.root / "loader.py").read_text() == FIXED
    assert fixable.git("status", "--porcelain", "loader.py") == "M loader.py"


def test_apply_twice_recognises_the_fix_already_there_and_keeps_the_report(fixable: GitRepo, cli) -> None:
    assert cli("review", "--apply", cwd=fixable.root).exit_code == 1
    again = cli("review", "--apply", "--format", "json", cwd=fixable.root)
    assert again.exit_code == 1, again.stderr  # not 2 ("patch failed"), and the report is there
    assert again.json()["fixes"]["merged"] is True
    assert "the fixes are already in the working tree" in stderr_line(again, "--apply")
    assert (fixable.root / "loader.py").read_text() == FIXED


def test_apply_that_no_longer_fits_writes_nothing_and_says_why(fixable: GitRepo, cli) -> None:
    fixable.write("loader.py", "# rewritten locally\n")
    result = cli("review", "--apply", cwd=fixable.root)
    assert result.exit_code == 1 and "security/yaml-load" in result.stdout
    line = stderr_line(result, "--apply")
    assert "do not apply to the working tree" in line and "nothing was written" in line and "--fix-patch" in line
    assert (fixable.root / "loader.py").read_text() == "# rewritten locally\n"


@pytest.mark.parametrize(
    ("config", "args", "why"),
    [
        ('[code_review]\nreviewers = ["security"]\n', (), "no test_command is configured"),
        ('[code_review]\nreviewers = ["security"]\ntest_command = "false"\n', (), "the test gate failed"),
        ('[code_review]\nreviewers = ["security"]\ntest_command = "true"\n', ("--no-test-gate",), "--no-test-gate"),
    ],
    ids=["no-test-command", "gate-failed", "gate-off"],
)
def test_apply_says_why_nothing_was_written(fixable: GitRepo, cli, config: str, args: tuple[str, ...], why: str):
    fixable.config(config)
    result = cli("review", "--apply", *args, cwd=fixable.root)
    line = stderr_line(result, "--apply")
    assert line.startswith("reviewkit: --apply: nothing written: ") and why in line
    assert (fixable.root / "loader.py").read_text() == BAD


def test_apply_with_nothing_to_fix_says_so(feature_repo: GitRepo, cli) -> None:
    feature_repo.commit("clean", **{"clean.py": "VALUE = 1\n"})
    result = cli("review", "--apply", cwd=feature_repo.root)
    assert result.exit_code == 0
    assert "nothing written: no reviewer proposed a fix" in stderr_line(result, "--apply")


def test_fix_patch_writes_the_merged_patch_that_git_applies(fixable: GitRepo, cli, tmp_path: Path) -> None:
    patch = tmp_path / "fix.patch"
    result = cli("review", "--fix-patch", str(patch), "-o", str(tmp_path / "report.txt"), cwd=fixable.root)
    assert result.exit_code == 1 and result.stdout == ""
    assert "security/yaml-load" in (tmp_path / "report.txt").read_text()
    assert f"into {patch}" in stderr_line(result, "--fix-patch") and "test gate passed" in result.stderr
    assert (fixable.root / "loader.py").read_text() == BAD  # --fix-patch alone never touches the checkout
    fixable.git("apply", str(patch))
    assert (fixable.root / "loader.py").read_text() == FIXED


def test_fix_patch_also_saves_a_proposal_and_says_it_was_not_merged(fixable: GitRepo, cli, tmp_path: Path) -> None:
    fixable.config('[code_review]\nreviewers = ["security"]\n')
    patch = tmp_path / "fix.patch"
    result = cli("review", "--fix-patch", str(patch), cwd=fixable.root)
    assert "no test_command is configured" in stderr_line(result, "--fix-patch")
    assert "yaml.safe_load" in patch.read_text()


def test_fix_patch_without_fixes_writes_nothing(feature_repo: GitRepo, cli, tmp_path: Path) -> None:
    feature_repo.commit("clean", **{"clean.py": "VALUE = 1\n"})
    patch = tmp_path / "fix.patch"
    result = cli("review", "--fix-patch", str(patch), cwd=feature_repo.root)
    assert "not written: no reviewer proposed a fix" in stderr_line(result, "--fix-patch")
    assert not patch.exists()


def test_output_paths_in_missing_directories_are_refused_before_reviewing(fixable: GitRepo, cli, tmp_path) -> None:
    for flag in ("-o", "--fix-patch"):
        result = cli("review", flag, str(tmp_path / "missing" / "x"), cwd=fixable.root)
        assert result.exit_code == 2 and "does not exist" in result.stderr and result.stdout == ""
