"""``reviewkit github``: the GitHub Action's entry, from the event payload to the posted review.

Order matters for "nothing lost": the report, SARIF, outputs, annotations and step summary are written
before anything is posted, so a fork's read-only token or an unreachable API costs only the posting.
Only a pull request gets a posted review; a merge group, a push or a manual run is reviewed into the
annotations, the step summary and SARIF (reviewkit.github.event says what each event reviews).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from pathlib import Path

from reviewkit.config import config_at
from reviewkit.console import progress_printer, write_output
from reviewkit.diff import Change
from reviewkit.errors import InputError
from reviewkit.git import find_repo_root
from reviewkit.github.checkout import fetch_auth, resolve_range
from reviewkit.github.client import GitHubError
from reviewkit.github.conversation import Conversation, read_conversation, summary_blocks
from reviewkit.github.event import Target, read_event
from reviewkit.github.post import Posted, Poster
from reviewkit.github.session import ActionOptions, Connection, connect
from reviewkit.github.state import from_report
from reviewkit.pipeline import ReviewRequest, review
from reviewkit.policy import ExitCode
from reviewkit.report import Report
from reviewkit.reporters.github import ANNOTATIONS_PER_TYPE, GithubReporter, annotations_for, split_annotations
from reviewkit.reporters.json import JsonReporter
from reviewkit.reporters.markdown import escape, join_within, report_blocks
from reviewkit.reporters.sarif import SarifReporter

POST_MODES = ("true", "false", "request-changes")
FAIL_ON = ("blocking", "error")
STEP_SUMMARY_LIMIT = 1_000_000


PULL_REQUEST_TARGET = (
    "reviewkit runs on pull_request_target: this job holds the base repository's secrets and a write token "
    "next to the pull request's code; run it on: pull_request (see reviewkit's docs/github-action.md)"
)


def run(options: ActionOptions, *, plugins: tuple[object, ...] = (), env: MutableMapping[str, str] = os.environ) -> int:
    """Review what the current workflow run is about; returns the exit code (``fail_on`` applied)."""
    # Reviewers, git and test commands run below; none of them may see the GitHub token.
    token = env.pop("GITHUB_TOKEN", "") or env.pop("INPUT_GITHUB_TOKEN", "")
    target = read_event(env, base=options.base, head=options.head)
    if target.comment is not None:
        from reviewkit.github.slash import handle_comment

        def again(pull_request: Target, github: Connection) -> tuple[int, Report]:
            return review_target(pull_request, options, token=token, env=env, plugins=plugins, github=github)

        return handle_comment(target, options, token=token, env=env, review=again)
    return review_target(target, options, token=token, env=env, plugins=plugins)[0]


def review_target(
    target: Target,
    options: ActionOptions,
    *,
    token: str,
    env: MutableMapping[str, str],
    plugins: tuple[object, ...] = (),
    github: Connection | None = None,
) -> tuple[int, Report]:
    """Review ``target``, write the files and post; returns the exit code and the report."""
    if target.event == "pull_request_target":
        _announce(PULL_REQUEST_TARGET)
    auth = fetch_auth(env.get("GITHUB_SERVER_URL") or "https://github.com", token) if token else {}
    pr = target.pull_request
    request = _request(target, options, env, plugins, auth)  # a bad base configuration stops here, first
    # post-review: false means no API at all: then nothing said on the pull request counts either.
    if github is None and pr is not None and token and options.post_review != "false":
        github = connect(options, token, env)
    talk = None
    if github is not None and pr is not None:
        # What maintainers said (labels, replies, comments) is read before the review it changes.
        talk = read_conversation(github.client, pr, github.identity, graphql=github.graphql)
        request = replace(request, accepted=tuple(talk.acceptances), learned=tuple(talk.learned))
    report = review(request, progress_printer())
    report_path, sarif_path = _write_files(report, options, env)
    sys.stdout.write(GithubReporter().render(report))
    sys.stdout.flush()
    warning = f"> [!WARNING]\n> {escape(PULL_REQUEST_TARGET)}\n\n" if target.event == "pull_request_target" else ""
    _append(env.get("GITHUB_STEP_SUMMARY"), warning + _step_summary(report))
    _set_outputs(
        env.get("GITHUB_OUTPUT"), {"decision": report.decision.value, "report": report_path, "sarif": sarif_path}
    )
    _append(env.get("GITHUB_STEP_SUMMARY"), _post(report, target, options, token, github, talk))
    return _exit_code(report, options.fail_on), report


def _request(
    target: Target,
    options: ActionOptions,
    env: Mapping[str, str],
    plugins: tuple[object, ...],
    auth: Mapping[str, str],
) -> ReviewRequest:
    repo = find_repo_root((options.repo or Path(env.get("GITHUB_WORKSPACE") or ".")).resolve())
    if repo is None:
        raise InputError(f"{options.repo or Path.cwd()}: not a git checkout; run actions/checkout first")
    commits = resolve_range(repo, target, auth=auth)
    return ReviewRequest(
        repo=repo,
        base=commits.base,
        head=commits.head,
        labels=target.labels,
        goal=target.goal,
        config=config_at(repo, commits.config, options.config),
        reviewers=options.reviewers,
        offline=options.offline,
        blocked_plugins=options.blocked_plugins,
        plugins=plugins,
        untrusted=True,  # a change is a stranger's until a maintainer merges it
        rules_revision=commits.config,  # learnings from the base branch as it is now, never the head
        memory=options.memory,
    )


def _write_files(report: Report, options: ActionOptions, env: Mapping[str, str]) -> tuple[str, str]:
    folder = Path(env.get("RUNNER_TEMP") or ".")
    report_path = options.report_file or str(folder / "reviewkit-report.json")
    sarif_path = options.sarif_file or str(folder / "reviewkit.sarif")
    write_output(JsonReporter().render(report), report_path)
    write_output(SarifReporter().render(report), sarif_path)
    return report_path, sarif_path


def _step_summary(report: Report) -> str:
    # GitHub refuses a step summary over 1 MiB; leave room for the posting note appended later.
    text = join_within(
        report_blocks(report), STEP_SUMMARY_LIMIT, overflow="The JSON report (output 'report') has everything."
    )
    _, rest = split_annotations(annotations_for(report))
    if rest:
        text += (
            f"\n_GitHub shows {ANNOTATIONS_PER_TYPE} annotations of each type per step; "
            f"{len(rest)} more finding(s) are listed above only._\n"
        )
    return text


def _post(
    report: Report,
    target: Target,
    options: ActionOptions,
    token: str,
    github: Connection | None,
    talk: Conversation | None,
) -> str:
    """Post the review; a failure is a warning (annotation + summary line), never the run's outcome."""
    pr = target.pull_request
    if pr is None:
        return (
            f"\n_Reviewed the {escape(target.description)} ({target.event}): there is no pull request to post to; "
            "the annotations, this summary and the SARIF file carry the review._\n"
        )
    if options.post_review == "false":
        return "\n_Posting to the pull request is off (post-review: false)._\n"
    if not token or github is None:
        return _warn("no GITHUB_TOKEN: the review was not posted to the pull request")
    identity, how = github.identity, github.how
    poster = Poster(github.client, pr, identity, request_changes=options.post_review == "request-changes")
    # The report keeps the parsed diff (hunks included): comments are placed against exactly what was reviewed.
    change = Change(files=report.files, base=report.base, head=report.head)
    state = from_report(report, talk.bindings if talk is not None else {}).encode()
    extra = summary_blocks(talk) if talk is not None else []
    try:
        posted = poster.post(report, change, state=state, extra=extra)
    except GitHubError as exc:
        hint = " (a fork's token is read-only)" if pr.fork and exc.status in (401, 403, 404) else ""
        return _warn(f"could not post to the pull request{hint}: {exc}")
    except Exception as exc:  # a posting bug must not cost the run its outcome, which is already written
        return _warn(f"could not post to the pull request: internal error {type(exc).__name__}: {exc}")
    if identity is None:
        posted.notes.insert(0, f"could not tell which account the token is ({how}): no earlier comment was trusted")
    return _posted_note(posted)


def _posted_note(posted: Posted) -> str:
    lines = [
        f"\n**Posted to the pull request:** {posted.inline} inline comment(s)"
        + (f", {posted.already_posted} already posted on an earlier commit" if posted.already_posted else "")
        + (f", {len(posted.rejected)} refused by GitHub (in the summary comment)" if posted.rejected else "")
        + f"; summary comment {'updated' if posted.summary_updated else 'created'}"
        + (f" ({posted.summary_url})" if posted.summary_url else "")
        + "."
    ]
    lines += [f"- {escape(note)}" for note in posted.notes]
    return "\n".join(lines) + "\n"


def _warn(message: str) -> str:
    """Announce that posting failed; returns the step summary's line for it."""
    _announce(message)
    return f"\n**Not posted:** {escape(message)}. The annotations and this summary carry the review.\n"


def _announce(message: str) -> None:
    from reviewkit.display import visible
    from reviewkit.reporters.github import escape_data

    print(f"::warning title=reviewkit::{escape_data(visible(message))}", flush=True)
    print(f"reviewkit: warning: {visible(message)}", file=sys.stderr, flush=True)


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def _set_outputs(path: str | None, values: Mapping[str, str]) -> None:
    """Step outputs in GITHUB_OUTPUT's heredoc form, safe whatever the value holds."""
    if not path:
        return
    lines = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    _append(path, "".join(lines))


def _exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "error" and report.exit_code == ExitCode.BLOCKED:
        return int(ExitCode.OK)
    return report.exit_code
