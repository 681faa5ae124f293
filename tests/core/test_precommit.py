"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit tool on a real ``git push``.

pre-commit installs a ``language: python`` hook from the hook repository into a venv of its own, which
needs the network; here the hook runs as ``language: system`` against the installed reviewkit with
every other field copied from .pre-commit-hooks.yaml, so the entry, stages and flags are the shipped ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import GIT_ENV, PROJECT_ROOT, GitRepo

HOOKS = {hook["id"]: hook for hook in yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())}
BAD = "import yaml\n\n\ndef load(fh):\n    return yaml.load(fh)\n"


def local_config(*hook_ids: str) -> str:
    hooks = [{**HOOKS[hook_id], "language": "system"} for hook_id in hook_ids]
    for hook in hooks:
        hook.pop("minimum_pre_commit_version", None)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, str]:
    """The environment a developer's git has: reviewkit and pre-commit on PATH, no key."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }


def run(repo: GitRepo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=repo.root, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def pushing_repo(tmp_path: Path, hook_env: dict[str, str]) -> GitRepo:
    """A clone of a remote with the pre-push hook installed; its config has a test gate that leaves a mark."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True, env=hook_env)
    repo = GitRepo(tmp_path / "work")
    repo.git("remote", "add", "origin", str(remote))
    marker = tmp_path / "test-gate-ran"
    repo.config(f'[code_review]\ntest_command = "touch {marker}"\n')
    repo.write(".pre-commit-config.yaml", local_config("reviewkit"))
    repo.commit("base", **{"app.py": "VALUE = 1\n"})
    installed = run(repo, hook_env, sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push")
    assert installed.returncode == 0, installed.stderr
    return repo


def test_first_push_reviews_the_whole_tree(pushing_repo: GitRepo, hook_env: dict[str, str]) -> None:
    pushing_repo.commit("bad", **{"loader.py": BAD})
    push = run(pushing_repo, hook_env, "git", "push", "-q", "origin", "main")
    assert push.returncode != 0, "a first push carrying yaml.load must be refused"
    assert "security/yaml-load" in push.stdout + push.stderr


def test_push_reviews_exactly_what_is_pushed(pushing_repo: GitRepo, hook_env: dict[str, str], tmp_path: Path) -> None:
    assert run(pushing_repo, hook_env, "git", "push", "-q", "origin", "main").returncode == 0
    # A bad commit that is already on the remote (pushed past the hook) ...
    pushing_repo.commit("bad", **{"loader.py": BAD})
    assert run(pushing_repo, hook_env, "git", "push", "-q", "--no-verify", "origin", "main").returncode == 0
    # ... does not block a harmless commit pushed on top of it: only the new commit is reviewed.
    pushing_repo.commit("docs", **{"NOTES.md": "notes\n"})
    harmless = run(pushing_repo, hook_env, "git", "push", "origin", "main")
    assert harmless.returncode == 0, harmless.stdout + harmless.stderr
    # A new bad commit is refused, and the hook never ran test_command (the test gate stays out of hooks).
    pushing_repo.commit("worse", **{"other.py": BAD})
    refused = run(pushing_repo, hook_env, "git", "push", "origin", "main")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "other.py:5" in output and "loader.py" not in output
    assert not (tmp_path / "test-gate-ran").exists()
    assert pushing_repo.git("rev-parse", "HEAD") != pushing_repo.git("rev-parse", "origin/main")


def test_pre_push_flag_takes_exactly_the_range_pre_commit_names(feature_repo: GitRepo, cli) -> None:
    """What pre-commit sets, read by the command itself: FROM..TO, whatever HEAD and upstream are."""
    first = feature_repo.commit("bad", **{"loader.py": BAD})
    second = feature_repo.commit("docs", **{"NOTES.md": "notes\n"})
    os.environ.update(PRE_COMMIT_FROM_REF=first, PRE_COMMIT_TO_REF=second)
    try:
        report = cli("review", "--pre-push", "--offline", "--format", "json", cwd=feature_repo.root).json()
        assert (report["base"], report["head"]) == (first, second)
        assert [f["path"] for f in report["files"]] == ["NOTES.md"]
        del os.environ["PRE_COMMIT_TO_REF"]
        half = cli("review", "--pre-push", cwd=feature_repo.root)
        assert half.exit_code == 2 and "set only one of PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF" in half.stderr
    finally:
        os.environ.pop("PRE_COMMIT_FROM_REF", None)
        os.environ.pop("PRE_COMMIT_TO_REF", None)
    mixed = cli("review", "--pre-push", "--base", "main", cwd=feature_repo.root)
    assert mixed.exit_code == 2 and "drop --base, --head, --diff" in mixed.stderr


def test_staged_hook_reviews_the_index(tmp_path: Path, hook_env: dict[str, str]) -> None:
    help_text = run(GitRepo(tmp_path / "probe"), hook_env, sys.executable, "-m", "reviewkit", "review", "--help")
    if "--staged" not in help_text.stdout:
        pytest.skip("reviewkit review --staged is not on this branch yet (the lead is adding it)")
    repo = GitRepo(tmp_path / "work")
    repo.write(".pre-commit-config.yaml", local_config("reviewkit-staged"))
    repo.commit("base", **{"app.py": "VALUE = 1\n"})
    installed = run(repo, hook_env, sys.executable, "-m", "pre_commit", "install")
    assert installed.returncode == 0, installed.stderr
    repo.write("loader.py", BAD)
    repo.git("add", "loader.py")
    refused = run(repo, hook_env, "git", "commit", "-q", "-m", "bad")
    assert refused.returncode != 0 and "security/yaml-load" in refused.stdout + refused.stderr
    repo.write("loader.py", "import yaml\n\n\ndef load(fh):\n    return yaml.safe_load(fh)\n")
    repo.git("add", "loader.py")
    accepted = run(repo, hook_env, "git", "commit", "-q", "-m", "good")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
