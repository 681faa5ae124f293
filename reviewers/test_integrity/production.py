"""Production code that behaves differently under test: branches on the test runner's presence, on the
literal inputs the tests use (returning their literal expected outputs), and exit-status tricks.

Only lines the change adds are judged, so code that always detected its test runner is not re-reported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from .pairs import Analysis, FilePair, LiteralSearch, changed_lines, finding, is_test_file, split
from .recover import read_python, unreadable_reason

# Line patterns for JavaScript/TypeScript and Go (and Python that does not parse); Python is read as
# code, so that a pattern quoted in a string or a comment is not taken for the trick itself.
_DETECTS_TESTS = re.compile(
    r"PYTEST_CURRENT_TEST|[\"'](pytest|unittest|_pytest)[\"']\s+in\s+sys\.(modules|argv)|_called_from_test"
    r"|JEST_WORKER_ID|process\.env\.VITEST\b|\btesting\.Testing\(\)|flag\.Lookup\(\"test\.|sys\.argv\[0\]"
    r"(?:(?!sys\.argv\[0\]).)*pytest"  # not past the next sys.argv[0]: a line of many is read once, not once each
)
_EXIT_TRICK = re.compile(
    r"\bsys\.excepthook\s*=|\bos\._exit\s*\(|\batexit\.register\((?:(?!\batexit\.register\().)*_exit"
    r"|\bpytest\.exit\((?:(?!\bpytest\.exit\().)*returncode\s*=\s*0"
)
_RUNNER_ENV = frozenset({"PYTEST_CURRENT_TEST", "PYTEST_VERSION", "PYTEST_XDIST_WORKER", "_called_from_test"})
_RUNNER_MODULES = frozenset({"pytest", "_pytest", "unittest"})
_PAIR_WINDOW = 6  # lines around a test's use of the input within which the expected output must appear
SOURCE_SUFFIXES = (".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".go")
_DETECTS_MESSAGE = (
    "production code checks whether it runs under a test runner: tests then check a different "
    "program from the one users run"
)
_EXIT_MESSAGE = (
    "replacing the exception hook or exiting with os._exit can turn a failing run into a passing exit status"
)


def check_production(pairs: Sequence[FilePair], search: LiteralSearch) -> Analysis:
    result = Analysis()
    for pair in pairs:
        if pair.head is None or not pair.path.endswith(SOURCE_SUFFIXES):
            continue
        added = dict(changed_lines(pair).added)
        production = not is_test_file(pair.path)
        tree, tricks = _tricks(pair, added, result if production else None)
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
        if production and tree is not None:
            result.extend(_literal_special_cases(pair, tree, set(added), search))
    return result


def _tricks(
    pair: FilePair, added: dict[int, str], result: Analysis | None
) -> tuple[ast.Module | None, list[tuple[int, str]]]:
    """Python is read as code; the lines its grammar cannot read (and other languages) line by line.
    Unreadable added lines of production code leave the file not fully reviewed (``result``)."""
    if not pair.path.endswith(".py"):
        return None, _line_tricks(added, python=False)
    readable = read_python(pair.head or "")
    unread = {n: text for n, text in added.items() if readable.touches({n})}
    if unread and result is not None:
        result.unreviewed.append((pair.path, unreadable_reason("head", readable)))
    tricks = _python_tricks(readable.tree) if readable.tree else []
    return readable.tree, tricks + _line_tricks(unread, python=True)


def _line_tricks(added: dict[int, str], *, python: bool) -> list[tuple[int, str]]:
    found = []
    for number, text in added.items():
        if text.strip().startswith(("#", "//")):
            continue
        if _DETECTS_TESTS.search(text):
            found.append((number, "detects"))
        elif python and _EXIT_TRICK.search(text):
            found.append((number, "exit"))
    return found


def _python_tricks(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if _detects_runner(node):
            found.append((getattr(node, "lineno", 0), "detects"))
        elif _exit_trick(node):
            found.append((getattr(node, "lineno", 0), "exit"))
    return found


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


def _exit_trick(node: ast.AST) -> bool:
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return "sys.excepthook" in {_dotted(t) for t in targets}
    return isinstance(node, ast.Call) and _exits(node)


def _asks_for_runner(node: ast.Compare) -> bool:
    """``"pytest" in sys.modules`` and the like."""
    left = node.left
    return (
        isinstance(left, ast.Constant)
        and left.value in _RUNNER_MODULES
        and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
        and any(_dotted(c) in ("sys.modules", "sys.argv") for c in node.comparators)
    )


def _exits(call: ast.Call) -> bool:
    name = _dotted(call.func)
    if name in ("os._exit", "_exit"):
        return True
    if name == "atexit.register":
        return any("_exit" in _dotted(arg) for arg in call.args)
    if name == "pytest.exit":
        return any(
            k.arg == "returncode" and isinstance(k.value, ast.Constant) and k.value.value == 0 for k in call.keywords
        )
    return False


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _literal_special_cases(pair: FilePair, tree: ast.Module, added: set[int], search: LiteralSearch) -> Analysis:
    """``if x == <test input>: return <expected output>`` added to production code, where a test uses
    that input and checks that output within a few lines."""
    result = Analysis()
    lines = split(pair.head)
    for node in _branches(tree):
        if node.lineno not in added:
            continue
        inputs = _compared_literals(node.test)
        outputs = _returned_literals(node.body)
        if not inputs or not outputs:
            continue
        if set(outputs) & set(inputs):
            continue  # returning (part of) what was matched is dispatch or normalisation, not a canned answer
        hit = _paired_in_tests(search(inputs), inputs, outputs)
        if hit:
            result.findings.append(
                finding(
                    "test-special-case",
                    "high",
                    pair.path,
                    node.lineno,
                    lines[node.lineno - 1],
                    f"production code returns {', '.join(outputs)} for the input {hit}, and a test checks "
                    "exactly that pair: the test passes on this input alone, the general case is untested",
                    confidence=0.7,
                )
            )
    return result


def _branches(tree: ast.Module) -> list[ast.If]:
    """Every ``if``, except in a module's ``__getattr__``/``__dir__``: mapping attribute names to values
    is their job (a lazy ``__version__``), not a canned answer."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__"):
            skip |= {id(inner) for inner in ast.walk(node)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.If) and id(n) not in skip]


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
    if re.fullmatch(r"-?[\d.]+", literal):  # 12 must not match 120 or 1.12
        return re.search(rf"(?<![\w.]){re.escape(literal)}(?![\w.])", text) is not None
    return literal in text


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
