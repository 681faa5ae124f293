"""Plugins installed through real entry points: a crashing, hanging or garbage-returning reviewer becomes
its own error verdict; loading problems are one clear line; plugins can be disabled."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import GitRepo, assert_valid, run_reviewkit

PLUGIN = """
import time
from reviewkit import Finding, Reviewer, hookimpl


class NoPrints(Reviewer):
    name = "no-prints"
    description = "Flags print() calls added to library code."
    blocking = False
    trigger = "path:src/**"

    def review(self, context):
        for line in context.change.added_lines():
            if "print(" in line.text:
                yield Finding(rule="no-prints/print", severity="low", path=line.path,
                              line=line.number, message="Use logging.", evidence=line.text)


class Crashes(Reviewer):
    name = "crashes"
    blocking = True

    def review(self, context):
        raise RuntimeError("boom in third-party code")


class Hangs(Reviewer):
    name = "hangs"
    blocking = True

    def review(self, context):
        time.sleep(60)
        return []


class Garbage(Reviewer):
    name = "garbage"
    blocking = False

    def review(self, context):
        return {"not": "findings"}


class Liar(Reviewer):
    name = "liar"
    blocking = True

    def review(self, context):
        return [Finding(rule="liar/made-up", severity="high", path="src/app.py", line=1,
                        message="invented", evidence="eval(user_input)")]


REVIEWERS = {cls.name: cls for cls in (NoPrints, Crashes, Hangs, Garbage, Liar)}


@hookimpl
def register_reviewers(register):
    import os
    for name in os.environ.get("MYPLUGIN_REVIEWERS", "no-prints").split(","):
        register(REVIEWERS[name]())
"""


def install_plugin(site: Path, name: str, source: str, group_entry: str | None = None) -> Path:
    """A real installed distribution: a module plus a .dist-info with an entry point, on PYTHONPATH."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{name}.py").write_text(textwrap.dedent(source))
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[reviewkit]\n{group_entry or name} = {name}\n")
    return site


@pytest.fixture
def plugin_site(tmp_path: Path) -> Path:
    return install_plugin(tmp_path / "site", "myplugin", PLUGIN)


def plugins_only_repo(repo: GitRepo, reviewer_timeout: str, files: dict[str, str]) -> GitRepo:
    """``repo`` configured (on main too) to run only the installed plugin's reviewers, each within
    ``reviewer_timeout``; the feature branch then adds ``files``."""
    repo.config(f'[code_review]\nreviewers = []\n[delegation]\nreviewer_timeout = "{reviewer_timeout}"\n')
    repo.commit("config")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "feature")
    repo.git("checkout", "-q", "feature")
    repo.commit("add files", **files)
    return repo


@pytest.fixture
def app_repo(feature_repo: GitRepo) -> GitRepo:
    return plugins_only_repo(feature_repo, "3s", {"src__app.py": "def main():\n    print('hi')\n"})


def review(repo: GitRepo, site: Path, reviewers: str, *args: str, **env: str):
    return run_reviewkit(
        "review",
        "--format",
        "json",
        *args,
        cwd=repo.root,
        env={"PYTHONPATH": str(site), "MYPLUGIN_REVIEWERS": reviewers, **env},
    )


def test_third_party_reviewer_from_entry_point(app_repo: GitRepo, plugin_site: Path) -> None:
    result = review(app_repo, plugin_site, "no-prints")
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert_valid("report", report)
    (verdict,) = report["verdicts"]
    assert (verdict["reviewer"], verdict["status"], verdict["trigger"]) == ("no-prints", "warn", "path:src/**")
    (finding,) = verdict["findings"]
    assert (finding["path"], finding["line"], finding["evidence"]) == ("src/app.py", 2, "    print('hi')")


def test_crash_hang_and_garbage_are_isolated_error_verdicts(app_repo: GitRepo, plugin_site: Path) -> None:
    result = review(app_repo, plugin_site, "no-prints,crashes,hangs,garbage")
    report = result.json()
    assert_valid("report", report)
    verdicts = {v["reviewer"]: v for v in report["verdicts"]}
    assert verdicts["no-prints"]["status"] == "warn" and len(verdicts["no-prints"]["findings"]) == 1
    assert verdicts["crashes"]["status"] == "error"
    assert "RuntimeError: boom in third-party code" in verdicts["crashes"]["error"]
    assert verdicts["hangs"]["status"] == "error" and "timed out" in verdicts["hangs"]["error"]
    assert verdicts["garbage"]["status"] == "error" and "returned dict" in verdicts["garbage"]["error"]
    # Blocking reviewers failed: fail closed, never approved.
    assert (report["decision"], report["exit_code"], result.exit_code) == ("NOTIFY_MANAGEMENT", 3, 3)


def test_findings_with_invented_evidence_are_dropped_and_counted(app_repo: GitRepo, plugin_site: Path) -> None:
    result = review(app_repo, plugin_site, "liar")
    report = result.json()
    assert report["verdicts"][0]["findings"] == []
    assert report["verdicts"][0]["status"] == "pass"
    assert report["dropped_findings"] == 1
    assert result.exit_code == 0


def test_disable_one_plugin_with_p_no(app_repo: GitRepo, plugin_site: Path) -> None:
    result = review(app_repo, plugin_site, "crashes", "-p", "no:myplugin")
    assert result.exit_code == 0, result.stderr
    assert result.json()["verdicts"] == []


def test_disable_autoload_keeps_builtins_only(app_repo: GitRepo, plugin_site: Path) -> None:
    result = run_reviewkit(
        "reviewers",
        "--format",
        "json",
        cwd=app_repo.root,
        env={"PYTHONPATH": str(plugin_site), "REVIEWKIT_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    names = {row["name"] for row in result.json()}
    assert "goal-adherence" in names and "no-prints" not in names
    listed = run_reviewkit("reviewers", "--format", "json", cwd=app_repo.root, env={"PYTHONPATH": str(plugin_site)})
    row = next(r for r in listed.json() if r["name"] == "no-prints")
    assert (row["plugin"], row["builtin"], row["trigger"], row["blocking"]) == ("myplugin", False, "path:src/**", False)


def test_misspelled_hook_fails_loudly(app_repo: GitRepo, tmp_path: Path) -> None:
    site = install_plugin(
        tmp_path / "bad",
        "typo_plugin",
        """
        from reviewkit import hookimpl

        @hookimpl
        def register_reviewer(register):
            pass
    """,
    )
    result = run_reviewkit("review", cwd=app_repo.root, env={"PYTHONPATH": str(site)})
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "register_reviewer" in line and "typo_plugin" in line


def test_plugin_that_fails_to_import_names_itself_and_the_way_out(app_repo: GitRepo, tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "broken", "broken_plugin", "import does_not_exist\n")
    result = run_reviewkit("review", cwd=app_repo.root, env={"PYTHONPATH": str(site)})
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "plugin 'broken_plugin'" in line and "ModuleNotFoundError" in line and "-p no:broken_plugin" in line


def test_duplicate_reviewer_name_is_a_plugin_error(app_repo: GitRepo, tmp_path: Path) -> None:
    site = install_plugin(
        tmp_path / "dup",
        "dup_plugin",
        """
        from reviewkit import Reviewer, hookimpl

        class Again(Reviewer):
            name = "goal-adherence"
            def review(self, context):
                return []

        @hookimpl
        def register_reviewers(register):
            register(Again())
    """,
    )
    result = run_reviewkit("review", cwd=app_repo.root, env={"PYTHONPATH": str(site)})
    assert result.exit_code == 2
    assert "reviewer 'goal-adherence' is already registered" in result.stderr
