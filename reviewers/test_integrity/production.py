"""Production code that behaves differently under test: branches on the test runner's presence, on the
literal inputs the tests use (returning their literal expected outputs), and exit-status tricks.

Only lines the change adds are judged, so code that always detected its test runner is not re-reported.
The syntax tree of each file is read once, by :mod:`pyread`, which keeps what is found here on added
lines (:func:`trick` and :func:`branch` of a node): this module judges those facts.

An exit trick is what can turn a failing test run into a passing exit status: replacing
``sys.excepthook``, registering an exit with ``atexit``, ``pytest.exit(returncode=0)``, anywhere; and
``os._exit`` where a test run executes it: in test files, ``conftest.py``, the modules a run imports at
start-up (a package's ``__init__``, ``sitecustomize``) and any module's top level, but not in the branch
a forked child takes (``if os.fork() == 0: ... os._exit(0)`` ends that child, never the run).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from .pairs import Analysis, FilePair, LiteralSearch, changed_lines, finding, is_test_file, split
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
_RUNNER_ENV = frozenset({"PYTEST_CURRENT_TEST", "PYTEST_VERSION", "PYTEST_XDIST_WORKER", "_called_from_test"})
_RUNNER_MODULES = frozenset({"pytest", "_pytest", "unittest"})
# Modules a test run executes whatever the tests import (Python's start-up hooks, packages' __init__).
_STARTUP_MODULES = frozenset({"conftest.py", "__init__.py", "sitecustomize.py", "usercustomize.py"})
_FORKS = frozenset({"os.fork", "fork", "os.forkpty", "forkpty", "pty.fork"})
_PAIR_WINDOW = 6  # lines around a test's use of the input within which the expected output must appear
SOURCE_SUFFIXES = (".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".go")
_DETECTS_MESSAGE = (
    "production code checks whether it runs under a test runner: tests then check a different "
    "program from the one users run"
)
_EXIT_MESSAGE = (
    "replacing the exception hook or exiting with os._exit can turn a failing run into a passing exit status"
)


@dataclass(frozen=True, slots=True)
class Trick:
    """A node on an added line that detects the test runner (``detects``), or may end a test run with a
    chosen status: ``exit`` wherever it is, ``os_exit`` (``os._exit``) where a run executes it."""

    line: int
    kind: str
    at_import: bool = False  # runs when the module is imported (not inside a function)
    in_child: bool = False  # in the branch a forked child takes


@dataclass(frozen=True, slots=True)
class Branch:
    """An ``if`` on an added line comparing with literal ``inputs`` and returning literal ``outputs``."""

    line: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


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


def trick(node: ast.AST, *, at_import: bool, in_child: bool) -> Trick | None:
    """What ``node`` is, if it is a test-runner detection or an exit trick."""
    line = getattr(node, "lineno", 0)
    if _detects_runner(node):
        return Trick(line, "detects")
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return Trick(line, "exit") if "sys.excepthook" in {_dotted(t) for t in targets} else None
    if isinstance(node, ast.Call):
        kind = _exits(node)
        return Trick(line, kind, at_import=at_import, in_child=in_child) if kind else None
    return None


def fork_child_branch(test: ast.expr, forks: set[str]) -> str | None:
    """Which branch of ``if test:`` only a forked child takes (``"body"`` or ``"orelse"``), when ``test``
    checks a fork's result (``os.fork() == 0``, ``not pid``, ``pid > 0``) and ``forks`` are the names
    bound to one; None otherwise."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_fork(test.operand, forks):
        return "body"
    if _is_fork(test, forks):
        return "orelse"  # a non-zero pid: the parent
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        if _is_zero(left):
            left, right = right, left
        if _is_fork(left, forks) and _is_zero(right):
            if isinstance(op, ast.Eq | ast.LtE):
                return "body"
            if isinstance(op, ast.NotEq | ast.Gt):
                return "orelse"
    return None


def fork_names(node: ast.Assign) -> list[str]:
    """The names ``pid = os.fork()`` (or ``pid, fd = pty.fork()``) binds to a fork's result."""
    if not (isinstance(node.value, ast.Call) and _dotted(node.value.func) in _FORKS):
        return []
    names = []
    for target in node.targets:
        first = target.elts[0] if isinstance(target, ast.Tuple | ast.List) and target.elts else target
        if isinstance(first, ast.Name):
            names.append(first.id)
    return names


def _is_fork(node: ast.expr, forks: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in forks
    return isinstance(node, ast.Call) and _dotted(node.func) in _FORKS


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool)


def _detects_runner(node: ast.AST) -> bool:
    """An environment lookup of a runner variable, ``sys._called_from_test``, ``"pytest" in sys.modules``.
    The names alone (a list of them, say) are not a lookup."""
    if isinstance(node, ast.Call):
        name, args = _dotted(node.func), node.args
        if name in ("os.getenv", "getenv", "os.environ.get", "environ.get") and args:
            return _runner_name(args[0])
        return name in ("getattr", "hasattr") and len(args) >= 2 and _dotted(args[0]) == "sys" and _runner_name(args[1])
    if isinstance(node, ast.Subscript):
        return _dotted(node.value) in ("os.environ", "environ") and _runner_name(node.slice)
    if isinstance(node, ast.Attribute):
        return node.attr == "_called_from_test" and _dotted(node.value) == "sys"
    if isinstance(node, ast.Compare):
        in_environ = _runner_name(node.left) and any(_dotted(c) in ("os.environ", "environ") for c in node.comparators)
        return in_environ or _asks_for_runner(node)
    return False


def _runner_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in _RUNNER_ENV


def _asks_for_runner(node: ast.Compare) -> bool:
    """``"pytest" in sys.modules`` and the like."""
    left = node.left
    return (
        isinstance(left, ast.Constant)
        and left.value in _RUNNER_MODULES
        and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
        and any(_dotted(c) in ("sys.modules", "sys.argv") for c in node.comparators)
    )


def _exits(call: ast.Call) -> str | None:
    name = _dotted(call.func)
    if name in ("os._exit", "_exit"):
        return "os_exit"
    if name == "atexit.register" and any("_exit" in _dotted(arg) for arg in call.args):
        return "exit"
    if name == "pytest.exit" and any(
        k.arg == "returncode" and isinstance(k.value, ast.Constant) and k.value.value == 0 for k in call.keywords
    ):
        return "exit"
    return None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


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


def branch(node: ast.If) -> Branch | None:
    """The literal special case an ``if`` may be (outside a module's ``__getattr__``/``__dir__``, whose job
    is mapping attribute names to values, a lazy ``__version__``, not a canned answer)."""
    inputs = _compared_literals(node.test)
    outputs = _returned_literals(node.body)
    if not inputs or not outputs:
        return None
    if set(outputs) & set(inputs):
        return None  # returning (part of) what was matched is dispatch or normalisation, not a canned answer
    return Branch(node.lineno, tuple(inputs), tuple(outputs))


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


def _compared_literals(test: ast.expr) -> list[str]:
    values: list[str] = []
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and all(isinstance(op, ast.Eq | ast.Is | ast.In) for op in node.ops):
            values += _literals(node)
    return values


def _returned_literals(body: list[ast.stmt]) -> list[str]:
    for stmt in body:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            value = stmt.value
            if isinstance(value, ast.Dict):  # the keys are the shape of the answer, the values its content
                return [text for v in value.values for text in _literals(v)]
            return _literals(value)
    return []


def _literals(node: ast.AST) -> list[str]:
    return [text for text in (_literal(n) for n in ast.walk(node) if isinstance(n, ast.expr)) if text]


def _literal(node: ast.expr) -> str | None:
    """The searchable text of a non-trivial literal: a string's content, a number's digits."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return f"-{inner}" if inner else None
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool) or node.value is None:
        return None
    value = node.value
    if isinstance(value, str):
        return value if len(value.strip()) >= 3 else None
    if isinstance(value, int | float) and not -1 <= value <= 2:
        return repr(value)
    return None
