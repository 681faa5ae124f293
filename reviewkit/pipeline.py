"""One review run, stage by stage: change -> router -> scheduler -> verdicts -> policy -> report.

Each stage lives in its own module; this one only wires them together and owns no review logic. What
the run is asked and shares (the request, the prepared run) is in :mod:`run_context`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from reviewkit import diff as diffs
from reviewkit import gitdiff, isolation, router
from reviewkit.acceptance import apply as apply_acceptances
from reviewkit.acceptance import blocks_unless_accepted
from reviewkit.confined import exact_pattern
from reviewkit.findings import Finding, Side
from reviewkit.fixes import FixStage, gate_files
from reviewkit.memory import Recall
from reviewkit.memory_stage import with_recalled
from reviewkit.policy import Decision
from reviewkit.report import Report, Round, Skipped
from reviewkit.reviewer import ContextResults, ReviewContext
from reviewkit.rounds import (
    RoundResult,
    decide_rounds,
    final_fixes,
    proposed_only,
    wants_another_round,
    with_fixes,
)
from reviewkit.router import Selected
from reviewkit.run_context import ReviewRequest, RunContext, prepare
from reviewkit.scheduler import Job, Outcome, run_jobs
from reviewkit.sources import GitSnapshot
from reviewkit.suppress import note_config_claims
from reviewkit.triggers import Firing
from reviewkit.verdict import (
    Fix,
    NotReviewed,
    Status,
    Usage,
    Verdict,
    decide_status,
    error_verdict,
    evidence_matches,
)

Progress = Callable[[str], None]


# --- routing ---------------------------------------------------------------------------------------------


def select_reviewers(run: RunContext) -> list[Selected]:
    """The reviewers this run considers, each with its trigger evaluated (see reviewkit.router)."""
    return router.select_reviewers(
        run.config, run.plugins.reviewers, run.change, labels=run.request.labels, only=run.request.reviewers
    )


def explain(run: RunContext) -> dict[str, Any]:
    """``reviewkit explain``: which reviewers fire, by which trigger, on which paths."""
    return router.explain(select_reviewers(run) if run.config.enabled else [])


# --- reviewing -------------------------------------------------------------------------------------------


def review(request: ReviewRequest, progress: Progress | None = None) -> Report:
    """Run one review from start to report."""
    run = prepare(request)
    try:
        return review_prepared(run, progress)
    finally:
        _close_snapshots(run)


def review_prepared(run: RunContext, progress: Progress | None = None) -> Report:
    """Review, merge fixes, gate them; with ``--rounds N`` re-review the merged result until done."""
    say = progress or (lambda _message: None)
    if not run.config.enabled:
        return _report(run, [RoundResult(skipped=(Skipped(reviewer="*", reason="code_review.enabled is false"),))])
    if run.change.is_empty:  # nothing to approve or block: no reviewer runs (the report says so)
        select_reviewers(run)  # but a configuration mistake is reported whatever the change
        return _report(run, [RoundResult()])
    added, deleted = sum(f.added for f in run.change.files), sum(f.deleted for f in run.change.files)
    say(f"reviewing {len(run.change.files)} file(s), +{added} -{deleted} ({run.change.source})")
    history: list[RoundResult] = []
    current = run
    try:
        for number in range(1, run.request.rounds + 1):
            if number > 1:
                say(f"round {number}: reviewing the merged fixes")
            history.append(_review_round(current, say))
            if number == run.request.rounds or not wants_another_round(history[-1]):
                break
            fixes = history[-1].fixes
            current = _next_round(run, current, fixes.commit if fixes.merged else None)
    finally:
        if current is not run:
            _close_snapshots(current)
    report = _report(run, history)
    _notify_finished(current, report)
    return report


def _review_round(run: RunContext, say: Progress) -> RoundResult:
    selected = select_reviewers(run)
    skipped = [
        Skipped(reviewer=s.name, reason=f"not triggered: {s.firing.reason}") for s in selected if not s.firing.fired
    ]
    runnable, cannot_run = [], []
    for s in selected:
        if not s.firing.fired:
            continue
        if s.registered.reviewer.needs_model and run.model is None:
            if s.blocking and run.config.required_without_model(s.name):
                cannot_run.append(_cannot_run(run, s))
            else:
                skipped.append(Skipped(reviewer=s.name, reason=run.model_unavailable))
        else:
            runnable.append(s)
    stage = _fix_stage(run) if runnable else None
    try:
        verdicts, dropped, declared = _run_reviewers(run, runnable, say, stage)
        fixes = stage.finish(say) if stage is not None else proposed_only(verdicts)
        infos = {s.name: stage.info(s.name) for s in runnable} if stage is not None else {}
    finally:
        if stage is not None:
            stage.close()
    verdicts = [
        with_fixes(
            v,
            fixes,
            repo=run.repo,
            blocks=blocks_unless_accepted(s.registered.reviewer.blocks),
            workspace=infos.get(s.name),
            declared=declared.get(s.name),
        )
        for s, v in zip(runnable, verdicts, strict=True)
    ]
    if run.request.untrusted:
        verdicts = note_config_claims(verdicts, base=run.config, head=run.head_config)
    skipped += [Skipped(reviewer=v.reviewer, reason=v.summary) for v in verdicts if v.status is Status.SKIPPED]
    return RoundResult(verdicts=(*verdicts, *cannot_run), skipped=tuple(skipped), dropped=dropped, fixes=fixes)


def _cannot_run(run: RunContext, selected: Selected) -> Verdict:
    """A blocking reviewer the configuration requires could not run: the review is incomplete (exit 3)."""
    where = run.config.path or "the configuration"
    return error_verdict(
        selected.name,
        blocking=True,
        trigger=selected.firing.trigger,
        error=(
            f"did not run: it {run.model_unavailable.removeprefix('needs a model; ')} and {where} makes it "
            f"blocking; set optional_without_model = true for it to skip it when no model is available"
        ),
    )


def _fix_stage(run: RunContext) -> FixStage | None:
    """Fixes need a commit to start from: a ``--diff`` run only proposes them."""
    if run.repo is None or run.change.head is None:
        return None
    config = run.config
    protected = {exact_pattern(agent.prompt_file.as_posix()) for agent in config.review_agents}
    if config.path is not None and config.path.resolve().is_relative_to(run.repo):
        protected.add(exact_pattern(config.path.resolve().relative_to(run.repo).as_posix()))
    protected.update(gate_files(config.test_command))
    return FixStage(
        run.repo,
        run.change.head,
        test_command=config.test_command,
        test_timeout_s=config.test_timeout_s,
        auto_merge=config.auto_merge_fixes,
        sequential=not config.parallel,
        protected=protected,
        deadline=run.started + config.max_session_duration_s,
        untrusted=run.request.untrusted,
        test_network=config.test_network,
    )


def _next_round(first: RunContext, current: RunContext, commit: str | None) -> RunContext:
    """The next round reviews base..(merged fixes), or the same head again when the gate failed."""
    if current is not first:
        _close_snapshots(current)
    assert first.repo is not None and first.change.base is not None
    head = commit or current.change.head
    assert head is not None
    change = gitdiff.from_git(first.repo, first.change.base, head)
    memory = first.memory.moved(head)
    return replace(
        current,
        change=change,
        head=GitSnapshot(first.repo, head),
        base=GitSnapshot(first.repo, first.change.base),
        memory=memory,
    )


def _close_snapshots(run: RunContext) -> None:
    for snapshot in (run.head, run.base):
        close = getattr(snapshot, "close", None)
        if close is not None:
            close()


def _run_reviewers(
    run: RunContext, runnable: Sequence[Selected], say: Progress, stage: FixStage | None = None
) -> tuple[list[Verdict], int, dict[str, frozenset[tuple[str, str, str]] | None]]:
    """Run the reviewers; their verdicts, the findings dropped for evidence, and the fixes each declared."""
    contexts: dict[str, ReviewContext] = {}
    recalls = {s.name: run.memory.recall(s, _matched_files(run.change, s.firing)) for s in runnable}
    jobs = [_job(run, s, contexts, stage, recalls[s.name]) for s in runnable]
    deadline = run.started + run.config.max_session_duration_s
    concurrency = run.config.max_concurrent if run.config.parallel else 1
    sequential = concurrency == 1

    def done(outcome: Outcome) -> None:
        state = "error" if outcome.error else ("skipped" if outcome.skipped else "done")
        say(f"{outcome.name}: {state} ({outcome.duration_s:.1f}s)")
        if outcome.after is not None:  # what the review added to its context, back from its process
            contexts[outcome.name]._take_results(outcome.after)
        # One at a time, the next reviewer starts only after this: it sees these fixes.
        if sequential and stage is not None and _fix_stands(outcome, contexts.get(outcome.name)):
            stage.collect(outcome.name, contexts[outcome.name].patches)

    for s in runnable:
        say(f"{s.name}: started ({s.firing.trigger})")
    preload = getattr(run.model, "preload", None)
    if preload is not None and runnable:
        preload()
    outcomes = run_jobs(
        jobs,
        max_concurrent=concurrency,
        deadline=deadline,
        job_timeout_s=run.config.reviewer_timeout_s,
        on_done=done,
    )
    if not sequential and stage is not None:
        for s in runnable:  # every reviewer has finished: merge in the stable (configured) order
            if _fix_stands(outcomes[s.name], contexts.get(s.name)):
                stage.collect(s.name, contexts[s.name].patches)
    verdicts, dropped = [], 0
    for s in runnable:
        outcome, context, recall = outcomes[s.name], contexts.get(s.name), recalls[s.name]
        verdict, lost = _verdict(run, s, with_recalled(outcome, recall), context)
        verdicts.append(run.memory.remembered(s, verdict, outcome, context, recall))
        dropped += lost
    return verdicts, dropped, {name: context.declared_fixes for name, context in contexts.items()}


def _completed(outcome: Outcome) -> bool:
    return outcome.error is None and outcome.skipped is None


def _fix_stands(outcome: Outcome, context: ReviewContext | None) -> bool:
    """A fix is taken from a reviewer that completed, unless the reviewer abandoned it."""
    return _completed(outcome) and context is not None and context.fix_error is None


def _job(
    run: RunContext,
    selected: Selected,
    contexts: dict[str, ReviewContext],
    stage: FixStage | None,
    recall: Recall | None = None,
) -> Job:
    """One reviewer's job: its context is made in this process just before it starts (in sequential mode
    its workspace starts from the fixes before it); the review runs where the scheduler puts it. With
    review memory, the reviewer sees only the files memory could not serve."""

    def prepare() -> None:
        contexts[selected.name] = ReviewContext(
            reviewer=selected.name,
            change=run.change,
            files=recall.to_review if recall is not None else _matched_files(run.change, selected.firing),
            reused=recall.reused if recall is not None else (),
            learnings=run.learnings,
            head=run.head,
            base=run.base,
            config=run.config,
            trigger=selected.firing.trigger,
            options=selected.registered.options,
            labels=run.request.labels,
            goal=run.goal,
            repo=run.repo,
            model=run.model,
            workspace=stage.workspace_for(selected.name, run.change.paths) if stage is not None else None,
            untrusted=run.request.untrusted,
            _blocks=lambda finding: selected.blocking and selected.registered.reviewer.blocks(finding),
        )

    def work(deadline: float) -> list[Finding]:
        context = contexts[selected.name]
        context.deadline = deadline
        if recall is not None and not recall.to_review:
            return []  # every file is served from memory: nothing to review
        if context.workspace is not None and isolation.in_child():
            context.workspace.create_with(lambda: isolation.ask_parent("workspace"))
        return _collect(selected.registered.reviewer.review(context), selected.name)

    def results() -> ContextResults:
        return contexts[selected.name]._results()

    def workspace() -> Any:
        made = contexts[selected.name].workspace
        return made.materialize() if made is not None else None

    return Job(name=selected.name, run=work, prepare=prepare, services={"workspace": workspace}, after=results)


def _matched_files(change: diffs.Change, firing: Firing) -> tuple[diffs.FileChange, ...]:
    if not firing.matched_paths:
        return change.files
    wanted = set(firing.matched_paths)
    return tuple(f for f in change.files if f.path in wanted)


def _collect(result: Iterable[Finding] | None, name: str) -> list[Finding]:
    """Run a reviewer's (possibly lazy) result to the end and check that it is made of Findings."""
    if result is None:
        return []
    if not isinstance(result, Iterable) or isinstance(result, str | bytes | dict):
        raise TypeError(f"review() returned {type(result).__name__}; expected Findings")
    findings = list(result)
    for item in findings:
        if not isinstance(item, Finding):
            raise TypeError(f"review() produced {type(item).__name__}; expected reviewkit.Finding")
        if not item.rule.startswith(f"{name}/"):
            raise TypeError(f"finding rule {item.rule!r} must start with the reviewer's name, {name + '/'!r}")
    return findings


def _verdict(
    run: RunContext, selected: Selected, outcome: Outcome, context: ReviewContext | None
) -> tuple[Verdict, int]:
    base = Verdict(
        reviewer=selected.name,
        status=Status.PASS,
        blocking=selected.blocking,
        trigger=selected.firing.trigger,
        duration_s=outcome.duration_s,
        usage=context.usage if context else Usage(),
    )
    if outcome.error is not None:
        return replace(
            error_verdict(
                selected.name,
                blocking=selected.blocking,
                trigger=selected.firing.trigger,
                error=outcome.error,
                duration_s=outcome.duration_s,
            ),
            usage=base.usage,
        ), 0
    if outcome.skipped is not None:
        return replace(base, status=Status.SKIPPED, summary=outcome.skipped), 0
    assert context is not None
    findings = list(outcome.value)
    try:
        run.plugins.manager.hook.modify_findings(context=context, findings=findings)
    except Exception as exc:  # a filter plugin's crash must not pass the review silently
        error = f"a modify_findings plugin failed: {type(exc).__name__}: {exc}"
        return replace(base, status=Status.ERROR, error=error, summary=f"review not completed: {error}"), 0
    kept = _unique(f for f in findings if evidence_matches(f, _line_reader(run)))
    dropped = len(_unique(findings)) - len(kept)
    reviewer = selected.registered.reviewer
    kept = [replace(f, blocking=selected.blocking and reviewer.blocks(f)) for f in kept]
    kept = apply_acceptances(kept, run.request.accepted)
    status = decide_status(kept, blocking=selected.blocking, blocks=blocks_unless_accepted(reviewer.blocks))
    patch = None if context.fix_error else ("".join(context.patches) or None)
    verdict = replace(
        base,
        status=status,
        findings=tuple(kept),
        summary=_summary(kept, context.notes, dropped),
        fix=Fix(patch=patch, merged=False, error=context.fix_error),
    )
    return _with_unreviewed(verdict, context.unreviewed), dropped


def _with_unreviewed(verdict: Verdict, unreviewed: Sequence[tuple[str, str]]) -> Verdict:
    """Files the reviewer could not analyse make its review incomplete; its findings still stand."""
    if not unreviewed:
        return verdict
    shown = "; ".join(f"{path} ({reason})" for path, reason in unreviewed[:5])
    more = f" and {len(unreviewed) - 5} more" if len(unreviewed) > 5 else ""
    error = f"could not analyse {len(unreviewed)} changed file(s): {shown}{more}"
    return replace(
        verdict,
        status=Status.ERROR,
        error=error,
        summary=f"review not completed: {error}; {verdict.summary}",
        not_reviewed=tuple(NotReviewed(path=path, reason=reason) for path, reason in unreviewed),
    )


def _line_reader(run: RunContext) -> Callable[[Side, str], list[str] | None]:
    def read(side: Side, path: str) -> list[str] | None:
        return (run.head if side is Side.HEAD else run.base).lines(path)

    return read


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _summary(findings: Sequence[Finding], notes: Sequence[str], dropped: int) -> str:
    parts = [f"{len(findings)} finding(s)" if findings else "no findings"]
    if dropped:
        parts.append(f"{dropped} finding(s) dropped: evidence did not match the code")
    parts.extend(notes)
    return "; ".join(parts)


def _report(run: RunContext, history: Sequence[RoundResult]) -> Report:
    """The report: the last round's verdicts, the final decision and fixes, and every round when asked."""
    decisions = [decide_rounds(history[: i + 1]) for i in range(len(history))]
    outcome, last = decisions[-1], history[-1]
    rounds = None
    if run.request.rounds > 1:
        rounds = tuple(Round(decision=d.decision, verdicts=r.verdicts) for d, r in zip(decisions, history, strict=True))
    return Report(
        decision=outcome.decision,
        exit_code=int(outcome.exit_code),
        reason=outcome.reason if last.verdicts or run.change.files else "nothing to review: the change is empty",
        base=run.change.base,
        head=run.change.head,
        files=run.change.files,
        verdicts=last.verdicts,
        skipped=last.skipped,
        fixes=final_fixes(history, repo=run.repo, head=run.change.head),
        dropped_findings=last.dropped,
        rounds=rounds,
        source=run.change.source,
    )


def _notify_finished(run: RunContext, report: Report) -> None:
    for impl in run.plugins.manager.hook.review_finished.get_hookimpls():
        args = {"context": run, "report": report}
        try:
            impl.function(*(args[name] for name in impl.argnames))
        except Exception as exc:  # observers never decide a run
            print(f"reviewkit: warning: plugin {impl.plugin_name!r} review_finished failed: {exc}", file=sys.stderr)


__all__ = ["Decision", "ReviewRequest", "RunContext", "explain", "prepare", "review", "select_reviewers"]
