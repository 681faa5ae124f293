"""The subcommands behind reviewkit.cli: each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewkit import baseline, rules
from reviewkit.acceptance import from_command_line, local_user, unmatched
from reviewkit.apply import apply_fixes, write_fix_patch
from reviewkit.config import CONFIG_PATH, load_config
from reviewkit.console import blocked_plugins, dump_json, read_goal, use_color, write_output
from reviewkit.diff import FileChange, FileStatus
from reviewkit.errors import InputError
from reviewkit.exit_level import with_exit_options
from reviewkit.git import find_repo_root
from reviewkit.pipeline import ReviewRequest, explain, prepare, review
from reviewkit.plugins import load_plugins
from reviewkit.policy import ExitCode, decide
from reviewkit.progress import progress_for
from reviewkit.report import Report, Skipped
from reviewkit.reporter import Reporter
from reviewkit.reporters import builtin_reporters
from reviewkit.revisions import pre_push_range, whole_tree_base
from reviewkit.schemas import validate
from reviewkit.triggers import parse_triggers
from reviewkit.verdict import Status, Verdict


def request_from(args: argparse.Namespace) -> ReviewRequest:
    base, head = args.base, args.head
    if getattr(args, "pre_push", False):
        if base or head or args.diff or args.staged or args.worktree:
            raise InputError(
                "--pre-push takes the range from pre-commit; drop --base, --head, --diff, --staged and --worktree"
            )
        root = find_repo_root((args.repo or Path.cwd()).resolve())
        if root is None:
            raise InputError("--pre-push: not inside a git repository")
        base, head = pre_push_range(root, os.environ)
    accepted = getattr(args, "accept", [])
    if accepted and getattr(args, "untrusted", False):
        raise InputError("--accept and --untrusted contradict each other: a stranger's change is not accepted locally")
    return ReviewRequest(
        repo=args.repo,
        base=base,
        head=head,
        diff_file=args.diff,
        staged=args.staged,
        worktree=args.worktree,
        labels=tuple(args.label),
        goal=read_goal(args.goal),
        config_path=args.config,
        reviewers=tuple(args.reviewer),
        offline=args.offline,
        rounds=getattr(args, "rounds", 1),
        blocked_plugins=blocked_plugins(args.plugin_options),
        untrusted=getattr(args, "untrusted", False),
        test_gate=getattr(args, "test_gate", True),
        baseline=getattr(args, "baseline", None),
        accepted=from_command_line(accepted, by=local_user(find_repo_root((args.repo or Path.cwd()).resolve())))
        if accepted
        else (),
        memory=getattr(args, "memory", True),
    )


def cmd_review(args: argparse.Namespace) -> int:
    if args.exit_zero and args.fail_level != "blocking":
        raise InputError("--exit-zero and --fail-level contradict each other: pass one")
    for option, target in (("--fix-patch", args.fix_patch), ("--output", args.output)):
        _check_writable(option, target)
    request = request_from(args)
    reporter = _reporter_for(args.format, request)
    progress = progress_for(args.progress)
    try:
        report = review(request, progress)
    finally:
        if progress is not None:
            progress.close()
    for missed in unmatched(request.accepted, (f for v in report.verdicts for f in v.findings)):
        _say(f"--accept {missed.fingerprint}: no finding has this fingerprint (the code may have changed)")
    report = with_exit_options(report, fail_level=args.fail_level, exit_zero=args.exit_zero)
    write_output(reporter.render(report, color=use_color(args.output)), args.output)
    # Taking the fixes comes after the report, which is written whatever becomes of them.
    if args.fix_patch:
        _say(write_fix_patch(args.fix_patch, report.fixes, test_gate=request.test_gate))
    if args.apply:
        repo = find_repo_root((request.repo or Path.cwd()).resolve())
        _say(apply_fixes(repo, report.fixes, test_gate=request.test_gate))
    return report.exit_code


def _check_writable(option: str, target: str | None) -> None:
    """Refuse an output path in a missing directory before reviewing, so a typo costs nothing."""
    if target in (None, "-"):
        return
    parent = Path(str(target)).parent
    if not parent.is_dir():
        raise InputError(f"{option} {target}: directory {parent} does not exist")


def _say(message: str) -> None:
    print(f"reviewkit: {message}", file=sys.stderr, flush=True)


def _reporter_for(name: str, request: ReviewRequest) -> Reporter:
    """The reporter for ``--format``, looked up before reviewing so a typo costs nothing.

    The built-in formats need no plugin loading (a reporter name cannot be registered twice, so no
    plugin can replace them): the review loads the plugins once, not twice.
    """
    builtin = {reporter.name: reporter for reporter in builtin_reporters()}
    if name in builtin:
        return builtin[name]
    config = load_config(find_repo_root((request.repo or Path.cwd()).resolve()), request.config_path)
    reporters = load_plugins(config, blocked=request.blocked_plugins).reporters
    if name not in reporters:
        raise InputError(f"--format {name}: unknown format; available: {', '.join(sorted(reporters))}")
    return reporters[name]


def cmd_explain(args: argparse.Namespace) -> int:
    """JSON (the contract) when piped or asked for; a table a person reads on a terminal."""
    run = prepare(request_from(args))
    result = explain(run)
    as_json = args.format == "json" or (args.format is None and not sys.stdout.isatty())
    write_output(dump_json(result) if as_json else explain_text(result), None)
    return 0


def explain_text(result: dict[str, Any]) -> str:
    rows = result["details"]
    if not rows:
        return "no reviewers are configured\n"
    width = max(len(row["reviewer"]) for row in rows)
    lines = []
    for row in rows:
        state = "fires   " if row["fired"] else "no      "
        detail = row["trigger"]
        if row["matched_paths"]:
            shown = ", ".join(row["matched_paths"][:5])
            more = len(row["matched_paths"]) - 5
            detail += f" -> {shown}" + (f" and {more} more" if more > 0 else "")
        elif not row["fired"]:
            detail += f" ({row['reason']})" if row["reason"] else ""
        lines.append(f"{row['reviewer']:<{width}}  {state}{detail}")
    fired = len(result["reviewers"])
    lines.append(f"\n{fired} of {len(rows)} reviewer(s) fire; 'reviewkit explain --format json' for machines")
    return "\n".join(lines) + "\n"


def cmd_rules(args: argparse.Namespace) -> int:
    repo = find_repo_root((args.repo or Path.cwd()).resolve())
    plugins = load_plugins(load_config(repo, args.config), blocked=blocked_plugins(args.plugin_options), checkout=repo)
    entries = rules.select(rules.all_rules(plugins.reviewers), args.rule, plugins.reviewers)
    if args.format == "json":
        text = dump_json([entry.to_dict() for entry in entries])
    elif len(entries) == 1:
        text = rules.render_one(entries[0])
    else:
        text = rules.render_list(entries) + "\n'reviewkit rules RULE' shows one rule with an example and its fix\n"
    write_output(text, None)
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    """Review the whole tree (or base..head) with the deterministic reviewers; write every finding."""
    root = find_repo_root((args.repo or Path.cwd()).resolve())
    if root is None:
        raise InputError("baseline: not inside a git repository")
    _check_writable("baseline", args.file)
    request = ReviewRequest(
        repo=root,
        base=args.base or whole_tree_base(root),
        head=args.head,
        config_path=args.config,
        reviewers=tuple(args.reviewer),
        offline=True,  # model findings are not repeatable enough to fingerprint
        blocked_plugins=blocked_plugins(args.plugin_options),
        test_gate=False,
    )
    progress = progress_for(False)
    try:
        report = review(request, progress)
    finally:
        if progress is not None:
            progress.close()
    verdicts = report.verdicts
    findings = [finding for verdict in verdicts for finding in verdict.findings]
    write_output(dump_json(baseline.record(findings, head=report.head)), args.file)
    _say(
        f"baseline: recorded {len(findings)} finding(s) of {report.head and report.head[:12]} in {args.file}; "
        f"commit it, then 'reviewkit review --baseline {args.file}' hides them"
    )
    failed = [v.reviewer for v in verdicts if v.status is Status.ERROR]
    if failed:
        _say(f"baseline: {', '.join(failed)} did not complete: their findings are missing from it")
        return int(ExitCode.NOTIFY_MANAGEMENT)
    return 0


def cmd_reviewers(args: argparse.Namespace) -> int:
    repo = find_repo_root((args.repo or Path.cwd()).resolve())
    config = load_config(repo, args.config)
    plugins = load_plugins(config, blocked=blocked_plugins(args.plugin_options), checkout=repo)
    enabled = set(config.reviewers) | {a.name for a in config.review_agents}
    rows: list[dict[str, Any]] = []
    for name, entry in sorted(plugins.reviewers.items()):
        settings = config.settings_for(name)
        reviewer = entry.reviewer
        rows.append(
            {
                "name": name,
                "description": reviewer.description,
                "trigger": str(settings.trigger or parse_triggers(reviewer.trigger)),
                "blocking": settings.blocking if settings.blocking is not None else reviewer.blocking,
                "needs_model": reviewer.needs_model,
                "plugin": entry.plugin,
                "builtin": entry.builtin,
                "enabled": name in enabled or not entry.builtin,
            }
        )
    if args.format == "json":
        write_output(dump_json(rows), None)
        return 0
    width = max((len(row["name"]) for row in rows), default=4)
    lines = []
    for row in rows:
        flags = ["blocking" if row["blocking"] else "warning"]
        if row["needs_model"]:
            flags.append("needs a model")
        if not row["enabled"]:
            flags.append("not enabled in config")
        lines.append(f"{row['name']:<{width}}  {row['trigger']:<24}  [{', '.join(flags)}]  ({row['plugin']})")
        if row["description"]:
            lines.append(f"{'':<{width}}  {row['description']}")
    write_output("\n".join(lines) + "\n", None)
    return 0


_CONFIG_TEMPLATE = """\
# reviewkit configuration; every key is described in reviewkit's docs/configuration.md.
[code_review]
enabled = true
parallel = true
# Blocking: security, test-integrity, goal-adherence (needs a model and a goal). Warnings only:
# dependency-hygiene, architecture, duplication, concurrency, idioms; performance blocks only on a
# measured regression of bench_command (below). The built-in default is the first three.
reviewers = [
    "security", "test-integrity", "goal-adherence",
    "dependency-hygiene", "architecture", "duplication", "performance", "concurrency", "idioms",
]
# test_command = "pytest -q"          # the test gate for fixes; without it fixes are only proposed
model = "claude-sonnet-5-5"

[delegation]
max_concurrent = 5

[supervisor]
auto_merge_fixes = true
max_session_duration = "2h"

# Options of the built-in reviewers (docs/reviewers-extra.md lists them all):
# [reviewer.performance.options]
# bench_command = "python bench/run.py"   # run in base and head; blocks when the head is slower
# max_regression = 0.10                   # by more than this (medians of bench_repeat = 5 runs)
# [reviewer.dependency-hygiene.options]
# network = true                          # ask OSV and PyPI about added versions (opt-in)

# A reviewer of your own: a markdown prompt file, run by a model when ANTHROPIC_API_KEY is set.
[[review_agents]]
name = "example"
blocking = false
prompt_file = ".agents/reviewers/example.md"
trigger = "path:**/*.py"
"""

_PROMPT_TEMPLATE = """\
# Example reviewer

You review Python changes for readability problems that a linter cannot see:
misleading names, functions that do two things, comments that contradict the code.

Report only problems in lines the change adds. Quote the code exactly as evidence.
Do not report style issues that a formatter would fix.
"""


def cmd_init(args: argparse.Namespace) -> int:
    root = find_repo_root((args.repo or Path.cwd()).resolve()) or (args.repo or Path.cwd()).resolve()
    files = {root / CONFIG_PATH: _CONFIG_TEMPLATE, root / ".agents/reviewers/example.md": _PROMPT_TEMPLATE}
    existing = [path for path in files if path.exists()]
    if existing and not args.force:
        raise InputError(f"{existing[0]} already exists; pass --force to overwrite")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_output(text, str(path))
        print(f"wrote {path.relative_to(root)}")
    return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shard:
    """What one sharded run contributes to ``reviewkit merge``."""

    base: str | None = None
    head: str | None = None
    files: tuple[FileChange, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    dropped_findings: int = 0


def cmd_merge(args: argparse.Namespace) -> int:
    shards = [_read_shard(Path(name)) for name in args.verdict_files]
    heads = {s.head for s in shards if s.head}
    if len(heads) > 1:
        raise InputError(f"verdict files review different heads: {', '.join(sorted(heads))}")
    verdicts = [v for s in shards for v in s.verdicts]
    names = [v.reviewer for v in verdicts]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError(f"reviewer {duplicate!r} appears in more than one verdict file")
    outcome = decide(verdicts)
    first = next((s for s in shards if s.head), shards[0])
    merged = Report(
        decision=outcome.decision,
        exit_code=int(outcome.exit_code),
        reason=outcome.reason,
        base=first.base,
        head=first.head,
        files=first.files,
        verdicts=tuple(verdicts),
        skipped=tuple(s for shard in shards for s in shard.skipped),
        dropped_findings=sum(s.dropped_findings for s in shards),
        source="merged: " + ", ".join(args.verdict_files),
    )
    reporter = _reporter_for(args.format, ReviewRequest())
    write_output(reporter.render(merged, color=use_color(args.output)), args.output)
    return merged.exit_code


def _read_shard(path: Path) -> _Shard:
    """A report (``--format json``), one verdict, or a list of verdicts, validated against the schemas."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from exc
    if isinstance(data, dict) and "schema_version" in data:
        _check(path, "report", data)
        return _Shard(
            base=data["base"],
            head=data["head"],
            files=tuple(_file_from_dict(f) for f in data["files"]),
            verdicts=tuple(Verdict.from_dict(v) for v in data["verdicts"]),
            skipped=tuple(Skipped(reviewer=s["reviewer"], reason=s["reason"]) for s in data["skipped"]),
            dropped_findings=data["dropped_findings"],
        )
    items: list[Any] = data if isinstance(data, list) else [data]
    for item in items:
        _check(path, "verdict", item)
    return _Shard(verdicts=tuple(Verdict.from_dict(v) for v in items))


def _file_from_dict(data: dict[str, Any]) -> FileChange:
    return FileChange(
        path=data["path"],
        old_path=data["old_path"],
        status=FileStatus(data["status"]),
        added=data["added"],
        deleted=data["deleted"],
        binary=data["binary"],
    )


def _check(path: Path, schema: str, data: Any) -> None:
    errors = validate(schema, data)
    if errors:
        raise InputError(f"{path}: not a valid {schema}: {errors[0]}")
