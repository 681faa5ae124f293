"""The command line: ``main(argv) -> int``. Errors become one line on stderr and exit code 2, here only."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from reviewkit.errors import ExitCode, ReviewkitError
from reviewkit.version import __version__

# The lists --help shows, kept here rather than imported, so that parsing the command line (and
# ``reviewkit --version``) loads nothing else; tests check they match their modules.
LEVELS = ("blocking", "critical", "high", "medium", "low", "info")
DEFAULT_BASELINE = ".reviewkit-baseline.json"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what is wrong and where to look), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"reviewkit: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reviewkit", description="Pluggable automated code review: run reviewers on a diff.")
    parser.add_argument("--version", action="version", version=f"reviewkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add_command in (_review, _explain, _reviewers, _rules, _baseline, _init, _merge, *_extra_commands()):
        add_command(commands)
    return parser


def _review(commands: Any) -> None:
    review = commands.add_parser("review", help="review a change and decide whether it may merge")
    _selection_flags(review)
    review.add_argument(
        "--pre-push",
        action="store_true",
        help="review what pre-commit's pre-push stage says is being pushed "
        "(PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF; the whole tree on a first push)",
    )
    review.add_argument("--rounds", type=_positive_int, default=1, metavar="N", help="review rounds (default 1)")
    review.add_argument(
        "--untrusted",
        action="store_true",
        help="review a stranger's change: configuration and prompts from the base revision, suppressions the "
        "change adds do not count, a model may not dismiss blocking findings",
    )
    _fix_flags(review)
    _gate_flags(review)
    review.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="FINGERPRINT[:REASON]",
        help="accept a finding (its fingerprint, or 8+ of its first hex digits): still reported, no longer "
        "blocking; trusted runs only",
    )
    review.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="review every file afresh: do not reuse results from review memory (docs/review-memory.md)",
    )
    review.add_argument("--progress", action="store_true", help="print progress on stderr even when not a terminal")
    _output_flags(review)


def _gate_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline", metavar="FILE", help="hide findings recorded by 'reviewkit baseline' (says how many)"
    )
    parser.add_argument(
        "--fail-level",
        choices=LEVELS,
        default="blocking",
        metavar="LEVEL",
        help="also exit 1 on any finding at or above this severity (critical, high, medium, low, info); "
        "default: blocking findings only",
    )
    parser.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when findings block (an incomplete review still exits 3)"
    )


def _explain(commands: Any) -> None:
    explain = commands.add_parser("explain", help="say which reviewers fire on a change and why")
    _selection_flags(explain)
    explain.add_argument(
        "--format", choices=("text", "json"), help="default: text on a terminal, JSON when piped or redirected"
    )


def _reviewers(commands: Any) -> None:
    reviewers = commands.add_parser("reviewers", help="list registered reviewers")
    reviewers.add_argument("--format", choices=("text", "json"), default="text")
    _plugin_flags(reviewers)


def _rules(commands: Any) -> None:
    rules = commands.add_parser("rules", help="describe the rules reviewers report, with an example and the fix")
    rules.add_argument("rule", nargs="?", metavar="RULE", help="a rule id (security/yaml-load) or a reviewer name")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    _plugin_flags(rules)


def _baseline(commands: Any) -> None:
    baseline = commands.add_parser(
        "baseline", help="record today's findings so that --baseline hides them (deterministic reviewers only)"
    )
    baseline.add_argument(
        "file", nargs="?", default=DEFAULT_BASELINE, metavar="FILE", help=f"default {DEFAULT_BASELINE}"
    )
    baseline.add_argument("--base", metavar="REV", help="record only base..head (default: the whole tree at head)")
    baseline.add_argument("--head", metavar="REV", help="the revision to record (default: HEAD)")
    baseline.add_argument("--reviewer", action="append", default=[], metavar="NAME", help="only these reviewers")
    _plugin_flags(baseline)


def _init(commands: Any) -> None:
    init = commands.add_parser("init", help="write .agents/config.toml and an example reviewer prompt")
    init.add_argument("--repo", type=Path, metavar="DIR")
    init.add_argument("--force", action="store_true", help="overwrite existing files")


def _merge(commands: Any) -> None:
    merge = commands.add_parser("merge", help="apply the merge policy to verdicts from sharded runs")
    merge.add_argument("verdict_files", nargs="+", metavar="VERDICT.json")
    _output_flags(merge)


def _extra_commands() -> list[Any]:
    """Commands that live in their own modules (``github``), each exposing ``add_parser(commands)``."""
    found = []
    for module_name in ("reviewkit.github_cli", "reviewkit.cache_cli"):
        try:
            module = __import__(module_name, fromlist=["add_parser"])
        except ImportError:
            continue
        found.append(module.add_parser)
    return found


def _selection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, metavar="DIR", help="repository (default: the current one)")
    parser.add_argument("--base", metavar="REV", help="base revision (default: merge-base with upstream)")
    parser.add_argument("--head", metavar="REV", help="head revision (default: HEAD)")
    parser.add_argument("--diff", metavar="FILE|-", help="review a patch file (or stdin) instead of a git range")
    parser.add_argument("--staged", action="store_true", help="review the staged changes (the index against HEAD)")
    parser.add_argument(
        "--worktree", action="store_true", help="review the working tree against HEAD, new untracked files included"
    )
    parser.add_argument("--label", action="append", default=[], metavar="NAME", help="a pull-request label")
    parser.add_argument("--goal", metavar="TEXT|@FILE", help="what the change is meant to do")
    parser.add_argument("--config", type=Path, metavar="FILE", help="configuration file")
    parser.add_argument("--reviewer", action="append", default=[], metavar="NAME", help="run only these reviewers")
    parser.add_argument("--offline", action="store_true", help="never call a model")
    parser.add_argument(
        "-p", dest="plugin_options", action="append", default=[], metavar="no:NAME", help="disable a plugin by name"
    )


def _plugin_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, metavar="DIR", help="repository (default: the current one)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="configuration file")
    parser.add_argument(
        "-p", dest="plugin_options", action="append", default=[], metavar="no:NAME", help="disable a plugin by name"
    )


def _fix_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--apply", action="store_true", help="write the merged fixes to the working tree (says what it wrote)"
    )
    parser.add_argument("--fix-patch", metavar="FILE", help="write the fixes as one patch file (git apply FILE)")
    parser.add_argument(
        "--no-test-gate",
        dest="test_gate",
        action="store_false",
        help="do not run test_command (pre-commit hooks): fixes are proposed, never merged",
    )


def _output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        default="text",
        metavar="FORMAT",
        help="text, json, sarif, markdown, github, rdjson (and plugin formats)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the output here instead of stdout")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:  # answered before building the parser, which imports every command
        print(f"reviewkit {__version__}")
        return 0
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    _interrupt_on_sigterm()
    try:
        return int(_dispatch(args))
    except ReviewkitError as exc:
        from reviewkit.display import visible  # a message may quote a file name from the change

        print(f"reviewkit: error: {visible(str(exc))}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("reviewkit: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def _interrupt_on_sigterm() -> None:
    """Treat SIGTERM (CI cancelling a job) like Ctrl-C, so workspaces, mounts and test processes are
    cleaned up on the same path."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _dispatch(args: argparse.Namespace) -> int:
    from reviewkit import commands

    handler = getattr(commands, f"cmd_{args.command.replace('-', '_')}", None)
    if handler is None:
        return int(args.handler(args))
    return int(handler(args))
