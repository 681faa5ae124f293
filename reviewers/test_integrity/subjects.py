"""What the change removes from production code: the names it defines (functions, classes, methods,
module constants) and the literals it holds (routes, configuration keys, CLI options, enum values).

A test deleted, or a check dropped, in the same change that removes what the test exercised is
maintenance, not a weakening: the test could not run any more. Such findings are notes. Only what no
production file of the change still defines counts as removed (a function moved to another module is
still there), and names too short or too generic to identify a subject (dunders, builtins) never count.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .pairs import FilePair, is_python_source

if TYPE_CHECKING:
    from .pyread import PythonFiles, PythonSide

_GENERIC = frozenset(dir(builtins)) | {"self", "cls", "main", "run", "get", "set", "test", "setup", "teardown"}
_MIN_NAME = 3
_MAX_LITERAL = 80


@dataclass(frozen=True, slots=True, kw_only=True)
class Removed:
    names: frozenset[str] = frozenset()
    literals: frozenset[str] = frozenset()
    definitions: Mapping[str, str] = field(default_factory=dict)  # changed files' module-level names -> source

    def hit(self, words: Iterable[str]) -> str | None:
        """The first of ``words`` (names and string literals a test uses) that the change removed."""
        return next((w for w in sorted(words) if w in self.names or w in self.literals), None)


def removed_subjects(pairs: Sequence[FilePair], files: PythonFiles) -> Removed:
    sources = [p for p in pairs if is_python_source(p.path) or is_python_source(p.old_path)]
    before_names, before_literals = _defined([files.sides(p)[0] for p in sources])
    after_names, after_literals = _defined([files.sides(p)[1] for p in sources])
    names = {n for n in before_names - after_names if len(n) >= _MIN_NAME and not n.startswith("__")}
    definitions: dict[str, str] = {}
    # every changed Python file, tests too: a flag a test helper redefines is not read by its name
    for pair in pairs:
        head = files.sides(pair)[1] if pair.path.endswith(".py") else None
        definitions.update(head.definitions if head is not None else {})
    return Removed(
        names=frozenset(names - _GENERIC),
        literals=frozenset(before_literals - after_literals),
        definitions=definitions,
    )


def definitions_in(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = value`` assignments, each value as source."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.unparse(node.value)
    return found


def _defined(sides: Iterable[PythonSide | None]) -> tuple[set[str], set[str]]:
    names: set[str] = set()
    literals: set[str] = set()
    for side in sides:
        if side is not None:
            names |= side.names
            literals |= side.literals
    return names, literals


def defines(node: ast.AST) -> str | None:
    """The name a node defines as a subject (a function, a class), if any."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name
    return None


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
