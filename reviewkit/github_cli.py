"""``reviewkit github``: the command-line face of :mod:`reviewkit.github.action`."""

from __future__ import annotations

import argparse
from typing import Any

from reviewkit.console import blocked_plugins
from reviewkit.errors import ReviewkitError


def add_parser(commands: Any) -> None:
    from reviewkit.github.action import FAIL_ON, POST_MODES

    github = commands.add_parser(
        "github",
        help="the GitHub Action's entry: review what the workflow's event is about (pull_request, merge_group, "
        "push, workflow_dispatch) and post the review to a pull request",
    )
    github.add_argument("--repo", type=_path, metavar="DIR", help="the checkout (default: GITHUB_WORKSPACE)")
    github.add_argument("--config", metavar="FILE", help="configuration path, read from the base revision")
    github.add_argument(
        "--base",
        metavar="REV",
        help="push and workflow_dispatch: review from this commit or branch (default: what the push replaced, "
        "or the merge-base with the default branch)",
    )
    github.add_argument(
        "--head", metavar="REV", help="push and workflow_dispatch: review up to this commit (default: GITHUB_SHA)"
    )
    github.add_argument(
        "--reviewer", action="append", default=[], metavar="NAME[,NAME...]", help="run only these reviewers"
    )
    github.add_argument("--offline", action="store_true", help="never call a model")
    github.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="blocking",
        help="blocking: exit 1 on blocking findings, 3 when a review is incomplete (default); "
        "error: exit non-zero only when a review is incomplete",
    )
    github.add_argument(
        "--post-review",
        choices=POST_MODES,
        default="true",
        help="post a review and summary comment (true), also request changes when blocked "
        "(request-changes), or only annotate (false)",
    )
    github.add_argument("--report", metavar="FILE", help="report JSON (default: $RUNNER_TEMP/reviewkit-report.json)")
    github.add_argument("--sarif", metavar="FILE", help="SARIF file (default: $RUNNER_TEMP/reviewkit.sarif)")
    github.add_argument(
        "--write-interval",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="pause between writes to the GitHub API (default 1)",
    )
    github.add_argument(
        "--max-retry-wait",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="longest wait for a rate limit or retry (default 60)",
    )
    github.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="review every file afresh: do not reuse results from review memory (docs/review-memory.md)",
    )
    github.add_argument(
        "-p", dest="plugin_options", action="append", default=[], metavar="no:NAME", help="disable a plugin by name"
    )
    github.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from reviewkit.display import visible
    from reviewkit.github.action import run
    from reviewkit.github.session import ActionOptions
    from reviewkit.reporters.github import escape_data

    names = tuple(name.strip() for value in args.reviewer for name in value.split(",") if name.strip())
    options = ActionOptions(
        repo=args.repo,
        config=args.config or None,
        reviewers=names,
        offline=args.offline,
        fail_on=args.fail_on,
        post_review=args.post_review,
        report_file=args.report or None,
        sarif_file=args.sarif or None,
        blocked_plugins=blocked_plugins(args.plugin_options),
        write_interval_s=args.write_interval,
        max_wait_s=args.max_retry_wait,
        base=args.base or None,
        head=args.head or None,
        memory=args.memory,
    )
    try:
        return run(options)
    except ReviewkitError as exc:
        # Also as an annotation: on a pull request's checks page, the log's last line is easy to miss.
        print(f"::error title=reviewkit::{escape_data(visible(str(exc)))}", flush=True)
        raise


def _path(value: str) -> Any:
    from pathlib import Path

    return Path(value)


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 <= number <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r} must be between 0 and 3600 seconds")
    return number
