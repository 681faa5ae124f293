"""Assertions in a Python test, read with ``ast``: what each checks (its key), how strongly it pins
the result (3 exact, 2 partial, 1 truthiness or type only, 0 cannot fail), what subject it compares
to which expected literal, and how many values it checks."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from .assertkeys import Keyer
from .pyfacts import call_name
from .pynames import words

_OWN_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

# How strongly an assertion pins the result: 3 exact, 2 partial (membership, order, a predicate),
# 1 truthiness or type only, 0 cannot fail.
_UNITTEST_STRENGTH = {
    "assertEqual": 3,
    "assertEquals": 3,
    "assertListEqual": 3,
    "assertDictEqual": 3,
    "assertTupleEqual": 3,
    "assertSetEqual": 3,
    "assertSequenceEqual": 3,
    "assertMultiLineEqual": 3,
    "assertCountEqual": 3,
    "assertIs": 3,
    "assertIsNone": 3,
    "assertAlmostEqual": 3,
    "assertRaises": 3,
    "assertRaisesRegex": 3,
    "assertWarns": 3,
    "assertWarnsRegex": 3,
    "assertRegex": 2,
    "assertIn": 2,
    "assertNotIn": 2,
    "assertGreater": 2,
    "assertGreaterEqual": 2,
    "assertLess": 2,
    "assertLessEqual": 2,
    "assertNotEqual": 2,
    "assertNotAlmostEqual": 2,
    "assertDictContainsSubset": 2,
    "assertIsNot": 1,
    "assertTrue": 1,
    "assertFalse": 1,
    "assertIsNotNone": 1,
    "assertIsInstance": 1,
    "assertNotIsInstance": 1,
}
_COMPARE_STRENGTH = {
    ast.Eq: 3,
    ast.Is: 3,
    ast.NotEq: 2,
    ast.In: 2,
    ast.NotIn: 2,
    ast.Lt: 2,
    ast.LtE: 2,
    ast.Gt: 2,
    ast.GtE: 2,
    ast.IsNot: 1,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Assertion:
    line: int
    text: str
    strength: int
    subject: str | None = None  # ast.dump of what is checked, when it is compared to a literal
    expected: str | None = None  # the literal it is compared to
    weight: int = 1  # how many values it checks
    key: str = ""  # what it checks, however spelled (see assertkeys): equal keys are one check
    words: frozenset[str] = frozenset()  # names and string literals it uses


def walk_body(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of ``body`` in source order, not descending into nested functions or classes (their code
    is theirs)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, _OWN_SCOPES):
            continue
        stack.extend(reversed(children(node)))
    return out


# Fields holding only the node kinds Python makes one instance of for all trees (Load(), Add(), Eq()...):
# the checks read ``node.op``/``node.ops`` where they matter and never look for them among children; they
# are a third of all nodes.
_SHARED_FIELDS = frozenset({"ctx", "op", "ops"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node kind that may hold other nodes than the shared ones."""
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(name for name in kind._fields if name not in _SHARED_FIELDS)  # type: ignore[attr-defined]
    return fields


def children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` as a list, less the shared operator and load/store nodes, without its
    generator's cost (it runs for every node)."""
    found: list[ast.AST] = []
    for name in child_fields(type(node)):
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.AST))
    return found


# --- assertions --------------------------------------------------------------------------------------


def assertions(body: list[ast.stmt], key: Keyer | None = None, nodes: list[ast.AST] | None = None) -> list[Assertion]:
    """The assertions of ``body`` with everything known of them; ``nodes``: ``walk_body(body)`` when the
    caller has it already."""
    nodes = walk_body(body) if nodes is None else nodes
    found: list[Assertion] = []
    # ``with pytest.raises(...)`` / ``deprecated_call()`` checks what its block does: its words are the block's
    blocks = {id(i.context_expr): n for n in nodes if isinstance(n, ast.With) for i in n.items}
    for node in nodes:
        if is_assertion(node):
            assertion = _assertion(node)
            about = blocks.get(id(node), node)
            found.append(replace(assertion, key=key(node), words=words(about)) if key else assertion)
    return _weigh_loops(nodes, found)


def strengths(nodes: list[ast.AST]) -> tuple[int, ...]:
    """How strongly each assertion among ``nodes`` (``walk_body`` of a body) pins the result, in order:
    what a test's assertions are, without the text, key and subject that only a comparison needs."""
    return tuple(strength(node) for node in nodes if is_assertion(node))


def is_assertion(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Call):
        name = call_name(node)
        return name.startswith("assert") or name in ("raises", "warns", "deprecated_call", "fail")
    return False


def strength(node: ast.AST) -> int:
    """The strength of an assertion (``is_assertion(node)``)."""
    if isinstance(node, ast.Assert):
        return _test_strength(node.test)
    assert isinstance(node, ast.Call)
    name = call_name(node)
    if name == "assertTrue" and node.args and always_true(node.args[0]):
        return 0
    return _UNITTEST_STRENGTH.get(name, 3)


def _assertion(node: ast.AST) -> Assertion:
    if isinstance(node, ast.Assert):
        return _assert_stmt(node)
    assert isinstance(node, ast.Call)
    return _assert_call(node, call_name(node))


def _weigh_loops(nodes: list[ast.AST], found: list[Assertion]) -> list[Assertion]:
    """An assertion in ``for x in <literal table>`` checks every row: it weighs as many asserts, so
    that turning repeated asserts into a table loop is not taken for removing them."""
    loops = [n for n in nodes if isinstance(n, ast.For)]
    if not loops or not found:
        return found
    tables = {t.id: n.value for n in nodes if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    rows: dict[int, int] = {}
    for loop in loops:
        size = _rows(loop.iter, tables)
        if size <= 1:
            continue
        for inner in ast.walk(loop):
            if hasattr(inner, "lineno"):
                rows[inner.lineno] = max(rows.get(inner.lineno, 1), size)
    return [replace(a, weight=a.weight * rows.get(a.line, 1)) for a in found]


def _rows(node: ast.expr, tables: dict[str, ast.expr]) -> int:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("items", "keys", "values")
    ):
        node = node.func.value
    if isinstance(node, ast.Name) and node.id in tables:
        node = tables[node.id]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return len(node.elts)
    if isinstance(node, ast.Dict):
        return len(node.keys)
    return 1


def _assert_stmt(node: ast.Assert) -> Assertion:
    test = node.test
    subject = expected = None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and not always_true(test):
        subject, expected = _subject_expected(test.left, test.comparators[0])
    return Assertion(
        line=node.lineno,
        text=ast.unparse(node),
        strength=_test_strength(test),
        subject=subject,
        expected=expected,
        weight=_weight(test),
    )


def _test_strength(test: ast.expr) -> int:
    if always_true(test):
        return 0
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if isinstance(test.ops[0], ast.IsNot) and not _is_none(test.comparators[0]):
            return 2
        return _COMPARE_STRENGTH.get(type(test.ops[0]), 2)
    if isinstance(test, ast.Compare):
        return 2
    if isinstance(test, ast.Call) and call_name(test) in ("isinstance", "hasattr", "callable"):
        return 1
    if (
        isinstance(test, ast.Call)
        and call_name(test) == "all"
        and test.args
        and isinstance(test.args[0], ast.GeneratorExp | ast.ListComp)
        and isinstance(test.args[0].elt, ast.Compare)
    ):
        return _COMPARE_STRENGTH.get(type(test.args[0].elt.ops[0]), 2)
    if isinstance(test, ast.BoolOp):
        # ``a and b`` holds only if both do: as strong as its strongest part; ``a or b`` as its weakest.
        parts = [_test_strength(value) for value in test.values]
        return max(parts) if isinstance(test.op, ast.And) else min(parts)
    if isinstance(test, ast.Call):
        return 2
    return 1


def _weight(test: ast.expr) -> int:
    """``assert (a, b) == (1, 2)`` and ``assert a and b`` check two things, as two asserts would."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return sum(_weight(value) for value in test.values)
    if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Eq):
        sides = [test.left, *test.comparators]
        if all(isinstance(side, ast.Tuple | ast.List) for side in sides):
            return max(min(len(side.elts) for side in sides if isinstance(side, ast.Tuple | ast.List)), 1)
    return 1


def _assert_call(node: ast.Call, name: str) -> Assertion:
    subject = expected = None
    if name in ("assertEqual", "assertEquals", "assertListEqual", "assertDictEqual") and len(node.args) >= 2:
        subject, expected = _subject_expected(node.args[0], node.args[1])
    return Assertion(
        line=node.lineno, text=ast.unparse(node), strength=strength(node), subject=subject, expected=expected
    )


def always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(always_true(value) for value in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.Is):
        left, right = test.left, test.comparators[0]
        # Most checks compare a call with a literal: different kinds of node are never the same expression.
        return type(left) is type(right) and ast.dump(left) == ast.dump(right)
    return False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return not _is_none(node)


def _is_value(node: ast.expr) -> bool:
    """A literal, or a constructor of literals (``Decimal("4.00")``, ``date(2024, 1, 31)``)."""
    if isinstance(node, ast.Call):
        return bool(node.args or node.keywords) and all(
            _is_literal(a) for a in [*node.args, *(k.value for k in node.keywords)]
        )
    return _is_literal(node)


def _subject_expected(left: ast.expr, right: ast.expr) -> tuple[str | None, str | None]:
    """What is checked and the value it must equal; by convention ``actual == expected``."""
    if _is_literal(right) and not _is_literal(left):
        return ast.dump(left), ast.unparse(right)
    if _is_literal(left) and not _is_literal(right):
        return ast.dump(right), ast.unparse(left)
    if _is_value(right):
        return ast.dump(left), ast.unparse(right)
    return None, None
