"""What users of ruff, bandit, semgrep and reviewdog reach for: explain as text on a terminal, ``rules``,
``--fail-level``/``--exit-zero``, a baseline, and ``[tool.reviewkit]`` in pyproject.toml."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GIT_ENV, PROJECT_ROOT, GitRepo, assert_valid

from reviewkit.cli import DEFAULT_BASELINE, LEVELS
from reviewkit.exit_level import LEVELS as EXIT_LEVELS

LOADER = 'import yaml\ndata = yaml.load(open("settings.yml"))\n'
MOVED_LOADER = 'import yaml\n\n\ndef read():\n    data = yaml.load(open("settings.yml"))\n    return data\n'
NEW_LOADER = 'import yaml\n\n\ndef other():\n    return yaml.load(open("other.yml"))\n'


@pytest.fixture
def legacy(repo: GitRepo) -> GitRepo:
    """main holds a yaml.load already (legacy code); the feature branch is checked out."""
    repo.config('[code_review]\nreviewers = ["security"]\n')
    repo.commit("legacy", **{"loader.py": LOADER})
    repo.branch("feature")
    return repo


# --- explain -------------------------------------------------------------------------------------------


def test_explain_is_json_when_piped_and_text_when_asked(feature_repo: GitRepo, cli) -> None:
    feature_repo.config(
        '[reviewer.security]\ntrigger = "path:src/**"\n[reviewer.test-integrity]\ntrigger = "path:tests/**"\n'
    )
    feature_repo.commit("work", **{"src__app.py": "x = 1\n"})
    piped = cli("explain", cwd=feature_repo.root)
    assert set(piped.json()) == {"outcome", "reviewers", "details"}  # the contract, unchanged
    text = cli("explain", "--format", "text", cwd=feature_repo.root).stdout
    assert re.search(r"^security\s+fires\s+path:src/\*\* -> src/app.py$", text, re.MULTILINE), text
    assert re.search(r"^test-integrity\s+no\s+path:tests/\*\* \(.+\)$", text, re.MULTILINE), text
    assert "2 of 3 reviewer(s) fire" in text


def test_explain_on_a_terminal_is_text(feature_repo: GitRepo) -> None:
    feature_repo.commit("work", **{"src__app.py": "x = 1\n"})
    primary, secondary = pty.openpty()
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "reviewkit", "explain"],
        cwd=feature_repo.root,
        stdout=secondary,
        stderr=subprocess.PIPE,
        env=env,
        timeout=60,
        check=False,
    )
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(primary)
    assert proc.returncode == 0, proc.stderr
    assert b"fires" in output and not output.lstrip().startswith(b"{")


# --- rules ---------------------------------------------------------------------------------------------


def test_rules_describes_a_rule_with_an_example_and_its_fix(repo: GitRepo, cli) -> None:
    result = cli("rules", "security/yaml-load", cwd=repo.root)
    assert result.exit_code == 0
    assert result.stdout.startswith("security/yaml-load  (reviewer security, blocking by default)")
    assert "Example:\n    yaml.load(fh)" in result.stdout and "Fix: yaml.safe_load(fh)" in result.stdout
    listing = cli("rules", cwd=repo.root).stdout
    assert re.search(r"^test-integrity/test-skipped\s+A test is newly skipped", listing, re.MULTILINE)
    one_reviewer = cli("rules", "--format", "json", "test-integrity", cwd=repo.root).json()
    assert {entry["reviewer"] for entry in one_reviewer} == {"test-integrity"} and len(one_reviewer) > 10
    typo = cli("rules", "security/yaml-lod", cwd=repo.root)
    assert typo.exit_code == 2 and "(did you mean 'security/yaml-load'?)" in typo.stderr


def test_a_third_party_reviewer_documents_its_rules_the_same_way(tmp_path: Path, repo: GitRepo) -> None:
    from test_plugins import install_plugin  # the real-entry-point helper of the plugin tests

    site = install_plugin(
        tmp_path / "site",
        "noprints",
        """
        from reviewkit import Reviewer, Rule, hookimpl

        class NoPrints(Reviewer):
            name = "no-prints"
            rules = {"no-prints/print": Rule("print() in library code.", "print(x)", "Use logging.")}

        @hookimpl
        def register_reviewers(register):
            register(NoPrints())
        """,
    )
    env = {**os.environ, **GIT_ENV, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-m", "reviewkit", "rules", "no-prints/print"],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "print() in library code." in proc.stdout and "Fix: Use logging." in proc.stdout


def _literals(pattern: str, *paths: Path) -> set[str]:
    return {match for path in paths for match in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_rule_a_built_in_reports_is_documented(repo: GitRepo, cli) -> None:
    documented = {entry["rule"] for entry in cli("rules", "--format", "json", cwd=repo.root).json()}
    security = list((PROJECT_ROOT / "reviewers" / "security").glob("*.py"))
    emitted = _literals(r'rule="([a-z0-9-]+)"', *security) | _literals(r'_fmt\(\s*"([a-z0-9-]+)"', *security)
    emitted |= _literals(r'"security/([a-z0-9-]+)"', *security)
    integrity = list((PROJECT_ROOT / "reviewers" / "test_integrity").glob("*.py"))
    integrity = [path for path in integrity if path.name != "rule_docs.py"]
    # Hyphenated literals that are not rule ids: git subcommands, a suffix matched on rule ids.
    not_rules = {"test-integrity", "cat-file", "ls-tree", "file-deleted"}
    test_rules = _literals(r'"([a-z]+(?:-[a-z]+)+)"', *integrity) - not_rules
    expected = {f"security/{rule}" for rule in emitted} | {f"test-integrity/{rule}" for rule in test_rules}
    assert expected - documented == set()


# --- --fail-level and --exit-zero ----------------------------------------------------------------------


def test_fail_level_fails_on_warnings_at_or_above_it(feature_repo: GitRepo, cli) -> None:
    feature_repo.config('[code_review]\nreviewers = ["security"]\n[reviewer.security]\nblocking = false\n')
    feature_repo.commit("loader", **{"loader.py": NEW_LOADER})
    default = cli("review", "--format", "json", cwd=feature_repo.root)
    assert default.exit_code == 0  # security's findings are warnings here
    strict = cli("review", "--fail-level", "high", "--format", "json", cwd=feature_repo.root)
    assert strict.exit_code == 1
    report = strict.json()
    assert report["exit_code"] == 1 and report["reason"].startswith("--fail-level high: 1 finding(s) at high")
    assert_valid("report", report)
    assert cli("review", "--fail-level", "critical", cwd=feature_repo.root).exit_code == 0


def test_exit_zero_is_advisory_but_never_passes_an_incomplete_review(feature_repo: GitRepo, cli) -> None:
    feature_repo.config('[code_review]\nreviewers = ["security"]\n')
    feature_repo.commit("loader", **{"loader.py": NEW_LOADER})
    assert cli("review", cwd=feature_repo.root).exit_code == 1
    advisory = cli("review", "--exit-zero", "--format", "json", cwd=feature_repo.root)
    assert advisory.exit_code == 0 and advisory.json()["exit_code"] == 0
    assert advisory.json()["decision"] == "CONTINUE_DEVELOPMENT"  # the decision itself is unchanged
    feature_repo.config('[code_review]\nreviewers = ["goal-adherence"]\n[reviewer.goal-adherence]\nblocking = true\n')
    incomplete = cli("review", "--exit-zero", "--offline", "--goal", "x", cwd=feature_repo.root)
    assert incomplete.exit_code == 3, incomplete.stdout + incomplete.stderr
    both = cli("review", "--exit-zero", "--fail-level", "low", cwd=feature_repo.root)
    assert both.exit_code == 2 and "contradict" in both.stderr


def test_cli_lists_match_their_modules() -> None:
    assert LEVELS == EXIT_LEVELS and DEFAULT_BASELINE == ".reviewkit-baseline.json"


# --- baseline ------------------------------------------------------------------------------------------


def test_baseline_hides_todays_findings_by_a_line_free_fingerprint(legacy: GitRepo, cli) -> None:
    legacy.git("checkout", "-q", "main")
    recorded = cli("baseline", cwd=legacy.root)
    assert recorded.exit_code == 0, recorded.stderr
    assert "recorded 1 finding(s)" in recorded.stderr
    data = json.loads((legacy.root / DEFAULT_BASELINE).read_text())
    assert_valid("baseline", data)
    assert [(f["rule"], f["path"], f["count"]) for f in data["findings"]] == [("security/yaml-load", "loader.py", 1)]
    legacy.commit("baseline")
    legacy.git("checkout", "-q", "feature")
    legacy.git("merge", "-q", "main")
    # The legacy line moves (new line number, new indentation) and a new yaml.load is added.
    legacy.commit("work", **{"loader.py": MOVED_LOADER, "other.py": NEW_LOADER})
    plain = cli("review", "--base", "main", "--format", "json", cwd=legacy.root).json()
    assert sorted(f["path"] for v in plain["verdicts"] for f in v["findings"]) == ["loader.py", "other.py"]
    hidden = cli("review", "--base", "main", "--baseline", DEFAULT_BASELINE, "--format", "json", cwd=legacy.root)
    (verdict,) = hidden.json()["verdicts"]
    assert [f["path"] for f in verdict["findings"]] == ["other.py"]
    assert "1 finding(s) hidden by the baseline .reviewkit-baseline.json" in verdict["summary"]
    assert hidden.exit_code == 1  # the new finding still blocks


def test_a_second_copy_of_an_accepted_line_is_new(legacy: GitRepo, cli) -> None:
    legacy.git("checkout", "-q", "main")
    cli("baseline", cwd=legacy.root)
    legacy.commit("baseline")
    legacy.git("checkout", "-q", "-B", "feature")
    legacy.commit("copy", **{"loader.py": LOADER + LOADER.splitlines()[1] + "\n"})
    report = cli("review", "--base", "HEAD~1", "--baseline", DEFAULT_BASELINE, "--format", "json", cwd=legacy.root)
    (verdict,) = report.json()["verdicts"]
    assert [(f["path"], f["line"]) for f in verdict["findings"]] == [("loader.py", 3)]


def test_a_change_cannot_baseline_its_own_findings_in_an_untrusted_review(legacy: GitRepo, cli, tmp_path) -> None:
    legacy.commit("hostile", **{"other.py": NEW_LOADER})
    # The change records a baseline that accepts what it adds, and commits it.
    assert cli("baseline", cwd=legacy.root).exit_code == 0
    legacy.commit("accept my own findings")
    args = ("review", "--base", "main", "--baseline", DEFAULT_BASELINE, "--format", "json")
    trusted = cli(*args, cwd=legacy.root)
    assert trusted.exit_code == 0  # locally, the developer's own baseline is taken at its word
    untrusted = cli(*args, "--untrusted", cwd=legacy.root)
    assert untrusted.exit_code == 1, untrusted.stdout
    (verdict,) = untrusted.json()["verdicts"]
    assert [f["path"] for f in verdict["findings"]] == ["other.py"]
    assert "is not in the base revision: nothing hidden" in verdict["summary"]
    # A baseline outside the repository is the workflow's, not the change's: it is read from disk.
    outside = tmp_path / "baseline.json"
    outside.write_text((legacy.root / DEFAULT_BASELINE).read_text())
    kept = cli("review", "--base", "main", "--baseline", str(outside), "--untrusted", cwd=legacy.root)
    assert kept.exit_code == 0, kept.stdout


def test_a_baseline_edited_by_the_change_counts_as_the_base_had_it(legacy: GitRepo, cli) -> None:
    legacy.git("checkout", "-q", "main")
    cli("baseline", cwd=legacy.root)
    legacy.commit("baseline")
    legacy.git("checkout", "-q", "-B", "feature")
    legacy.commit("hostile", **{"other.py": NEW_LOADER})
    cli("baseline", cwd=legacy.root)  # rewrites the file to accept other.py too
    legacy.commit("widen the baseline")
    result = cli("review", "--base", "main", "--baseline", DEFAULT_BASELINE, "--untrusted", cwd=legacy.root)
    assert result.exit_code == 1 and "other.py:5" in result.stdout


def test_a_broken_baseline_is_one_line_exit_2(legacy: GitRepo, cli) -> None:
    legacy.write("bad.json", '{"reviewkit_baseline": 1, "findings": [{"rule": "x"}]}')
    result = cli("review", "--base", "main", "--baseline", "bad.json", cwd=legacy.root)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("reviewkit: error: --baseline bad.json: not a reviewkit baseline:")
    legacy.write("bad.json", "{not json")
    assert "line 1: not JSON" in cli("review", "--baseline", "bad.json", cwd=legacy.root).stderr


# --- [tool.reviewkit] in pyproject.toml ----------------------------------------------------------------


def test_pyproject_tool_table_configures_reviewkit(feature_repo: GitRepo, cli) -> None:
    feature_repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.reviewkit.code_review]\nreviewers = []\n')
    feature_repo.commit("work", **{"loader.py": NEW_LOADER})
    report = cli("review", "--format", "json", cwd=feature_repo.root).json()
    assert report["verdicts"] == []  # reviewers = [] came from pyproject.toml
    feature_repo.write("pyproject.toml", "[tool.reviewkit.code_review]\nreviewrs = []\n")
    typo = cli("review", cwd=feature_repo.root)
    assert typo.exit_code == 2
    assert f"{feature_repo.root / 'pyproject.toml'}:2: key 'tool.reviewkit.code_review.reviewrs'" in typo.stderr


def test_pyproject_and_config_toml_together_is_an_error_naming_both(feature_repo: GitRepo, cli) -> None:
    feature_repo.write("pyproject.toml", "[tool.reviewkit.code_review]\nreviewers = []\n")
    feature_repo.config("[code_review]\nreviewers = []\n")
    result = cli("review", cwd=feature_repo.root)
    assert result.exit_code == 2
    assert f"{feature_repo.root / '.agents/config.toml'} and [tool.reviewkit] in" in result.stderr
    assert str(feature_repo.root / "pyproject.toml") in result.stderr


def test_other_tools_pyproject_is_left_alone(feature_repo: GitRepo, cli) -> None:
    feature_repo.write("pyproject.toml", "[tool.black\nbroken = ")  # not ours, not even valid
    feature_repo.commit("work", **{"a.py": "x = 1\n"})
    assert cli("review", "--offline", cwd=feature_repo.root).exit_code == 0


def test_untrusted_review_reads_pyproject_from_the_base(repo: GitRepo, cli) -> None:
    repo.write("pyproject.toml", '[tool.reviewkit.code_review]\nreviewers = ["security"]\n')
    repo.commit("base")
    repo.branch("feature")
    # The change switches the reviewers off in its own pyproject.toml and adds yaml.load.
    repo.write("pyproject.toml", "[tool.reviewkit.code_review]\nreviewers = []\n")
    repo.commit("hostile", **{"loader.py": NEW_LOADER})
    assert cli("review", "--base", "main", cwd=repo.root).exit_code == 0
    untrusted = cli("review", "--base", "main", "--untrusted", "--format", "json", cwd=repo.root)
    assert untrusted.exit_code == 1 and [v["reviewer"] for v in untrusted.json()["verdicts"]] == ["security"]
