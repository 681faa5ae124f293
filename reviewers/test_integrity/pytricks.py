"""What one syntax node of production code may do to a test run, read by :mod:`pyread` on the lines a change
adds: detect the test runner, end the run with a chosen status (:class:`Trick`), or answer a test's literal
input with its literal expected output (:class:`Branch`). :mod:`production` judges these facts.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

_RUNNER_ENV = frozenset({"PYTEST_CURRENT_TEST", "PYTEST_VERSION", "PYTEST_XDIST_WORKER", "_called_from_test"})
_RUNNER_MODULES = frozenset({"pytest", "_pytest", "unittest"})
_FORKS = frozenset({"os.fork", "fork", "os.forkpty", "forkpty", "pty.fork"})


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


def trick(node: ast.AST, *, at_import: bool, in_child: bool) -> Trick | None:
    """What ``node`` is, if it is a test-runner detection or an exit trick."""
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Call):  # with attributes, the commonest nodes: their name is read once
        name = _dotted(node.func)
        if _call_detects_runner(name, node.args):
            return Trick(line, "detects")
        kind = _exits(node, name)
        return Trick(line, kind, at_import=at_import, in_child=in_child) if kind else None
    if _detects_runner(node):
        return Trick(line, "detects")
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return Trick(line, "exit") if "sys.excepthook" in {_dotted(t) for t in targets} else None
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
        return _call_detects_runner(_dotted(node.func), node.args)
    if isinstance(node, ast.Subscript):
        return _dotted(node.value) in ("os.environ", "environ") and _runner_name(node.slice)
    if isinstance(node, ast.Attribute):
        return node.attr == "_called_from_test" and _dotted(node.value) == "sys"
    if isinstance(node, ast.Compare):
        in_environ = _runner_name(node.left) and any(_dotted(c) in ("os.environ", "environ") for c in node.comparators)
        return in_environ or _asks_for_runner(node)
    return False


def _call_detects_runner(name: str, args: list[ast.expr]) -> bool:
    """``os.getenv("PYTEST_CURRENT_TEST")``, ``getattr(sys, "_called_from_test")``: ``name`` is the call's."""
    if name in ("os.getenv", "getenv", "os.environ.get", "environ.get") and args:
        return _runner_name(args[0])
    return name in ("getattr", "hasattr") and len(args) >= 2 and _dotted(args[0]) == "sys" and _runner_name(args[1])


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


def _exits(call: ast.Call, name: str) -> str | None:
    """How ``call`` (named ``name``) may end a test run with a chosen status, if it may."""
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
