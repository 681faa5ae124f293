"""Shared fixtures: real git repositories in tmp_path, the CLI run in-process, schema checks.

Nothing here mocks git, the filesystem or reviewkit: a test builds a real repository, runs the real
command and asserts what a user would see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reviewkit import Reviewer, hookimpl
from reviewkit.cli import main
from reviewkit.pipeline import ReviewRequest, review
from reviewkit.report import Report
from reviewkit.schemas import validate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Published schemas, copied into the repository (tests/specs/README.md says from where, under which licence).
SPECS = PROJECT_ROOT / "tests" / "specs"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's git config, API keys or colour settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    for key in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "GITHUB_TOKEN",
        "NO_COLOR",
        "REVIEWKIT_DISABLE_PLUGIN_AUTOLOAD",
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_PATH",
        "GITHUB_EVENT_NAME",
        "GITHUB_SHA",
        "GITHUB_GRAPHQL_URL",
    ):
        monkeypatch.delenv(key, raising=False)


class GitRepo:
    """A real git repository in a temporary directory, with helpers to write files and commit."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, input: bytes | None = None) -> str:
        env = {**os.environ, **GIT_ENV}
        proc = subprocess.run(["git", *args], cwd=self.root, env=env, input=input, capture_output=True, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
        return proc.stdout.decode("utf-8", "replace").strip()

    def write(self, path: str, content: str | bytes) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
        return target

    def remove(self, path: str) -> None:
        self.git("rm", "-q", "-r", path)

    def commit(self, message: str = "change", **files: str | bytes) -> str:
        """Write ``files`` (keyword names use ``__`` for ``/``), stage everything, commit, return the sha."""
        for name, content in files.items():
            self.write(name.replace("__", "/"), content)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str) -> None:
        self.git("checkout", "-q", "-b", name)

    def config(self, toml: str) -> None:
        self.write(".agents/config.toml", toml)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository on branch main."""
    return GitRepo(tmp_path / "repo")


@pytest.fixture
def feature_repo(repo: GitRepo) -> GitRepo:
    """A repository with a base commit on main and an empty 'feature' branch checked out."""
    repo.commit("base", **{"README.md": "# project\n"})
    repo.branch("feature")
    return repo


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``reviewkit ARGS`` in-process in a directory; returns exit code, stdout and stderr."""

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse --help/--version/usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


def run_reviewkit(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout: float = 120
) -> CliResult:
    """Run ``python -m reviewkit ARGS`` as a separate process, as a user or CI would."""
    full_env = {**os.environ, **GIT_ENV, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "reviewkit", *args],
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def assert_valid(schema: str, data: Any) -> None:
    errors = validate(schema, data)
    assert not errors, f"{schema} schema violations: {errors[:5]}"


def review_with(
    reviewers: Sequence[Reviewer], repo: GitRepo, *, base: str = "main", head: str = "HEAD", **request: Any
) -> Report:
    """Run exactly ``reviewers`` (registered as a plugin) over base..head in ``repo``: a test in one line."""

    class _Plugin:
        @hookimpl
        def register_reviewers(self, register: Any) -> None:
            for reviewer in reviewers:
                register(reviewer)

    report = review(
        ReviewRequest(
            repo=repo.root,
            base=base,
            head=head,
            reviewers=tuple(r.name for r in reviewers),
            plugins=(_Plugin(),),
            **request,
        )
    )
    assert_valid("report", report.to_dict())
    return report


@pytest.fixture
def spec_schema() -> Iterator[Any]:
    """Load one of the published schemas in tests/specs by relative path."""

    def load(relative: str) -> Any:
        return json.loads((SPECS / relative).read_text(encoding="utf-8"))

    yield load
