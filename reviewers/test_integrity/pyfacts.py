"""Facts about a Python test beyond its assertions: what it patches, which exceptions it expects and
how precisely, what tolerance its comparisons allow, and its parametrize cases."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

_RAISES = frozenset({"raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})
_PATCHERS = frozenset({"patch", "object", "setattr", "setitem"})
# name -> (tolerance keywords that widen when larger, keywords that widen when smaller, defaults)
TOLERANCE_CALLS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "approx": ({"rel": 1e-6, "abs": 1e-12}, {}),
    "isclose": ({"rel_tol": 1e-9, "abs_tol": 0.0, "rtol": 1e-5, "atol": 1e-8}, {}),
    "assertAlmostEqual": ({"delta": 0.0}, {"places": 7}),
    "assert_allclose": ({"rtol": 1e-7, "atol": 0.0}, {}),
    "allclose": ({"rtol": 1e-5, "atol": 1e-8}, {}),
    "assert_almost_equal": ({}, {"decimal": 7}),
    "assert_array_almost_equal": ({}, {"decimal": 6}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    """A fact at one line: ``text`` is its normalised source, ``key`` what to compare it by."""

    line: int
    text: str
    key: str = ""
    value: float = 0.0
    first: int = 0  # the statement or decorator holding it, when deleting those lines undoes it
    last: int = 0


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def call_name(call: ast.Call) -> str:
    return dotted(call.func).rsplit(".", 1)[-1]


def patches(calls: Iterable[ast.Call]) -> list[Mark]:
    """What the test replaces (``calls``: every call in it): the last name of each patch target."""
    marks = []
    for call in calls:
        path = dotted(call.func)
        name = path.rsplit(".", 1)[-1]
        if name not in _PATCHERS or not any(w in path for w in ("patch", "monkeypatch", "setattr")):
            continue
        target = _patch_target(call, name)
        if target:
            marks.append(Mark(line=call.lineno, text=ast.unparse(call), key=target))
    return marks


def _patch_target(call: ast.Call, name: str) -> str:
    args = call.args
    if name == "patch" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        return args[0].value.rsplit(".", 1)[-1]
    if name in ("object", "setattr") and len(args) >= 2:
        first, second = args[0], args[1]
        if isinstance(second, ast.Constant) and isinstance(second.value, str):
            return second.value
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value.rsplit(".", 1)[-1]
    return ""


def raises(calls: Iterable[ast.Call]) -> list[Mark]:
    """The exceptions the test expects (``calls``: every call in it), and whether it checks their message."""
    marks = []
    for call in calls:
        name = call_name(call)
        if name in _RAISES and call.args:
            matched = name.startswith("assertRaisesRegex") or any(k.arg == "match" for k in call.keywords)
            marks.append(
                Mark(
                    line=call.lineno,
                    text=ast.unparse(call),
                    key=ast.unparse(call.args[0]),
                    value=1.0 if matched else 0.0,
                )
            )
    return marks


def tolerances(calls: Iterable[ast.Call]) -> list[Mark]:
    """Each tolerance argument as ``func:keyword`` with its value (the default when not given); ``calls``:
    every call in the test."""
    marks = []
    for call in calls:
        name = call_name(call)
        if name not in TOLERANCE_CALLS:
            continue
        larger, smaller = TOLERANCE_CALLS[name]
        given = {k.arg: k.value for k in call.keywords if k.arg}
        if name == "assertAlmostEqual" and len(call.args) >= 3:
            given["places"] = call.args[2]
        for keyword, default in {**larger, **smaller}.items():
            value = _number(given[keyword]) if keyword in given else default
            if value is not None:
                marks.append(Mark(line=call.lineno, text=ast.unparse(call), key=f"{name}:{keyword}", value=value))
    return marks


def _number(node: ast.expr) -> float | None:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def cases(decorators: list[ast.expr]) -> list[Mark]:
    """parametrize cases; ``key`` is the case's inputs (all values but the last, the expected one, when
    there are several), ``text`` the whole case."""
    marks = []
    for decorator in decorators:
        if not (isinstance(decorator, ast.Call) and call_name(decorator) == "parametrize"):
            continue
        if len(decorator.args) < 2 or not isinstance(decorator.args[1], ast.List | ast.Tuple):
            continue
        for case in decorator.args[1].elts:
            values = (
                case.args
                if isinstance(case, ast.Call) and call_name(case) == "param"
                else (case.elts if isinstance(case, ast.Tuple) else [case])
            )
            inputs = values[:-1] if len(values) > 1 else values
            # The arity is part of the key: a case that gained a parameter is restructured, not edited.
            key = f"{len(values)}:" + ", ".join(ast.unparse(v) for v in inputs)
            marks.append(Mark(line=case.lineno, text=ast.unparse(case), key=key))
    return marks
