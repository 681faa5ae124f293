"""The subcommands behind reviewkit.cli: each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewkit.config import CONFIG_PATH, load_config
from reviewkit.console import blocked_plugins, dump_json, progress_printer, read_goal, use_color, write_output
from reviewkit.diff import FileChange, FileStatus
from reviewkit.errors import InputError
from reviewkit.git import find_repo_root
from reviewkit.pipeline import ReviewRequest, explain, prepare, review
from reviewkit.plugins import load_plugins
from reviewkit.policy import decide
from reviewkit.report import Report, Skipped
from reviewkit.reporter import Reporter
from reviewkit.schemas import validate
from reviewkit.triggers import parse_triggers
from reviewkit.verdict import Verdict


def request_from(args: argparse.Namespace) -> ReviewRequest:
    return ReviewRequest(
        repo=args.repo,
        base=args.base,
        head=args.head,
        diff_file=args.diff,
        labels=tuple(args.label),
        goal=read_goal(args.goal),
        config_path=args.config,
        reviewers=tuple(args.reviewer),
        offline=args.offline,
        apply=getattr(args, "apply", False),
        rounds=getattr(args, "rounds", 1),
        blocked_plugins=blocked_plugins(args.plugin_options),
        untrusted=getattr(args, "untrusted", False),
    )


def cmd_review(args: argparse.Namespace) -> int:
    request = request_from(args)
    reporter = _reporter_for(args.format, request)
    report = review(request, progress_printer())
    write_output(reporter.render(report, color=use_color(args.output)), args.output)
    return report.exit_code


def _reporter_for(name: str, request: ReviewRequest) -> Reporter:
    """The reporter for ``--format``, looked up before reviewing so a typo costs nothing."""
    config = load_config(find_repo_root((request.repo or Path.cwd()).resolve()), request.config_path)
    reporters = load_plugins(config, blocked=request.blocked_plugins).reporters
    if name not in reporters:
        raise InputError(f"--format {name}: unknown format; available: {', '.join(sorted(reporters))}")
    return reporters[name]


def cmd_explain(args: argparse.Namespace) -> int:
    run = prepare(request_from(args))
    write_output(dump_json(explain(run)), None)
    return 0


def cmd_reviewers(args: argparse.Namespace) -> int:
    repo = find_repo_root((args.repo or Path.cwd()).resolve())
    config = load_config(repo, args.config)
    plugins = load_plugins(config, blocked=blocked_plugins(args.plugin_options))
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
# reviewkit configuration; every key is described in reviewkit's README, "Configuration".
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
