"""Review memory in a run: what memory holds for a reviewer before its job starts, and, after it, what
the verdict carries and what memory stores. The store itself is reviewkit.memory; the pipeline makes
one :class:`RunMemory` per run and calls it around each reviewer's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewkit.config import Config
from reviewkit.diff import FileChange
from reviewkit.findings import Learning
from reviewkit.learnings import digest_text
from reviewkit.memory import Recall, ReviewMemory, open_memory, reviewer_identity
from reviewkit.reviewer import ReviewContext
from reviewkit.router import Selected
from reviewkit.scheduler import Outcome
from reviewkit.verdict import MemoryUse, Verdict

SCOPES = ("file", "change")


@dataclass(kw_only=True)
class RunMemory:
    """The run's review memory, opened when the first reviewer that opted in asks for it (a run of
    reviewers that never reuse results costs nothing), and what every reviewer's results depend on
    besides its own configuration and the files: goal, learnings, labels, trust."""

    repo: Path | None = None
    base: str | None = None
    head: str | None = None
    asked: bool = False  # the run wanted memory (not --no-memory): a missing one is worth a note
    config: Config = field(default_factory=Config)
    goal: str | None = None
    learnings: tuple[Learning, ...] = ()
    labels: tuple[str, ...] = ()
    untrusted: bool = False
    _opened: tuple[ReviewMemory | None, str] | None = field(default=None, repr=False)

    def moved(self, head: str) -> RunMemory:
        """The same memory for base..``head`` (the next round of ``--rounds N``)."""
        return replace(self, head=head, _opened=None)

    def _open(self) -> tuple[ReviewMemory | None, str]:
        """The store (None, and why, when there is none)."""
        if self._opened is None:
            enabled = self.asked and self.config.memory_enabled
            self._opened = open_memory(self.repo, self.base, self.head, enabled=enabled)
        return self._opened

    def recall(self, selected: Selected, files: Sequence[FileChange]) -> Recall | None:
        """What memory holds for a reviewer that opted in (``Reviewer.memory_scope``); None otherwise."""
        reviewer = selected.registered.reviewer
        scope = getattr(reviewer, "memory_scope", "")
        store = self._open()[0] if scope in SCOPES else None
        if store is None:
            return None
        identity = reviewer_identity(
            reviewer,
            selected.name,
            config=self.config,
            options=selected.registered.options,
            goal=self.goal,
            learnings=digest_text(self.learnings),
            labels=self.labels,
            untrusted=self.untrusted,
        )
        return store.recall(identity, scope, files)

    def remembered(
        self,
        selected: Selected,
        verdict: Verdict,
        outcome: Outcome,
        context: ReviewContext | None,
        recall: Recall | None,
    ) -> Verdict:
        """Store what a completed review found (never an error, a skip or a file it could not read), and say
        in the verdict how much memory served."""
        store, note = self._opened or (None, "")
        if recall is None or store is None:
            wanted = getattr(selected.registered.reviewer, "memory_scope", "") in SCOPES
            if store is None and note and self.asked and wanted:  # it opted in, but there is no memory
                return replace(verdict, summary=f"{verdict.summary}; {note}")
            return verdict
        complete = outcome.error is None and outcome.skipped is None and context is not None
        if complete and context is not None and not context.unreviewed and recall.to_review:
            store.remember(
                recall,
                list(outcome.value),
                reviewer=selected.name,
                reviewed=recall.to_review,
                context=context.consulted_paths,
            )
        use = MemoryUse(reused=len(recall.reused), reviewed=len(recall.to_review))
        return replace(verdict, memory=use, summary="; ".join([verdict.summary, *_notes(recall)]))


def with_recalled(outcome: Outcome, recall: Recall | None) -> Outcome:
    """The reviewer's findings and those memory carried over, to be checked and decided on together."""
    if recall is None or not recall.findings or outcome.error is not None or outcome.skipped is not None:
        return outcome
    return replace(outcome, value=[*outcome.value, *recall.findings])


def _notes(recall: Recall) -> list[str]:
    notes = []
    if recall.reused:
        total = len(recall.reused) + len(recall.to_review)
        notes.append(f"{len(recall.reused)} of {total} file(s) reused from review memory (unchanged since reviewed)")
    if recall.ignored:
        notes.append(f"{recall.ignored} review memory entr(ies) ignored: corrupt, foreign or stale")
    return notes
