"""The formats through the command line, and colour only where a person is looking."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

from conftest import GitRepo, run_reviewkit

CONFIG = "[code_review]\nreviewers = []\n"


def _repo(repo: GitRepo) -> GitRepo:
    repo.commit("base", **{"README.md": "# x\n", ".agents__config.toml": CONFIG})
    repo.branch("feature")
    repo.commit("change", **{"README.md": "# x\nmore\n"})
    return repo


def test_every_documented_format_is_available(repo: GitRepo, cli):
    _repo(repo)
    for name in ("sarif", "markdown", "github", "rdjson"):
        result = cli("review", "--repo", str(repo.root), "--base", "main", "--format", name)
        assert result.exit_code == 0, (name, result.stderr)
    sarif = cli("review", "--repo", str(repo.root), "--base", "main", "--format", "sarif").json()
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []


def _on_a_terminal(repo: GitRepo, **env: str) -> str:
    """Run ``reviewkit review`` with stdout on a pseudo-terminal, as a person at a shell would."""
    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewkit", "review", "--base", "main"],
        cwd=repo.root,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=full_env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_text_is_coloured_on_a_terminal_only(repo: GitRepo):
    _repo(repo)
    assert "\x1b[" in _on_a_terminal(repo)
    assert "\x1b[" not in _on_a_terminal(repo, NO_COLOR="1")
    piped = run_reviewkit("review", "--base", "main", cwd=repo.root)
    assert piped.exit_code == 0 and "\x1b[" not in piped.stdout and "DEVELOPMENT_COMPLETE" in piped.stdout


def test_sarif_written_to_a_file(repo: GitRepo, cli, tmp_path):
    _repo(repo)
    target = tmp_path / "out.sarif"
    result = cli("review", "--repo", str(repo.root), "--base", "main", "--format", "sarif", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["runs"][0]["tool"]["driver"]["name"] == "reviewkit"
