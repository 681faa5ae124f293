"""What a run is asked (:class:`ReviewRequest`) and what it shares once prepared (:class:`RunContext`):
the repository, the change and both sides' files, the configuration (from the base in an untrusted
review), the plugins, the learnings and the model. :func:`prepare` resolves them; :mod:`pipeline` runs the
review.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reviewkit import baseline as baselines
from reviewkit import diff as diffs
from reviewkit import gitdiff, revisions
from reviewkit.acceptance import Acceptance
from reviewkit.config import Config, config_at, load_config
from reviewkit.errors import ConfigError, InputError, ReviewkitError
from reviewkit.findings import Learning
from reviewkit.git import find_repo_root
from reviewkit.learnings import LearningsFilter
from reviewkit.learnings import load as load_learnings
from reviewkit.memory_stage import RunMemory
from reviewkit.plugins import Plugins, load_plugins
from reviewkit.sources import GitSnapshot, PatchSnapshot, Snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewRequest:
    """What the user asked for, from the command line or the GitHub entry point."""

    repo: Path | None = None
    base: str | None = None
    head: str | None = None
    diff_file: str | None = None
    staged: bool = False  # review the index against HEAD
    worktree: bool = False  # review the working tree (new files included) against HEAD
    labels: tuple[str, ...] = ()
    goal: str | None = None
    config_path: Path | None = None
    reviewers: tuple[str, ...] = ()
    offline: bool = False
    rounds: int = 1
    blocked_plugins: tuple[str, ...] = ()
    untrusted: bool = False  # a change from someone the repository does not trust (see DESIGN.md)
    test_gate: bool = True  # False: test_command never runs (pre-commit hooks); fixes are only proposed
    baseline: str | None = None  # a ``reviewkit baseline`` file whose findings are hidden
    config: Config | None = None  # preloaded (``reviewkit github`` reads it from the base revision)
    plugins: tuple[object, ...] = ()  # plugin objects registered besides the entry points
    accepted: tuple[Acceptance, ...] = ()  # findings accepted by someone with write access
    learned: tuple[Learning, ...] = ()  # learnings recorded on the pull request, not yet in the file
    rules_revision: str | None = None  # where an untrusted review reads learnings (default: the base)
    memory: bool = True  # review memory (docs/review-memory.md); --no-memory turns it off


@dataclass(kw_only=True)
class RunContext:
    """Everything a run shares: passed to ``review_finished`` observers as ``context``."""

    request: ReviewRequest
    config: Config
    change: diffs.Change
    repo: Path | None
    head: Snapshot
    base: Snapshot
    plugins: Plugins
    goal: str | None
    model: Any = None
    model_unavailable: str = ""
    head_config: Config | None = None  # an untrusted change's own configuration: read, never applied
    started: float = field(default_factory=time.monotonic)
    learnings: tuple[Learning, ...] = ()
    memory: RunMemory = field(default_factory=RunMemory)


def prepare(request: ReviewRequest) -> RunContext:
    """Resolve the repository, configuration, change, plugins and model for a run."""
    repo = _repo_for(request)
    change, head, base = _load_change(request, repo)
    config = request.config or _config_for(request, repo, change)
    head_config = _head_config(request, repo, change) if request.untrusted else None
    if not request.test_gate:
        config = replace(config, test_command=None)
    extra = request.plugins
    if request.baseline is not None:
        accepted = baselines.read(request.baseline, repo=repo, base=change.base, untrusted=request.untrusted)
        extra = (*extra, accepted)
    known = _learnings_for(request, repo, change)
    if known:
        extra = (*extra, LearningsFilter(learnings=known))
    plugins = load_plugins(config, blocked=request.blocked_plugins, extra=extra, checkout=repo)
    goal = request.goal if request.goal is not None else _goal_from_config(config, repo)
    model, unavailable = _model_for(config, offline=request.offline)
    memory = RunMemory(
        repo=repo,
        base=change.base,
        head=change.head,
        asked=request.memory,
        config=config,
        goal=goal,
        learnings=known,
        labels=request.labels,
        untrusted=request.untrusted,
    )
    return RunContext(
        request=request,
        config=config,
        change=change,
        repo=repo,
        head=head,
        base=base,
        plugins=plugins,
        goal=goal,
        model=model,
        model_unavailable=unavailable,
        head_config=head_config,
        learnings=known,
        memory=memory,
    )


def _learnings_for(request: ReviewRequest, repo: Path | None, change: diffs.Change) -> tuple[Learning, ...]:
    """The repository's learnings (an untrusted review reads them from the base, never the head) and
    those recorded on the pull request."""
    revision = (request.rules_revision or change.base) if request.untrusted else None
    if request.untrusted and revision is None:
        return request.learned
    return (*load_learnings(repo, revision=revision), *request.learned)


def _config_for(request: ReviewRequest, repo: Path | None, change: diffs.Change) -> Config:
    """The working tree's configuration; for an untrusted change, the base revision's (the change must
    not rewrite the rules it is reviewed by)."""
    if request.untrusted and repo is not None and change.base is not None:
        explicit = None if request.config_path is None else _repo_relative(repo, request.config_path)
        return config_at(repo, change.base, explicit)
    return load_config(repo, request.config_path)


def _head_config(request: ReviewRequest, repo: Path | None, change: diffs.Change) -> Config | None:
    """The configuration as the untrusted change has it, to say which of its edits were not honoured;
    None when it cannot be read (a broken configuration in the change is not the review's failure)."""
    if repo is None or change.head is None:
        return None
    explicit = None if request.config_path is None else _repo_relative(repo, request.config_path)
    try:
        return config_at(repo, change.head, explicit)
    except ReviewkitError:
        return None


def _repo_relative(repo: Path, path: Path) -> str:
    resolved = path.resolve() if path.is_absolute() else (Path.cwd() / path).resolve()
    if not resolved.is_relative_to(repo):
        raise InputError(
            f"--config {path}: an --untrusted review reads it from the base revision, so it must be "
            f"inside the repository {repo}"
        )
    return resolved.relative_to(repo).as_posix()


def _repo_for(request: ReviewRequest) -> Path | None:
    start = (request.repo or Path.cwd()).resolve()
    if request.repo is not None and not start.is_dir():
        raise InputError(f"--repo {request.repo}: not a directory")
    root = find_repo_root(start)
    if root is None and request.diff_file is None:
        raise InputError(f"{start} is not inside a git repository; run there or pass --diff FILE")
    return root


def _load_change(request: ReviewRequest, repo: Path | None) -> tuple[diffs.Change, Snapshot, Snapshot]:
    """The change and both sides' files: from a git range, the index or working tree, or a patch (made
    into commits when a repository is at hand, so every reviewer reads whole files)."""
    chosen = [
        flag
        for flag, on in (
            ("--diff", request.diff_file is not None),
            ("--staged", request.staged),
            ("--worktree", request.worktree),
        )
        if on
    ]
    if len(chosen) > 1 or (chosen and (request.base or request.head)):
        given = chosen + [flag for flag, on in (("--base", request.base), ("--head", request.head)) if on]
        raise InputError(f"{' and '.join(given)} cannot be combined: each names the change to review")
    if request.diff_file is not None and repo is None:
        change = diffs.from_patch_file(request.diff_file)
        return change, PatchSnapshot(change, side="head"), PatchSnapshot(change, side="base")
    assert repo is not None
    if chosen:
        made = _revisions_for(request, repo)
        change = replace(gitdiff.from_git(repo, made.base, made.head), source=made.source)
    else:
        head_rev = request.head or "HEAD"
        base_rev = revisions.review_base(repo, request.base, head_rev)
        change = gitdiff.from_git(repo, base_rev, head_rev)
    assert change.head is not None and change.base is not None
    return change, GitSnapshot(repo, change.head), GitSnapshot(repo, change.base)


def _revisions_for(request: ReviewRequest, repo: Path) -> revisions.Revisions:
    if request.staged:
        return revisions.staged(repo)
    if request.worktree:
        return revisions.worktree(repo)
    assert request.diff_file is not None
    data, name = diffs.read_patch(request.diff_file)
    diffs.from_patch_bytes(data, name)  # malformed input and paths outside the repository: refused first
    return revisions.patch_in_repository(repo, data, name)


def _goal_from_config(config: Config, repo: Path | None) -> str | None:
    if not config.goal_file or repo is None:
        return None
    path = repo / config.goal_file
    if not path.is_file():
        raise ConfigError(f"{config.path}: key 'code_review.goal_file': {config.goal_file!r} not found")
    return path.read_text(encoding="utf-8", errors="replace")


def _model_for(config: Config, *, offline: bool) -> tuple[Any, str]:
    """The model access for reviewers, or None with the reason it is unavailable."""
    if offline:
        return None, "needs a model; this run is --offline"
    if not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
        return None, "needs a model; ANTHROPIC_API_KEY is not set"
    try:
        from reviewkit import provider
    except ImportError:
        return None, "needs a model; this build of reviewkit has no model provider"
    # The run's deadline reaches the provider through each ReviewContext.deadline (the scheduler caps
    # it at the run's max_session_duration), so nothing more is passed here.
    return provider.model_access(config), ""
