"""Each side of each changed Python file, read once: one parse, one walk, the facts kept, the tree dropped.

Every check needs something of the syntax tree: a test file's tests (:mod:`pyparse`), the names and
literals a production file defines (:mod:`subjects`), the runner detections, exit tricks and canned
answers on added lines (:mod:`production`). Each used to parse the file itself: four parses and a dozen
walks of the same text. Here a pair's two sides are parsed once each and walked once; what every check
asks is kept as plain facts, and no tree outlives its file, so that a review's memory grows with what
it found, not with the size of the change.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from reviewkit import Side, collect_after

from . import pytricks
from .pairs import FilePair, changed_lines, is_python_source, is_python_test, is_test_file
from .pyasserts import child_fields
from .pynames import attributes, definitions_in, literal
from .pyparse import TestModule, test_functions, tests_in
from .recover import Readable, read_python

_IN_FUNCTION, _IN_GETATTR, _IN_CHILD = 1, 2, 4
_TRICK_NODES = (ast.Call, ast.Subscript, ast.Attribute, ast.Compare, ast.Assign, ast.AugAssign, ast.AnnAssign)


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonSide:
    """What the checks need of one side of one changed Python file (``readable``: whether and where its
    grammar could read it; the tree itself is not kept)."""

    readable: Readable
    tests: TestModule | None = None  # a test file's tests
    names: frozenset[str] = frozenset()  # a source file's functions, classes, module and class attributes
    literals: frozenset[str] = frozenset()  # and its string literals
    definitions: Mapping[str, str] = field(default_factory=dict)  # module-level NAME = value (head)
    tricks: tuple[pytricks.Trick, ...] = ()  # on added lines (head)
    branches: tuple[pytricks.Branch, ...] = ()  # on added lines of production code (head)

    def touches(self, lines: set[int]) -> bool:
        return self.readable.touches(lines)


class PythonFiles:
    """The changed Python files of one analysis, each pair read on first use and kept as facts."""

    def __init__(self) -> None:
        self._read: dict[tuple[str, str], tuple[PythonSide | None, PythonSide | None]] = {}

    def sides(self, pair: FilePair) -> tuple[PythonSide | None, PythonSide | None]:
        """(base, head) of a pair with a ``.py`` path on either side; None for a side without the file."""
        key = (pair.old_path, pair.path)
        if key not in self._read:
            with collect_after():  # a pair's trees are let go once its facts are out
                self._read[key] = _read_pair(pair)
        return self._read[key]

    def side(self, pair: FilePair, side: Side) -> PythonSide | None:
        base, head = self.sides(pair)
        return base if side is Side.BASE else head


def _read_pair(pair: FilePair) -> tuple[PythonSide | None, PythonSide | None]:
    tests = is_python_test(pair.path) or is_python_test(pair.old_path)
    source = is_python_source(pair.path) or is_python_source(pair.old_path)
    added = {number for number, _ in changed_lines(pair).added}
    production_code = not is_test_file(pair.path)
    base = _Read.of(pair.base, source=source)
    head = _Read.of(pair.head, source=source, added=added, production=production_code)
    if tests:
        _read_tests(base, head)
    return (None if base is None else base.side(head=False), None if head is None else head.side(head=True))


@dataclass(kw_only=True)
class _Read:
    """One side being read: its tree (until the facts are out), its lines and its walk."""

    readable: Readable
    lines: list[str]
    walk: _Walk
    tests: TestModule | None = None

    @classmethod
    def of(
        cls, text: str | None, *, source: bool, added: set[int] | None = None, production: bool = False
    ) -> _Read | None:
        if text is None:
            return None
        readable = read_python(text)
        walk = _Walk(source=source, added=added or set(), production=production)
        if readable.tree is not None:
            walk.run(readable.tree)
        return cls(readable=readable, lines=readable.source.split("\n"), walk=walk)

    def side(self, *, head: bool) -> PythonSide:
        tree, walk = self.readable.tree, self.walk
        kept = replace(self.readable, tree=None, source="", parsed=tree is not None)
        if tree is None:
            return PythonSide(readable=kept)
        return PythonSide(
            readable=kept,
            tests=self.tests,
            names=frozenset(walk.names | attributes(tree)) if walk.source else frozenset(),
            literals=frozenset(walk.literals),
            definitions=definitions_in(tree) if head else {},
            tricks=tuple(walk.tricks),
            branches=tuple(walk.branches),
        )


def _read_tests(base: _Read | None, head: _Read | None) -> None:
    """Both sides' tests. A test whose lines are the same on both sides is ``unchanged``: the details
    only a comparison needs are computed now for the tests the change edits or removes, later (if ever)
    for the others."""
    before, after = _spans(base), _spans(head)
    same = frozenset(q for q, lines in after.items() if before.get(q) == lines)
    edited = frozenset(before) - same
    for read, unchanged in ((base, frozenset[str]()), (head, same)):
        if read is not None and read.readable.tree is not None:
            read.tests = tests_in(
                read.readable.tree,
                lines=read.lines,
                imports=read.walk.imports,
                detailed=lambda qualname: qualname in edited,
                unchanged=unchanged,
            )


def _spans(read: _Read | None) -> dict[str, list[str]]:
    """Each test's lines (decorators included), by qualname."""
    if read is None or read.readable.tree is None:
        return {}
    spans = {}
    for qualname, (node, _owner) in test_functions(read.readable.tree).items():
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        spans[qualname] = read.lines[start - 1 : node.end_lineno or node.lineno]
    return spans


@dataclass(kw_only=True)
class _Walk:
    """One walk of a tree, in source order, collecting what the checks need: the names and literals a
    source file defines (``source``) and, on ``added`` lines, exit tricks and runner detections (with
    whether they run at import and in a forked child) and, in ``production`` code, canned answers."""

    source: bool
    added: set[int]
    production: bool
    names: set[str] = field(default_factory=set)
    literals: set[str] = field(default_factory=set)
    tricks: list[pytricks.Trick] = field(default_factory=list)
    branches: list[pytricks.Branch] = field(default_factory=list)
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    forks: set[str] = field(default_factory=set)  # names bound to a fork's result

    def run(self, tree: ast.Module) -> None:
        """Every node in source order. This visits every node of the change, so it is written for speed:
        names and constants (half of all nodes) take a short way, and the shared ``Load()``/``Add()``
        nodes are not visited (see :func:`children`)."""
        stack: list[tuple[ast.AST, int]] = [(node, 0) for node in reversed(tree.body)]
        pop, is_node = stack.pop, ast.AST
        while stack:
            node, flags = pop()
            kind = type(node)
            if kind is ast.Name:
                continue
            if kind is ast.Constant:
                text = literal(node) if self.source else None
                if text is not None:
                    self.literals.add(text)
                continue
            inner = self._visit(node, kind, flags)
            if kind is ast.If:
                stack.extend(self._if_children(node, inner))  # type: ignore[arg-type]
                continue
            # children() inlined, as pairs with the flags: its call per node was an eighth of this reviewer's
            # time on a 70,000-line change
            found: list[tuple[ast.AST, int]] = []
            for name in child_fields(kind):
                value = getattr(node, name, None)
                if type(value) is list:
                    found.extend((item, inner) for item in value if isinstance(item, is_node))
                elif isinstance(value, is_node):
                    found.append((value, inner))
            found.reverse()
            stack.extend(found)

    def _visit(self, node: ast.AST, kind: type, flags: int) -> int:
        """Record what ``node`` (not a name or a constant) is; the flags its children are read with."""
        if kind is ast.Assign:
            self.forks.update(pytricks.fork_names(node))  # type: ignore[arg-type]
        elif kind is ast.Import or kind is ast.ImportFrom:
            self.imports.append(node)  # type: ignore[arg-type]
        if getattr(node, "lineno", 0) in self.added:
            self._added(node, flags)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            if self.source:
                self.names.add(node.name)  # type: ignore[attr-defined]
            if kind is ast.ClassDef:
                return flags
            getattr_ = node.name in ("__getattr__", "__dir__") and kind is ast.FunctionDef  # type: ignore[attr-defined]
            return flags | _IN_FUNCTION | (_IN_GETATTR if getattr_ else 0)
        if kind is ast.Lambda:
            return flags | _IN_FUNCTION
        return flags

    def _added(self, node: ast.AST, flags: int) -> None:
        if isinstance(node, _TRICK_NODES):
            found = pytricks.trick(node, at_import=not flags & _IN_FUNCTION, in_child=bool(flags & _IN_CHILD))
            if found is not None:
                self.tricks.append(found)
        if self.production and isinstance(node, ast.If) and not flags & _IN_GETATTR:
            branch = pytricks.branch(node)
            if branch is not None:
                self.branches.append(branch)

    def _if_children(self, node: ast.If, flags: int) -> list[tuple[ast.AST, int]]:
        """An ``if`` on a fork's result: the branch only the child takes is read as the child's."""
        child = pytricks.fork_child_branch(node.test, self.forks)
        body = flags | (_IN_CHILD if child == "body" else 0)
        orelse = flags | (_IN_CHILD if child == "orelse" else 0)
        ordered = [(node.test, flags), *((s, body) for s in node.body), *((s, orelse) for s in node.orelse)]
        return list(reversed(ordered))
