"""The plugin author's API: the Reviewer base class and the ReviewContext a review receives."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol

from reviewkit.config import Config
from reviewkit.diff import Change, FileChange
from reviewkit.findings import Finding, Learning, Side
from reviewkit.sources import Snapshot
from reviewkit.verdict import Usage


class ModelAccess(Protocol):
    """What a reviewer may ask of the model (``context.model``; None when offline or without a key).

    The provider module implements it; reviewers never import the model SDK themselves. Text from
    the change, the goal and prompt files is always passed to the model as fenced, untrusted data.
    """

    def review_with_prompt(
        self, context: ReviewContext, *, instructions: str, model: str | None = None
    ) -> list[Finding]:
        """Ask the model to review ``context.files`` following ``instructions`` (reviewkit's shared
        prompt prefix with the diff comes first, cached). Returns findings with the reviewer's rule
        prefix; usage is recorded on ``context``. Raises ProviderError when no usable answer came."""
        ...

    def triage(
        self, context: ReviewContext, findings: list[Finding], *, instructions: str
    ) -> tuple[list[Finding], list[tuple[Finding, str]]]:
        """Ask the model which ``findings`` are false positives it can show are safe. Returns the
        findings kept and the dismissed ones, each with the model's reason."""
        ...

    def run_tool_loop(
        self,
        context: ReviewContext,
        *,
        instructions: str,
        tools: Sequence[dict[str, Any]],
        execute: Callable[[str, dict[str, Any]], str],
        max_turns: int = 20,
        max_tokens: int = 4096,
        model: str | None = None,
    ) -> Any:
        """Let the model work with ``tools`` until it ends its turn; each call is run by
        ``execute(name, input) -> str`` (see :func:`reviewkit.model_fixer.fix_with_model`)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextResults:
    """What a review adds to its ReviewContext besides findings: notes, fixes, usage, unread files."""

    notes: tuple[str, ...] = ()
    patches: tuple[str, ...] = ()
    usage: tuple[Usage, ...] = ()
    declared: frozenset[tuple[str, str, str]] | None = None
    not_reviewed: tuple[tuple[str, str], ...] = ()
    consulted: tuple[str, ...] = ()
    fix_error: str | None = None


class Rule(NamedTuple):
    """What one rule means, for ``reviewkit rules``: a one-line summary, a short example of code it
    flags, and how to fix it. A plain ``(summary, example, fix)`` tuple works as well."""

    summary: str
    example: str = ""
    fix: str = ""


class Reviewer:
    """Base class of every reviewer. Subclass it, set the class attributes, implement :meth:`review`,
    and hand an instance to ``register`` in a ``register_reviewers`` hook.

    :cvar name: unique, lowercase, e.g. ``"no-prints"``; rule ids start with it.
    :cvar description: one line shown by ``reviewkit reviewers``.
    :cvar blocking: whether unfixed findings block the merge by default (config can override).
    :cvar trigger: default trigger: ``"always"``, ``"path:<pattern>"``, ``"label:<name>"`` or a list.
    :cvar needs_model: True for reviewers that cannot work without a model; they are skipped, with
        that reason, when no model is available.
    :cvar rules: the rules it reports, by full id (``"no-prints/print"``), each a :class:`Rule` or a
        ``(summary, example, fix)`` tuple; ``reviewkit rules`` shows them.
    :cvar options_schema: the reviewer's ``[reviewer.NAME.options]`` as a JSON schema (draft 2020-12) of
        the options table, e.g. ``{"properties": {"max_lines": {"type": "integer", "minimum": 1,
        "default": 8}}}``. The core checks the configuration against it before any review (a bad value
        is a configuration error naming the file, line and key), rejects keys it does not name unless it
        sets ``additionalProperties``, and hands ``context.options`` over with the declared top-level
        defaults filled in. Every reviewer also accepts the core options ``token_budget``, ``fix`` and
        ``fix_max_calls``. None: the reviewer takes only those.
    :cvar memory_scope: whether review memory may reuse this reviewer's results (docs/review-memory.md):
        ``"file"`` when a finding depends only on the file it cites (and on files the review
        :meth:`ReviewContext.consulted`): unchanged files are not reviewed again; ``"change"`` when it
        judges the change as a whole: reused only when every file is the same; ``""`` (the default):
        never reused.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    blocking: ClassVar[bool] = False
    trigger: ClassVar[str | list[str]] = "always"
    needs_model: ClassVar[bool] = False
    rules: ClassVar[Mapping[str, Rule | tuple[str, ...]]] = {}
    options_schema: ClassVar[Mapping[str, Any] | None] = None
    memory_scope: ClassVar[str] = ""

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        """Review ``context.change``; yield (or return a list of) Findings.

        Raise :class:`reviewkit.Skip` to report that there is nothing to do. Any other exception,
        a hang past the deadline or a result that is not Findings becomes this reviewer's ``error``
        verdict; the other reviewers are not affected.
        """
        raise NotImplementedError

    def blocks(self, finding: Finding) -> bool:
        """Whether an unfixed ``finding`` blocks the merge when this reviewer is blocking.

        Default: every finding does. Override to block only on, say, high and critical severity.
        """
        return True


@dataclass(kw_only=True)
class ReviewContext:
    """What one reviewer sees of one run.

    :ivar change: the change under review.
    :ivar files: the changed files this reviewer's trigger matched (all files for ``always``).
    :ivar head: file contents at the reviewed head; ``base``: before the change.
    :ivar config: the run's configuration; ``options``: this reviewer's ``[reviewer.NAME.options]``,
        checked against its ``options_schema``, with the declared defaults filled in.
    :ivar labels: pull-request labels; ``goal``: what the change is meant to do, when known.
    :ivar repo: the repository root, or None when reviewing a patch file alone.
    :ivar model: model access, or None when offline / no API key.
    :ivar workspace: this reviewer's own copy of the head to edit, when the run gives it one.
    :ivar deadline: ``time.monotonic()`` value by which the review must end.
    :ivar untrusted: the change comes from someone the repository does not trust (``reviewkit github``,
        ``review --untrusted``): suppressions the change adds (``# nosec``, ``# noqa``) are claims, not
        instructions, and a model may add findings but never dismiss or demote one that blocks.
    :ivar reused: changed files of this reviewer's scope whose findings review memory carried over
        (unchanged since it reviewed them); they are not in ``files``. A model sees them only on request.
    :ivar learnings: the repository's learnings (findings its maintainers marked wrong), from the base
        revision in an untrusted review; the pipeline silences matching findings, and a model is told.
    """

    reviewer: str
    change: Change
    files: tuple[FileChange, ...]
    head: Snapshot
    base: Snapshot
    config: Config
    trigger: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    labels: tuple[str, ...] = ()
    goal: str | None = None
    repo: Path | None = None
    model: ModelAccess | None = None
    workspace: Any = None
    deadline: float = float("inf")
    untrusted: bool = False
    reused: tuple[str, ...] = ()
    learnings: tuple[Learning, ...] = ()
    _notes: list[str] = field(default_factory=list, repr=False)
    _patches: list[str] = field(default_factory=list, repr=False)
    _usage: list[Usage] = field(default_factory=list, repr=False)
    _declared: frozenset[tuple[str, str, str]] | None = field(default=None, repr=False)
    _not_reviewed: dict[str, str] = field(default_factory=dict, repr=False)
    _blocks: Callable[[Finding], bool] = field(default=lambda _finding: True, repr=False)
    _consulted: set[str] = field(default_factory=set, repr=False)
    _fix_error: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def offline(self) -> bool:
        return self.model is None

    def remaining_s(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def read(self, path: str, side: Side | str = Side.HEAD) -> str | None:
        """A file's text at the head (default) or base; None when it does not exist there."""
        return (self.head if Side(side) is Side.HEAD else self.base).read_text(path)

    def note(self, text: str) -> None:
        """Add a line to the verdict's summary (e.g. a file skipped because it does not parse)."""
        with self._lock:
            self._notes.append(text)

    def would_block(self, finding: Finding) -> bool:
        """Whether ``finding`` would block the merge in this run: the reviewer is blocking (as configured)
        and its :meth:`Reviewer.blocks` says so."""
        return self._blocks(finding)

    def not_reviewed(self, path: str, reason: str) -> None:
        """Say that a changed file this reviewer is responsible for could not be analysed, and why.

        Use it instead of skipping a file quietly (syntax the parser cannot read, a size limit, an
        encoding): the verdict lists it, and a blocking reviewer with such a file makes the review
        incomplete (exit 3). Unreadable is never clean. Analyse what you still can (line by line).
        """
        with self._lock:
            self._not_reviewed.setdefault(path, reason)

    def consulted(self, path: str) -> None:
        """Say that the review read changed file ``path`` as context for its findings about other files:
        review memory then reuses those findings only while ``path`` is unchanged too."""
        with self._lock:
            self._consulted.add(path)

    def fix_failed(self, reason: str) -> None:
        """Say that this reviewer's fix was abandoned, and why (a model fixer past its delegation depth or
        token budget). Its workspace edits must already be undone: the verdict's fix is an error, and
        nothing of it is proposed or merged."""
        with self._lock:
            self._fix_error = reason

    @property
    def fix_error(self) -> str | None:
        return self._fix_error

    @property
    def consulted_paths(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._consulted))

    @property
    def unreviewed(self) -> tuple[tuple[str, str], ...]:
        """``(path, reason)`` for each file reported with :meth:`not_reviewed`."""
        with self._lock:
            return tuple(self._not_reviewed.items())

    def propose_fix(self, patch: str, *, fixes: Iterable[Finding] | None = None) -> None:
        """Offer a unified diff (against the head) that fixes findings; the fix stage applies it.

        :param fixes: the findings this patch fixes. Once a reviewer names them (here or with
            :meth:`declare_fixes`), only named findings can be marked fixed; otherwise any finding whose
            cited lines the merged fix changed counts, which can credit a fix for a second problem on
            the same line.
        """
        with self._lock:
            self._patches.append(patch)
        if fixes is not None:
            self.declare_fixes(fixes)

    def declare_fixes(self, findings: Iterable[Finding]) -> None:
        """Name the findings that this reviewer's workspace edits fix (see :meth:`propose_fix`)."""
        keys = {finding.key for finding in findings}
        with self._lock:
            self._declared = (self._declared or frozenset()) | keys

    @property
    def declared_fixes(self) -> frozenset[tuple[str, str, str]] | None:
        """Keys of the findings the reviewer said its fixes fix; None when it said nothing."""
        return self._declared

    def add_usage(self, usage: Usage) -> None:
        with self._lock:
            self._usage.append(usage)

    def _results(self) -> ContextResults:
        """What a review added to this context, to carry it from a reviewer's process to the parent's."""
        with self._lock:
            return ContextResults(
                notes=tuple(self._notes),
                patches=tuple(self._patches),
                usage=tuple(self._usage),
                declared=self._declared,
                not_reviewed=tuple(self._not_reviewed.items()),
                consulted=tuple(sorted(self._consulted)),
                fix_error=self._fix_error,
            )

    def _take_results(self, results: ContextResults) -> None:
        """Hold exactly ``results`` (from the reviewer's process; in the same process, the same values)."""
        with self._lock:
            self._notes[:] = results.notes
            self._patches[:] = results.patches
            self._usage[:] = results.usage
            self._declared = results.declared
            self._not_reviewed = dict(results.not_reviewed)
            self._consulted = set(results.consulted)
            self._fix_error = results.fix_error

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self._notes)

    @property
    def patches(self) -> tuple[str, ...]:
        return tuple(self._patches)

    @property
    def usage(self) -> Usage:
        return Usage.total(self._usage)
