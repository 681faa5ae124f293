"""What an assertion checks, written the same way however the test spells it, so that a check moved to
another test, or rewritten, is recognised as the same check.

The key of an assertion is its condition with helper variables inlined (``rv = client.get("/")`` then
``rv.status``), the test's fixtures (its parameters) and the helpers its module defines written ``_``
(so that a renamed fixture or helper is the same check), equivalent client calls made one
(``client.open("/", method="OPTIONS")`` is ``client.options("/")``, ``requests.request("GET", url)``
is ``requests.get(url)``), unittest's ``assertEqual(a, b)`` written ``a == b``, and the two sides of
``==`` in a fixed order.
"""

from __future__ import annotations

import ast
import builtins
import copy
from collections.abc import Callable, Iterable

_BUILTINS = frozenset(dir(builtins))
_MAX_INLINE = 3  # nested helper variables inlined (a = f(); b = a.x; assert b == 1)
_BINARY = {
    "assertEqual": ast.Eq,
    "assertEquals": ast.Eq,
    "assertListEqual": ast.Eq,
    "assertDictEqual": ast.Eq,
    "assertTupleEqual": ast.Eq,
    "assertSetEqual": ast.Eq,
    "assertSequenceEqual": ast.Eq,
    "assertMultiLineEqual": ast.Eq,
    "assertNotEqual": ast.NotEq,
    "assertIs": ast.Is,
    "assertIsNot": ast.IsNot,
    "assertIn": ast.In,
    "assertNotIn": ast.NotIn,
    "assertGreater": ast.Gt,
    "assertGreaterEqual": ast.GtE,
    "assertLess": ast.Lt,
    "assertLessEqual": ast.LtE,
}
_UNARY = {"assertTrue": None, "assertIsNone": "is None", "assertIsNotNone": "is not None", "assertFalse": "not"}

Keyer = Callable[[ast.AST], str]


def keyer(body: Iterable[ast.stmt], renamed: Iterable[str]) -> Keyer:
    """The key function for the assertions of one test (``body``); ``renamed``: its fixtures and the
    helpers of its module, written ``_``."""
    values: dict[str, ast.expr] = {}
    counts: dict[str, int] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            counts[name] = counts.get(name, 0) + 1
            values[name] = stmt.value
    # A literal is a flag a nested function may flip (``called = False``), not a helper variable.
    single = {n: v for n, v in values.items() if counts[n] == 1 and not isinstance(v, ast.Constant)}
    normaliser = _Normaliser(single, frozenset(renamed) - _BUILTINS)

    def key(node: ast.AST) -> str:
        condition = _condition(node)
        if condition is None:
            return ast.unparse(node)
        normalised = _ordered(normaliser.visit(copy.deepcopy(condition)))
        try:
            return ast.unparse(normalised)
        except ValueError:  # an inlined string an f-string cannot hold on this Python: the tree still says it
            return ast.dump(normalised)

    return key


def _condition(node: ast.AST) -> ast.expr | None:
    """The checked condition of an ``assert`` statement or a unittest assertion call."""
    if isinstance(node, ast.Assert):
        return node.test
    if not isinstance(node, ast.Call):
        return None
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    args = node.args
    if name in _BINARY and len(args) >= 2:
        return ast.Compare(left=args[0], ops=[_BINARY[name]()], comparators=[args[1]])
    if name in _UNARY and args:
        form = _UNARY[name]
        if form is None:
            return args[0]
        if form == "not":
            return ast.UnaryOp(op=ast.Not(), operand=args[0])
        op: ast.cmpop = ast.Is() if form == "is None" else ast.IsNot()
        return ast.Compare(left=args[0], ops=[op], comparators=[ast.Constant(None)])
    return node


def _ordered(node: ast.expr) -> ast.expr:
    """``a == b`` and ``b == a`` are one check."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
        left, right = node.left, node.comparators[0]
        if ast.unparse(right) < ast.unparse(left):
            return ast.Compare(left=right, ops=node.ops, comparators=[left])
    return node


class _Normaliser(ast.NodeTransformer):
    def __init__(self, values: dict[str, ast.expr], renamed: frozenset[str]) -> None:
        self.values = values
        self.renamed = renamed
        self.depth = 0

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.values and self.depth < _MAX_INLINE:
            self.depth += 1
            try:
                inlined: ast.AST = self.visit(copy.deepcopy(self.values[node.id]))
                return inlined
            finally:
                self.depth -= 1
        return ast.Name(id="_", ctx=ast.Load()) if node.id in self.renamed else node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, ast.Attribute):
            return node
        method = next((k for k in node.keywords if k.arg == "method"), None)
        if func.attr == "open" and method is not None and _is_text(method.value):
            func.attr = str(method.value.value).lower()  # type: ignore[attr-defined]
            node.keywords = [k for k in node.keywords if k is not method]
        elif func.attr == "request" and node.args and _is_text(node.args[0]):
            func.attr = str(node.args[0].value).lower()  # type: ignore[attr-defined]
            node.args = node.args[1:]
        return node


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)
