"""Execution as evidence: the base version of each deleted or weakened test, run against the head's
production code in the reviewer's workspace, sandboxed like the test gate and bounded by
``test_timeout``, selecting only those tests (pytest node ids, or unittest ids).

The old test failing on the new code means the change dropped checks the new code would fail: the
finding blocks, quoting the failure. The old test passing means the dropped checks still hold: in a
trusted review the finding becomes a note. In an untrusted review it does not: the change's own code
runs in that test and could tell it is being watched, so a pass never lifts a block there. When the
tests cannot run (not a pytest or unittest command, collection errors, missing dependencies) the
verdict says so and the static judgement stands. The workspace is put back as it was afterwards, so
the run never becomes part of the reviewer's fix.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Protocol

from reviewkit import EvidenceRun, Finding, ReviewContext, Severity, run_sandboxed

from .pairs import RunTarget

_PYTEST = frozenset({"pytest", "py.test"})
_NARROWING = frozenset({"-k", "-m", "--deselect", "--lf", "--last-failed", "--sw", "--stepwise", "-x", "--exitfirst"})
_VALUED = frozenset({"-c", "-k", "-m", "-p", "-W", "-o", "-r", "-n", "--tb", "--rootdir", "--confcutdir", "--deselect"})
_PYTEST_EXTRA = ("-rA", "--tb=line", "-p", "no:cacheprovider")
_PYTEST_OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS)\s+(\S+)")
_UNITTEST_OUTCOME = re.compile(r"^(\w+) \(([\w.]+)\) \.\.\. (ok|FAIL|ERROR|skipped|expected failure)")
_MAX_QUOTE = 600


class Run(Protocol):
    """What a sandboxed run reports (reviewkit's TestRun)."""

    @property
    def command(self) -> str: ...

    @property
    def exit_code(self) -> int | None: ...

    @property
    def output_tail(self) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class _Runner:
    kind: str  # "pytest" or "unittest"
    prefix: str  # the command up to the test ids
    top: str  # unittest's top-level directory ("" for the repository root)


def confirm(context: ReviewContext, findings: list[Finding], targets: Sequence[RunTarget]) -> list[Finding]:
    """``findings`` with each target's run recorded and its blocking decided by the outcome."""
    command = context.config.test_command
    blocking = {f for f in findings if f.severity.rank >= Severity.MEDIUM.rank}
    wanted = [t for t in targets if t.finding in blocking]
    if not command or not wanted:
        return findings
    runner = runner_for(command)
    if runner is None:
        context.note(
            "execution evidence: the test command is neither pytest nor unittest, so single tests "
            "cannot be selected; static judgement stands"
        )
        return findings
    if context.workspace is None or context.repo is None:
        context.note("execution evidence: no workspace to run the base tests in; static judgement stands")
        return findings
    ids = {t.finding: [_test_id(runner, t.old_path, q) for q in t.qualnames] for t in wanted}
    full = _command(runner, sorted({i for values in ids.values() for i in values}))
    run = _run_base_tests(context, wanted, full)
    if run is None:
        return findings
    outcomes = _outcomes(runner, run.output_tail)
    decided = {t.finding: _decide(context, t.finding, ids[t.finding], outcomes, run) for t in wanted}
    return [decided.get(f, f) for f in findings]


def runner_for(command: str) -> _Runner | None:
    """How to run single tests with the project's own test command (its interpreter, its options)."""
    head, _, last = command.rpartition("&&")
    prefix = f"{head}&& " if head else ""
    words = _split(last)
    for index, word in enumerate(words):
        module = index >= 1 and words[index - 1] == "-m"
        if PurePosixPath(word).name in _PYTEST or (module and word in _PYTEST):
            options = _options(words[index + 1 :])
            return _Runner(
                kind="pytest", prefix=prefix + shlex.join([*words[: index + 1], *options, *_PYTEST_EXTRA]), top=""
            )
        if module and word == "unittest":
            top = _unittest_top(words[index + 1 :])
            cd = f"cd {shlex.quote(top)} && " if top else ""
            return _Runner(kind="unittest", prefix=prefix + cd + shlex.join([*words[: index + 1], "-v"]), top=top)
    return None


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _options(words: Sequence[str]) -> list[str]:
    """The command's own options, without paths and without what would deselect the chosen tests."""
    kept: list[str] = []
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        name = word.split("=", 1)[0]
        if name in _NARROWING or name.startswith("--ignore"):
            skip = word in _VALUED or (name.startswith("--ignore") and "=" not in word)
            continue
        if not word.startswith("-"):
            continue  # a path or node id of the full run
        kept.append(word)
        if word in _VALUED and index + 1 < len(words):
            kept.append(words[index + 1])
            skip = True
    return kept


def _unittest_top(words: Sequence[str]) -> str:
    """unittest discover's top-level directory (``-t``, else the start directory ``-s``)."""
    values = {words[i]: words[i + 1] for i in range(len(words) - 1) if words[i] in ("-t", "-s")}
    top = values.get("-t", values.get("-s", "."))
    return "" if top in (".", "./") else top.removeprefix("./").rstrip("/")


def _test_id(runner: _Runner, path: str, qualname: str) -> str:
    if runner.kind == "pytest":
        return f"{path}::{qualname}"
    relative = path[len(runner.top) + 1 :] if runner.top and path.startswith(runner.top + "/") else path
    module = ".".join(PurePosixPath(relative).with_suffix("").parts)
    return f"{module}.{qualname.replace('::', '.')}"


def _command(runner: _Runner, ids: Sequence[str]) -> str:
    return f"{runner.prefix} {shlex.join(ids)}"


def _run_base_tests(context: ReviewContext, targets: Sequence[RunTarget], command: str) -> Run | None:
    """Write the base test files into the workspace, run, and put the workspace back as it was."""
    workspace = context.workspace
    try:
        workspace.include(_top_level(context))
        before = workspace.tree()
    except Exception as exc:  # a workspace that cannot be prepared leaves the static judgement
        context.note(f"execution evidence: the workspace could not be prepared ({exc}); static judgement stands")
        return None
    try:
        for path, text in {t.old_path: t.base_text for t in targets}.items():
            workspace.files.write(path, text.encode("utf-8", "surrogateescape"))
        # Within the reviewer's own deadline too: a run past it would turn the whole review into an error.
        timeout = min(context.config.test_timeout_s, max(context.remaining_s() - 5.0, 1.0))
        return run_sandboxed(
            command,
            workspace.root,
            timeout_s=timeout,
            network=context.config.test_network,
            untrusted=context.untrusted,
            repo=context.repo,
        )
    except Exception as exc:
        context.note(f"execution evidence: the base tests could not run ({exc}); static judgement stands")
        return None
    finally:
        workspace.write_tree(before)


def _top_level(context: ReviewContext) -> list[str]:
    """Every top-level entry of the head: the tests need the whole project, not the sparse change."""
    proc = subprocess.run(
        ["git", "-C", str(context.repo), "ls-tree", "--name-only", "-z", str(context.change.head)],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return [name.decode("utf-8", "surrogateescape") for name in proc.stdout.split(b"\0") if name]


def _outcomes(runner: _Runner, output: str) -> dict[str, list[tuple[str, str]]]:
    """Test id -> [(outcome, the output line)], parametrized cases under their function's id."""
    found: dict[str, list[tuple[str, str]]] = {}
    for line in output.splitlines():
        if runner.kind == "pytest":
            match = _PYTEST_OUTCOME.match(line)
            if match:
                found.setdefault(match[2].split("[", 1)[0], []).append((match[1], line))
        else:
            match = _UNITTEST_OUTCOME.match(line)
            if match:
                ident = match[2] if match[2].endswith("." + match[1]) else f"{match[2]}.{match[1]}"
                state = {"ok": "PASSED", "FAIL": "FAILED", "ERROR": "ERROR"}.get(match[3], "SKIPPED")
                found.setdefault(ident, []).append((state, line))
    return found


def _decide(
    context: ReviewContext, item: Finding, ids: Sequence[str], outcomes: dict[str, list[tuple[str, str]]], run: Run
) -> Finding:
    results = [r for i in ids for r in outcomes.get(i, [])]
    states = {state for state, _ in results}
    failed = [line for state, line in results if state == "FAILED"]
    if failed:
        quote = "; ".join(failed)[:_MAX_QUOTE]
        evidence = EvidenceRun(command=run.command, exit_code=run.exit_code, output_tail=_tail_for(run, ids))
        message = f"{item.message}; the base version of the test fails on the head's code: {quote}"
        return replace(item, message=message, evidence_run=evidence, severity=max_severity(item.severity))
    if not results or states - {"PASSED", "XFAIL"} or any(i not in outcomes for i in ids):
        context.note(
            f"execution evidence: {', '.join(ids)} did not run cleanly (collection errors or missing "
            "dependencies); static judgement stands"
        )
        return item
    evidence = EvidenceRun(command=run.command, exit_code=run.exit_code, output_tail=_tail_for(run, ids))
    if context.untrusted:
        message = (
            f"{item.message}; its base version passes on the head's code, but in an untrusted review a "
            "run of the change's own code does not lift a block"
        )
        return replace(item, message=message, evidence_run=evidence)
    message = f"{item.message}; its base version still passes on the head's code, so the dropped checks still hold"
    return replace(item, message=message, evidence_run=evidence, severity=Severity.LOW)


def max_severity(severity: Severity) -> Severity:
    """A confirmed finding is at least high."""
    return severity if severity.rank >= Severity.HIGH.rank else Severity.HIGH


def _tail_for(run: Run, ids: Sequence[str]) -> str:
    lines = [line for line in run.output_tail.splitlines() if any(i in line or i.split("::")[-1] in line for i in ids)]
    return "\n".join(lines) or run.output_tail
