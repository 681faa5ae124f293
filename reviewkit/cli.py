"""The command line: ``main(argv) -> int``. Errors become one line on stderr and exit code 2, here only."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from reviewkit.errors import ReviewkitError
from reviewkit.policy import ExitCode
from reviewkit.version import __version__


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what is wrong and where to look), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"reviewkit: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reviewkit", description="Pluggable automated code review: run reviewers on a diff.")
    parser.add_argument("--version", action="version", version=f"reviewkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    review = commands.add_parser("review", help="review a change and decide whether it may merge")
    _selection_flags(review)
    review.add_argument("--apply", action="store_true", help="write merged fixes to the working tree")
    review.add_argument("--rounds", type=_positive_int, default=1, metavar="N", help="review rounds (default 1)")
    review.add_argument(
        "--untrusted",
        action="store_true",
        help="review a stranger's change: configuration and prompts from the base revision, suppressions the "
        "change adds do not count, a model may not dismiss blocking findings",
    )
    _output_flags(review)

    explain = commands.add_parser("explain", help="say which reviewers fire on a change and why (JSON)")
    _selection_flags(explain)

    reviewers = commands.add_parser("reviewers", help="list registered reviewers")
    reviewers.add_argument("--format", choices=("text", "json"), default="text")
    reviewers.add_argument("--config", type=Path, metavar="FILE")
    reviewers.add_argument("--repo", type=Path, metavar="DIR")
    reviewers.add_argument("-p", dest="plugin_options", action="append", default=[], metavar="no:NAME")

    init = commands.add_parser("init", help="write .agents/config.toml and an example reviewer prompt")
    init.add_argument("--repo", type=Path, metavar="DIR")
    init.add_argument("--force", action="store_true", help="overwrite existing files")

    merge = commands.add_parser("merge", help="apply the merge policy to verdicts from sharded runs")
    merge.add_argument("verdict_files", nargs="+", metavar="VERDICT.json")
    _output_flags(merge)

    for register_command in _extra_commands():
        register_command(commands)
    return parser


def _extra_commands() -> list[Any]:
    """Commands that live in their own modules (``github``), each exposing ``add_parser(commands)``."""
    found = []
    for module_name in ("reviewkit.github_cli",):
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
    parser.add_argument("--label", action="append", default=[], metavar="NAME", help="a pull-request label")
    parser.add_argument("--goal", metavar="TEXT|@FILE", help="what the change is meant to do")
    parser.add_argument("--config", type=Path, metavar="FILE", help="configuration file")
    parser.add_argument("--reviewer", action="append", default=[], metavar="NAME", help="run only these reviewers")
    parser.add_argument("--offline", action="store_true", help="never call a model")
    parser.add_argument(
        "-p", dest="plugin_options", action="append", default=[], metavar="no:NAME", help="disable a plugin by name"
    )


def _output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        default="text",
        metavar="FORMAT",
        help="text, json, sarif, markdown, github, rdjson (and plugin formats)",
    )
    parser.add_argument("--output", metavar="FILE", help="write the output here instead of stdout")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    _interrupt_on_sigterm()
    try:
        return int(_dispatch(args))
    except ReviewkitError as exc:
        print(f"reviewkit: error: {exc}", file=sys.stderr)
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
