"""The names and literals of Python code: what a production module defines (functions, classes, module and
class attributes, string literals that may name a subject) and what a piece of test code uses. Read by
:mod:`pyread` once per file side; :mod:`subjects` compares them across the change.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

_MAX_LITERAL = 80


def definitions_in(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = value`` assignments, each value as source."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.unparse(node.value)
    return found


def literal(node: ast.AST) -> str | None:
    """The string a node holds when it may name a subject (a route, a key, an option)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _literal(node.value):
        return node.value
    return None


def attributes(tree: ast.Module) -> set[str]:
    """Module and class attributes (``RATES = ...``); a function's locals are not subjects."""
    scopes = [tree.body] + [node.body for node in tree.body if isinstance(node, ast.ClassDef)]
    found: set[str] = set()
    for body in scopes:
        for node in body:
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            found.update(t.id for t in targets if isinstance(t, ast.Name))
    return found


def _literal(value: str) -> bool:
    return 2 <= len(value) <= _MAX_LITERAL and "\n" not in value and bool(value.strip())


def words(node: ast.AST) -> frozenset[str]:
    """The names, attributes and string literals a piece of test code uses."""
    return words_in(ast.walk(node))


def words_in(nodes: Iterable[ast.AST]) -> frozenset[str]:
    """:func:`words` of the nodes of a piece of code (every one of them, ``ast.walk``)."""
    found: set[str] = set()
    for item in nodes:
        if isinstance(item, ast.Name):
            found.add(item.id)
        elif isinstance(item, ast.Attribute):
            found.add(item.attr)
        elif isinstance(item, ast.Constant) and isinstance(item.value, str) and _literal(item.value):
            found.add(item.value)
        elif isinstance(item, ast.alias):
            found.add((item.asname or item.name).split(".")[-1])
    return frozenset(found)


def text_words(source: str) -> frozenset[str]:
    """:func:`words` of a fragment of source (a parametrize case), empty when it does not parse."""
    try:
        return words(ast.parse(source, mode="eval"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
