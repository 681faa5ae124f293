"""Whether a conditional skip skips here: ``skipif(sys.version_info < (3, 9))`` added for a feature of
newer Pythons still runs the test on the Python reviewkit runs on, so it hides nothing there; the same
gate written ``>= (3, 0)`` skips everywhere. Conditions on ``sys.version_info``, ``sys.platform``,
``os.name`` and ``platform.system()`` are evaluated for this interpreter; anything else is unknown.
"""

from __future__ import annotations

import ast
import operator
import os
import platform
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .pyfacts import Mark, dotted

_CONDITIONAL = frozenset({"skipif", "skipIf", "xfail", "skipUnless"})
_VERSION_FLAG = re.compile(r"^PY_?3_?(\d{1,2})(?:_?PLUS|_OR_(?:LATER|NEWER|ABOVE))?$", re.IGNORECASE)
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


@dataclass(frozen=True, slots=True)
class _Env:
    defined: Mapping[str, str]
    version: tuple[Any, ...]


def gate(mark: Mark, defined: Mapping[str, str] | None = None, oldest: int | None = None) -> bool | None:
    """True when the mark skips the test on this interpreter (and on the oldest supported Python 3.``oldest``,
    when known), False when it runs it on one of them, None when unknown. ``defined``: module-level names
    the change's files define, with their source: such a flag is evaluated from its definition, never
    trusted by its name."""
    here = _gate(mark, _Env(defined or {}, tuple(sys.version_info)))
    if here is True and oldest is not None:
        return _gate(mark, _Env(defined or {}, (3, oldest, 0, "final", 0)))
    return here


def _gate(mark: Mark, env: _Env) -> bool | None:
    if mark.key not in _CONDITIONAL:
        return True
    decorator = _decorator(mark)
    if decorator is None:
        return None
    if not isinstance(decorator, ast.Call) or not decorator.args:
        return True if mark.key == "xfail" else None
    condition = decorator.args[0]
    if isinstance(condition, ast.Constant) and isinstance(condition.value, str):
        try:
            condition = ast.parse(condition.value, mode="eval").body  # pytest evaluates string conditions
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    value = _evaluate(condition, env)
    if value is None:
        return None
    return not value if mark.key == "skipUnless" else value


def _decorator(mark: Mark) -> ast.expr | None:
    """The mark's call; ``pytestmark = [pytest.mark.skipif(...)]`` holds it in a list of one."""
    try:
        node = ast.parse(mark.text.split(" -> ", 1)[0], mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if isinstance(node, ast.List | ast.Tuple) and len(node.elts) == 1:
        return node.elts[0]
    return node


def on_optional_dependency(mark: Mark, optional: frozenset[str]) -> bool:
    """A ``skipif`` whose condition reads only names this test file binds in ``try: import ... except
    ImportError`` (``HAS_NUMPY``, ``X is None``). Names imported from elsewhere do not count: a change
    could define them None in production code to make a skip that always skips."""
    if mark.key not in _CONDITIONAL:
        return False
    decorator = _decorator(mark)
    if not isinstance(decorator, ast.Call) or not decorator.args:
        return False
    condition = decorator.args[0]
    if _tool_missing(condition):
        return True
    names = {n.id for n in ast.walk(condition) if isinstance(n, ast.Name)}
    return bool(names) and names <= optional


def _tool_missing(node: ast.expr) -> bool:
    """``shutil.which("pyright") is None``: skipped only where the tool is not installed."""
    return (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.Is)
        and isinstance(node.comparators[0], ast.Constant)
        and node.comparators[0].value is None
        and isinstance(node.left, ast.Call)
        and dotted(node.left.func) in ("shutil.which", "which")
    )


def _evaluate(node: ast.expr, env: _Env, depth: int = 0) -> bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        return _flag(node.id, env, depth)
    if isinstance(node, ast.BoolOp):  # three-valued: one false part decides an "and", one true an "or"
        values = [_evaluate(v, env, depth) for v in node.values]
        decisive = isinstance(node.op, ast.Or)
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _evaluate(node.operand, env, depth)
        return None if inner is None else not inner
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = _value(node.left, env), _value(node.comparators[0], env)
        if left is None or right is None:
            return None
        try:
            return bool(_COMPARE[type(node.ops[0])](left, right))
        except TypeError:
            return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "startswith":
        subject, args = _value(node.func.value, env), [_value(a, env) for a in node.args]
        if isinstance(subject, str) and args and all(isinstance(a, str) for a in args):
            return subject.startswith(tuple(str(a) for a in args))
    return None


def _flag(name: str, env: _Env, depth: int) -> bool | None:
    """A flag the change defines is evaluated from its definition; another, by the usual names of
    "running on 3.x or newer" (``PY_3_10_PLUS``, ``PY310``)."""
    if name in env.defined:
        if depth >= 2:
            return None
        try:
            definition = ast.parse(env.defined[name], mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        return _evaluate(definition, env, depth + 1)
    match = _VERSION_FLAG.match(name)
    if match is None:
        return None
    return tuple(env.version[:2]) >= (3, int(match[1]))


def _value(node: ast.expr, env: _Env) -> Any:
    """The value of an environment fact or a literal; None when it is neither."""
    name = dotted(node)
    facts = {
        "sys.version_info": env.version,
        "sys.platform": sys.platform,
        "os.name": os.name,
        "platform.system": platform.system(),
        "platform.python_implementation": platform.python_implementation(),
        "sys.implementation.name": sys.implementation.name,
    }
    if isinstance(node, ast.Subscript) and dotted(node.value) == "sys.version_info":
        return _sliced(node, env.version)
    if name in facts and (isinstance(node, ast.Call) == name.startswith("platform.")):
        return facts[name]
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, tuple | str | int) and not isinstance(value, bool) else None


def _sliced(node: ast.Subscript, version: tuple[Any, ...]) -> Any:
    index = node.slice
    if isinstance(index, ast.Slice) and index.lower is None and index.step is None:
        upper = index.upper
        if upper is None:
            return version
        if isinstance(upper, ast.Constant) and isinstance(upper.value, int):
            return version[: upper.value]
    if isinstance(index, ast.Constant) and isinstance(index.value, int) and 0 <= index.value < len(version):
        return version[index.value]
    return None


# [ \t], not \s: with MULTILINE, \s* at every line start would run over all the blank lines after it.
_REQUIRES = re.compile(
    r"^[ \t]*(?:requires-python|python_requires)[ \t]*=[ \t]*[\"']?[ \t]*>=?[ \t]*3\.(\d{1,2})", re.MULTILINE
)


def oldest_python(*texts: str | None) -> int | None:
    """The oldest Python 3 minor version a project supports, from ``requires-python`` (pyproject.toml)
    or ``python_requires`` (setup.cfg); None when neither says."""
    for text in texts:
        match = _REQUIRES.search(text or "")
        if match:
            return int(match[1])
    return None
