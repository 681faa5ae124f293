"""The fix stage: merge every reviewer's fix onto one integration workspace, then the test gate.

Fixes are merged in git's object store, never in the user's checkout: each fix becomes a commit on
top of the head, and the commits are combined one by one, in the reviewers' stable order, with
``git merge-tree`` (a real 3-way merge with the head as base). A fix that does not apply, touches
``.git/`` or reviewkit's own ``.agents/`` files, or conflicts with the fixes merged before it, is
dropped and its findings stay unfixed. The merged result is written into a fresh workspace and
``test_command`` runs there in reviewkit.sandbox (an allow-listed environment, namespaces that hide
reviewkit's secrets and kill every process it started, a timeout); only a passing gate merges.

Which findings a fix fixes: a finding citing the head is fixed when its reviewer's merged fix changes
(or deletes) one of its cited lines; a finding citing the base (code the change deleted, such as a
removed test) is fixed when the merged result holds its quoted code again. Rounds (``--rounds N``)
then re-review the merged result, which catches a fix that only moved the problem.
"""

from __future__ import annotations

import os
import shlex
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewkit.diff import parse_patch_text
from reviewkit.errors import InputError, ReviewkitError
from reviewkit.findings import Finding, Side
from reviewkit.git import IDENTITY
from reviewkit.report import TestRun
from reviewkit.sandbox import run_sandboxed
from reviewkit.verdict import WorkspaceInfo
from reviewkit.workspace import Workspace, WorkspaceError, WorkspaceFactory, check_path, exact_pattern, git


@dataclass(frozen=True, slots=True, kw_only=True)
class FixResult:
    """What the fix stage did in one round."""

    patch: str | None = None  # the merged fixes as one diff against the head
    commit: str | None = None  # a commit (parent: the head) holding the merged fixes
    applied: tuple[str, ...] = ()  # reviewers whose fixes made it into the merge
    contributions: Mapping[str, str] = field(default_factory=dict)  # reviewer -> its own diff
    dropped: tuple[str, ...] = ()  # "reviewer: why"
    tests: TestRun | None = None
    merged: bool = False
    note: str = ""
    workspace: WorkspaceInfo = field(default_factory=WorkspaceInfo)  # where the test gate ran


# --- merging ------------------------------------------------------------------------------------------


class FixMerger:
    """Combines fixes in the order they are added; every step is a 3-way merge with the head as base."""

    def __init__(self, repo: Path, head: str, *, protected: Collection[str] = ()) -> None:
        self.repo = repo
        self.head = head
        self.protected = frozenset(protected)
        self._commit: str | None = None
        self._applied: list[str] = []
        self._contributions: dict[str, str] = {}
        self._dropped: list[str] = []
        self._lock = threading.Lock()

    @property
    def current(self) -> str:
        """The merged result so far (the head when nothing was merged)."""
        return self._commit or self.head

    def add_patch(self, reviewer: str, patch: str) -> bool:
        """Merge a unified diff against the head; False (and the reason recorded) when dropped."""
        refused = _refused_paths(patch, self.protected)
        if refused:
            return self.drop(reviewer, refused)
        with tempfile.TemporaryDirectory(prefix="reviewkit-index-") as temp:
            env = {"GIT_INDEX_FILE": str(Path(temp) / "index")}
            git(self.repo, "read-tree", self.head, env=env)
            applied = git(
                self.repo,
                "apply",
                "--cached",
                "--binary",
                "--whitespace=nowarn",
                "-",
                env=env,
                input=patch.encode("utf-8", "surrogateescape"),
                check=False,
            )
            if applied.returncode != 0:
                detail = applied.stderr.decode("utf-8", "replace").strip().splitlines()
                why = detail[0] if detail else "git apply failed"
                return self.drop(reviewer, f"does not apply to the head: {why}")
            tree = git(self.repo, "write-tree", env=env).stdout.decode().strip()
        return self.add_tree(reviewer, tree)

    def add_tree(self, reviewer: str, tree: str) -> bool:
        """Merge a whole tree (a workspace's content) whose changes are relative to the head."""
        refused = self._refused_tree_paths(tree)
        if refused:
            return self.drop(reviewer, refused)
        commit = self._commit_tree(tree, f"reviewkit: fix by {reviewer}")
        with self._lock:
            if self._commit is None:
                merged = commit
            else:
                result = git(
                    self.repo, "merge-tree", "--write-tree", "--no-messages", self._commit, commit, check=False
                )
                if result.returncode != 0:
                    who = ", ".join(dict.fromkeys(self._applied))
                    return self.drop(reviewer, f"conflicts with the fixes of {who}; dropped")
                merged = self._commit_tree(result.stdout.decode().split()[0], "reviewkit: merged fixes")
            self._commit = merged
            self._applied.append(reviewer)
            own = diff_between(self.repo, self.head, commit)
            self._contributions[reviewer] = self._contributions.get(reviewer, "") + own
            return True

    def _refused_tree_paths(self, tree: str) -> str:
        """Why a workspace's edits may not be merged ('' when they may): the same lanes as a patch's,
        whatever wrote the files (a plugin writing directly, a command the fixer ran)."""
        raw = git(self.repo, "diff-tree", "-r", "-z", "--name-only", "--no-renames", self.head, tree).stdout
        for name in filter(None, raw.split(b"\0")):
            try:
                check_path(name.decode("utf-8", "surrogateescape"), write=True, protected=self.protected)
            except WorkspaceError as exc:
                return f"refused: {exc}"
        return ""

    def _commit_tree(self, tree: str, message: str) -> str:
        out = git(self.repo, "commit-tree", tree, "-p", self.head, "-m", message, env=IDENTITY)
        return out.stdout.decode().strip()

    def drop(self, reviewer: str, reason: str) -> bool:
        self._dropped.append(f"{reviewer}: {reason}")
        return False

    def result(self) -> FixResult:
        patch = None
        if self._commit is not None:
            patch = diff_between(self.repo, self.head, self._commit) or None
        return FixResult(
            patch=patch,
            commit=self._commit if patch else None,
            applied=tuple(dict.fromkeys(self._applied)),
            contributions=dict(self._contributions),
            dropped=tuple(self._dropped),
        )


def gate_files(test_command: str | None) -> tuple[str, ...]:
    """What the test gate runs besides the code under test, as read-only patterns for fixers: the
    scripts the command names, and the configuration its runner reads. A fix that rewrote them could make
    the gate pass whatever the code does."""
    if not test_command:
        return ()
    try:
        words = shlex.split(test_command)
    except ValueError:
        words = test_command.split()
    patterns: set[str] = set()
    for word in words:
        name = word.rsplit("/", 1)[-1]
        patterns.update(_RUNNER_FILES.get(name, ()))
        if not word.startswith("-") and ("/" in word or name.endswith(_SCRIPT_SUFFIXES)):
            relative = os.path.normpath(word.removeprefix("./"))
            if not relative.startswith(("/", "..")):
                patterns.add(exact_pattern(relative))
    return tuple(sorted(patterns))


# Files a test runner reads to decide what runs and how (conftest.py runs as code at collection).
_PYTEST = ("conftest.py", "/pytest.ini", "/.pytest.ini", "/pyproject.toml", "/tox.ini", "/setup.cfg")
_RUNNER_FILES: dict[str, tuple[str, ...]] = {
    "pytest": _PYTEST,
    "py.test": _PYTEST,
    "tox": ("/tox.ini", "/setup.cfg", "/pyproject.toml"),
    "nox": ("/noxfile.py",),
    "make": ("/Makefile", "/makefile", "/GNUmakefile", "*.mk"),
    "testr": ("/.testr.conf",),
    "stestr": ("/.stestr.conf",),
    "npm": ("/package.json",),
    "yarn": ("/package.json",),
    "pnpm": ("/package.json",),
}
_SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".mk", ".cfg", ".ini", ".toml", ".json", ".yaml", ".yml")


def _refused_paths(patch: str, protected: Collection[str]) -> str:
    try:
        files = parse_patch_text(patch, source="fix")
    except InputError as exc:
        return f"not a usable diff: {exc}"
    for file in files:
        for path in filter(None, (file.path, file.old_path)):
            try:
                check_path(path, write=True, protected=protected)
            except WorkspaceError as exc:
                return f"refused: {exc}"
    return "" if files else "refused: an empty diff"


# --- the stage ----------------------------------------------------------------------------------------


class FixStage:
    """One round's fixes: reviewer workspaces, the merge, the gate. ``close()`` removes every workspace.

    :param untrusted: the change is a stranger's: the gate runs only in a namespace sandbox (see
        reviewkit/sandbox.py); where none works, fixes are proposed, not merged, and the note says why.
    :param test_network: ``code_review.test_network``; False gives the gate loopback only.
    """

    def __init__(
        self,
        repo: Path,
        head: str,
        *,
        test_command: str | None,
        test_timeout_s: float,
        auto_merge: bool,
        sequential: bool,
        protected: Collection[str] = (),
        deadline: float = float("inf"),
        untrusted: bool = False,
        test_network: bool = True,
    ) -> None:
        self.factory = WorkspaceFactory(repo, head, protected=protected)
        self.factory.warm()
        self.merger = FixMerger(repo, self.factory.commit, protected=protected)
        self.deadline = deadline
        self.test_command = test_command
        self.test_timeout_s = test_timeout_s
        self.auto_merge = auto_merge
        self.sequential = sequential
        self.untrusted = untrusted
        self.test_network = test_network
        self._workspaces: dict[str, tuple[Workspace, str]] = {}
        self._infos: dict[str, Workspace] = {}

    def workspace_for(self, reviewer: str, paths: Sequence[str]) -> Workspace:
        """A reviewer's own lazy workspace; in sequential mode it starts from the fixes merged so far."""
        start = self.merger.current if self.sequential else self.factory.commit
        workspace = self.factory.create(start=start if start != self.factory.commit else None, sparse=paths)
        self._workspaces[reviewer] = (workspace, start)
        self._infos[reviewer] = workspace
        return workspace

    def info(self, reviewer: str) -> WorkspaceInfo:
        """Which backend served the reviewer's workspace and how long it took ('none' if unused)."""
        workspace = self._infos.get(reviewer)
        return workspace.info if workspace is not None else WorkspaceInfo()

    def collect(self, reviewer: str, patches: Sequence[str]) -> None:
        """Take a finished reviewer's fixes: its proposed patches, then its workspace's edits."""
        for patch in patches:
            if patch.strip():
                self.merger.add_patch(reviewer, patch)
        workspace, start = self._workspaces.pop(reviewer, (None, ""))
        if workspace is None or not workspace.created:
            return
        try:
            tree = workspace.tree()
            if tree != _tree_of(self.merger.repo, start):
                self.merger.add_tree(reviewer, tree)
        except (ReviewkitError, OSError) as exc:  # one reviewer's broken workspace drops its fix only
            self.merger.drop(reviewer, f"its workspace could not be read: {exc}")
        finally:
            workspace.close()

    def finish(self, progress: Callable[[str], None]) -> FixResult:
        """Gate the merged fixes; they are merged only when the tests pass and auto-merge is on."""
        result = self.merger.result()
        if result.commit is None:
            return result
        if not self.test_command:
            return _with(result, note="no test_command is configured: fixes are proposed, not merged")
        # The whole run's deadline (max_session_duration) bounds the gate too.
        timeout = min(self.test_timeout_s, self.deadline - time.monotonic())
        if timeout <= 0:
            return _with(result, note="the run's deadline passed before the test gate: fixes are not merged")
        progress(f"fixes: running the test gate: {self.test_command}")
        try:
            with self.factory.create(start=result.commit) as integration:
                tests = run_sandboxed(
                    self.test_command,
                    integration.root,
                    timeout_s=timeout,
                    network=self.test_network,
                    untrusted=self.untrusted,
                    repo=self.merger.repo,
                )
                result = _with(result, workspace=integration.info)
        except (ReviewkitError, OSError) as exc:
            return _with(result, note=f"the test gate could not run: {exc}; fixes are not merged")
        if not tests.passed:
            return _with(result, tests=tests, note="the test gate failed: fixes are discarded")
        if not self.auto_merge:
            return _with(result, tests=tests, note="supervisor.auto_merge_fixes is false: fixes are proposed")
        return _with(result, tests=tests, merged=True)

    def close(self) -> None:
        self.factory.close()


def _with(result: FixResult, **changes: object) -> FixResult:
    return replace(result, **changes)  # type: ignore[arg-type]


def diff_between(repo: Path, old: str, new: str) -> str:
    # --text: attributes of the reviewed (untrusted) tree must not turn a fix into "Binary files differ".
    return git(repo, "diff", "--text", "--no-ext-diff", "--no-textconv", "--binary", old, new).stdout.decode(
        "utf-8", "replace"
    )


def _tree_of(repo: Path, commit: str) -> str:
    return git(repo, "rev-parse", f"{commit}^{{tree}}").stdout.decode().strip()


# --- which findings are fixed -------------------------------------------------------------------------


def changed_lines(patch: str) -> dict[str, set[int] | None]:
    """Head lines a patch changes or removes, per head path (None: the whole file is deleted)."""
    changed: dict[str, set[int] | None] = {}
    for file in parse_patch_text(patch, source="fix"):
        path = file.old_path or file.path
        if file.status.value == "deleted":
            changed[path] = None
            continue
        lines = changed.setdefault(path, set())
        if lines is not None:
            lines.update(
                line.old_number
                for hunk in file.hunks
                for line in hunk.lines
                if line.kind == "-" and line.old_number is not None
            )
    return changed


def is_fixed(
    finding: Finding, changed: Mapping[str, set[int] | None], read_result: Callable[[str], str | None]
) -> bool:
    """Whether a merged fix fixes ``finding`` (see the module docstring for the rule)."""
    if finding.side is Side.BASE:
        text = read_result(finding.path)
        return text is not None and " ".join(finding.evidence.split()) in " ".join(text.split())
    if finding.path not in changed:
        return False
    lines = changed[finding.path]
    return lines is None or any(n in lines for n in range(finding.line, finding.last_line + 1))


def reader_at(repo: Path, commit: str) -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        out = git(repo, "cat-file", "blob", f"{commit}:{path}", check=False)
        return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None

    return read


def apply_to_checkout(repo: Path, patch: str) -> None:
    """``--apply``: write the merged fixes into the user's working tree, all or nothing."""
    data = patch.encode("utf-8", "surrogateescape")
    check = git(repo, "apply", "--check", "--binary", "--whitespace=nowarn", "-", input=data, check=False)
    if check.returncode != 0:
        detail = check.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(
            f"--apply: the merged fixes do not apply to the working tree of {repo}: "
            f"{detail[0] if detail else 'git apply failed'}; nothing was written"
        )
    git(repo, "apply", "--binary", "--whitespace=nowarn", "-", input=data)
