"""Production code that behaves differently under test: branches on the test runner's presence, on the
literal inputs the tests use (returning their literal expected outputs), and exit-status tricks.

Only lines the change adds are judged, so code that always detected its test runner is not re-reported.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from .pairs import Analysis, FilePair, LiteralSearch, changed_lines, finding, is_test_file, split

_DETECTS_TESTS = re.compile(
    r"PYTEST_CURRENT_TEST|[\"'](pytest|unittest|_pytest)[\"']\s+in\s+sys\.(modules|argv)|_called_from_test"
    r"|JEST_WORKER_ID|process\.env\.VITEST\b|\btesting\.Testing\(\)|flag\.Lookup\(\"test\.|sys\.argv\[0\].*pytest"
)
_EXIT_TRICK = re.compile(
    r"\bsys\.excepthook\s*=|\bos\._exit\s*\(|\batexit\.register\(.*_exit|\bpytest\.exit\(.*returncode\s*=\s*0"
)
_SOURCE_SUFFIXES = (".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".go")


def check_production(pairs: Sequence[FilePair], search: LiteralSearch) -> Analysis:
    result = Analysis()
    for pair in pairs:
        if pair.head is None or not pair.path.endswith(_SOURCE_SUFFIXES):
            continue
        added = changed_lines(pair).added
        production = not is_test_file(pair.path)
        for number, text in added:
            if production and _DETECTS_TESTS.search(text):
                result.findings.append(finding(
                    "test-special-case", "critical", pair.path, number, text,
                    "production code checks whether it runs under a test runner: tests then check "
                    "a different program from the one users run", confidence=0.9))
            elif pair.path.endswith(".py") and _EXIT_TRICK.search(text):
                result.findings.append(finding(
                    "exit-trick", "high", pair.path, number, text,
                    "replacing the exception hook or exiting with os._exit can turn a failing run "
                    "into a passing exit status", confidence=0.7))
        if production and pair.path.endswith(".py"):
            result.extend(_literal_special_cases(pair, {n for n, _ in added}, search))
    return result


def _literal_special_cases(pair: FilePair, added: set[int], search: LiteralSearch) -> Analysis:
    """``if x == <test input>: return <expected output>`` added to production code, where both literals
    occur in the project's tests."""
    result = Analysis()
    try:
        tree = ast.parse(pair.head or "")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return result
    lines = split(pair.head)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.If) and node.lineno in added):
            continue
        inputs = _compared_literals(node.test)
        outputs = _returned_literals(node.body)
        if not inputs or not outputs:
            continue
        found = search([*inputs, *outputs])
        hit = [value for value in inputs if value in found]
        if hit and all(value in found for value in outputs):
            result.findings.append(finding(
                "test-special-case", "high", pair.path, node.lineno, lines[node.lineno - 1],
                f"production code returns {', '.join(outputs)} for the input {hit[0]}, literals from the "
                "tests: the tests pass on this input alone, the general case is untested", confidence=0.7))
    return result


def _compared_literals(test: ast.expr) -> list[str]:
    values: list[str] = []
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and all(isinstance(op, ast.Eq | ast.Is | ast.In) for op in node.ops):
            values += _literals(node)
    return values


def _returned_literals(body: list[ast.stmt]) -> list[str]:
    for stmt in body:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            return _literals(stmt.value)
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
