"""Production code that behaves differently under test: branches on the test runner's presence, on the
literal inputs the tests use (returning their literal expected outputs), and exit-status tricks.

Only lines the change adds are judged, so code that always detected its test runner is not re-reported.
The syntax tree of each file is read once, by :mod:`pyread`, which keeps what :mod:`pytricks` finds on
added lines (a node's tricks and canned answers): this module judges those facts.

An exit trick is what can turn a failing test run into a passing exit status: replacing
``sys.excepthook``, registering an exit with ``atexit``, ``pytest.exit(returncode=0)``, anywhere; and
``os._exit`` where a test run executes it: in test files, ``conftest.py``, the modules a run imports at
start-up (a package's ``__init__``, ``sitecustomize``) and any module's top level, but not in the branch
a forked child takes (``if os.fork() == 0: ... os._exit(0)`` ends that child, never the run).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from .pairs import Analysis, FilePair, LiteralSearch, changed_lines, finding, is_test_file, split
from .pytricks import Branch, Trick
from .recover import unreadable_reason

if TYPE_CHECKING:
    from .pyread import PythonFiles

# Line patterns for JavaScript/TypeScript and Go (and Python that does not parse); Python is read as
# code, so that a pattern quoted in a string or a comment is not taken for the trick itself.
_DETECTS_TESTS = re.compile(
    r"PYTEST_CURRENT_TEST|[\"'](pytest|unittest|_pytest)[\"']\s+in\s+sys\.(modules|argv)|_called_from_test"
    r"|JEST_WORKER_ID|process\.env\.VITEST\b|\btesting\.Testing\(\)|flag\.Lookup\(\"test\.|sys\.argv\[0\]"
    r"(?:(?!sys\.argv\[0\]).)*pytest"  # not past the next sys.argv[0]: a line of many is read once, not once each
)
_EXIT_TRICK = re.compile(
    r"\bsys\.excepthook\s*=|\batexit\.register\((?:(?!\batexit\.register\().)*_exit"
    r"|\bpytest\.exit\((?:(?!\bpytest\.exit\().)*returncode\s*=\s*0"
)
_PROCESS_EXIT = re.compile(r"\bos\._exit\s*\(")
# Modules a test run executes whatever the tests import (Python's start-up hooks, packages' __init__).
_STARTUP_MODULES = frozenset({"conftest.py", "__init__.py", "sitecustomize.py", "usercustomize.py"})
_PAIR_WINDOW = 6  # lines around a test's use of the input within which the expected output must appear
SOURCE_SUFFIXES = (".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".go")
_DETECTS_MESSAGE = (
    "production code checks whether it runs under a test runner: tests then check a different "
    "program from the one users run"
)
_EXIT_MESSAGE = (
    "replacing the exception hook or exiting with os._exit can turn a failing run into a passing exit status"
)


def check_production(pairs: Sequence[FilePair], search: LiteralSearch, files: PythonFiles) -> Analysis:
    result = Analysis()
    for pair in pairs:
        if pair.head is None or not pair.path.endswith(SOURCE_SUFFIXES):
            continue
        added = dict(changed_lines(pair).added)
        production = not is_test_file(pair.path)
        tricks, branches = _tricks(pair, added, result if production else None, files)
        for line, kind in sorted(set(tricks)):
            if line not in added or (kind == "detects" and not production):
                continue
            if kind == "detects":
                result.findings.append(
                    finding(
                        "test-special-case", "critical", pair.path, line, added[line], _DETECTS_MESSAGE, confidence=0.9
                    )
                )
            else:
                result.findings.append(
                    finding("exit-trick", "high", pair.path, line, added[line], _EXIT_MESSAGE, confidence=0.7)
                )
        if production and branches:
            result.extend(_literal_special_cases(pair, branches, search))
    return result


def _tricks(
    pair: FilePair, added: dict[int, str], result: Analysis | None, files: PythonFiles
) -> tuple[list[tuple[int, str]], tuple[Branch, ...]]:
    """Python is read as code; the lines its grammar cannot read (and other languages) line by line.
    Unreadable added lines of production code leave the file not fully reviewed (``result``)."""
    if not pair.path.endswith(".py"):
        return _line_tricks(added, python=False, startup=False), ()
    head = files.sides(pair)[1]
    assert head is not None
    unread = {n: text for n, text in added.items() if head.touches({n})}
    if unread and result is not None:
        result.unreviewed.append((pair.path, unreadable_reason("head", head.readable)))
    startup = _startup(pair.path)
    tricks = [(t.line, "exit") for t in head.tricks if t.kind != "detects" and _ends_run(t, startup)]
    tricks += [(t.line, t.kind) for t in head.tricks if t.kind == "detects"]
    return tricks + _line_tricks(unread, python=True, startup=startup), head.branches


def _startup(path: str) -> bool:
    """Whether a test run executes the whole module, whatever its tests import."""
    return is_test_file(path) or PurePosixPath(path).name in _STARTUP_MODULES


def _ends_run(trick: Trick, startup: bool) -> bool:
    """Whether an exit trick can end a test run: ``os._exit`` only where the run executes it, outside a
    forked child."""
    if trick.kind == "exit":
        return True
    return (startup or trick.at_import) and not trick.in_child


def _line_tricks(added: dict[int, str], *, python: bool, startup: bool) -> list[tuple[int, str]]:
    found = []
    for number, text in added.items():
        if text.strip().startswith(("#", "//")):
            continue
        if _DETECTS_TESTS.search(text):
            found.append((number, "detects"))
        elif python and (_EXIT_TRICK.search(text) or (startup and _PROCESS_EXIT.search(text))):
            found.append((number, "exit"))
    return found


def _literal_special_cases(pair: FilePair, branches: Sequence[Branch], search: LiteralSearch) -> Analysis:
    """``if x == <test input>: return <expected output>`` added to production code, where a test uses
    that input and checks that output within a few lines."""
    result = Analysis()
    lines = split(pair.head)
    for branch in branches:
        inputs, outputs = list(branch.inputs), list(branch.outputs)
        hit = _paired_in_tests(search(inputs), inputs, outputs)
        if hit:
            result.findings.append(
                finding(
                    "test-special-case",
                    "high",
                    pair.path,
                    branch.line,
                    lines[branch.line - 1],
                    f"production code returns {', '.join(outputs)} for the input {hit}, and a test checks "
                    "exactly that pair: the test passes on this input alone, the general case is untested",
                    confidence=0.7,
                )
            )
    return result


def _paired_in_tests(texts: list[str], inputs: list[str], outputs: list[str]) -> str | None:
    """The input literal that a test uses within a few lines of every output literal, if any."""
    for text in texts:
        lines = text.splitlines()
        for index, line in enumerate(lines):
            hit = next((value for value in inputs if _occurs(value, line)), None)
            if hit is None:
                continue
            window = "\n".join(lines[max(index - _PAIR_WINDOW, 0) : index + _PAIR_WINDOW + 1])
            if all(_occurs(value, window) for value in outputs):
                return hit
    return None


def _occurs(literal: str, text: str) -> bool:
    """Whether a test's text holds the literal as a literal: a number as a whole number, a string quoted
    as a whole string (``"exit"`` must not be found in ``atexit`` or ``exit-trick``). A string a test would
    have to write with escapes is looked for as it is."""
    if re.fullmatch(r"-?[\d.]+", literal):  # 12 must not match 120 or 1.12
        return re.search(rf"(?<![\w.]){re.escape(literal)}(?![\w.])", text) is not None
    if "\\" in literal or "\n" in literal or ('"' in literal and "'" in literal):
        return literal in text
    return f'"{literal}"' in text or f"'{literal}'" in text
