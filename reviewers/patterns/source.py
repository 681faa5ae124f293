"""The changed Python files as the pattern reviewers see them: head text, the lines the diff added, and
the syntax tree; and citing a finding on an added line with the line itself as evidence."""

from __future__ import annotations

import ast
import difflib
import functools
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

from reviewkit import FileStatus, Finding, ReviewContext, Severity

PYTHON_SUFFIXES = (".py", ".pyw", ".pyi")
MAX_FILE_BYTES = 2_000_000
_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")


@dataclass(frozen=True, slots=True, kw_only=True)
class PySource:
    """One changed Python file at the head: its text, lines, the added line numbers and its tree."""

    path: str
    text: str
    added: frozenset[int]
    tree: ast.Module
    lines: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.lines:
            object.__setattr__(self, "lines", tuple(self.text.split("\n")))

    @property
    def is_test(self) -> bool:
        return _TEST_PATH.search(self.path) is not None

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def touches(self, node: ast.AST) -> int | None:
        """The first added line inside ``node``'s own first line..end, or None when it is old code."""
        start = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", None) or start
        return next((n for n in range(start, end + 1) if n in self.added), None)

    def finding(
        self, rule: str, node: ast.AST | int, message: str, severity: Severity = Severity.LOW
    ) -> Finding | None:
        """A finding on ``node`` (or a line number) if the change added a line of it, else None."""
        number = node if isinstance(node, int) else self.touches(node)
        if number is None or number not in self.added:
            return None
        return Finding(
            rule=rule, severity=severity, path=self.path, line=number, message=message, evidence=self.line(number)
        )


def python_sources(context: ReviewContext) -> Iterator[PySource]:
    """Every changed Python file the change added lines to, parsed; a file that cannot be read is
    reported with ``context.not_reviewed`` (these reviewers warn, so that never blocks by itself)."""
    for file in context.files:
        if file.status is FileStatus.DELETED or file.binary or not file.path.endswith(PYTHON_SUFFIXES):
            continue
        added = file.added_line_numbers()
        text = context.read(file.path) if added else None
        if text is None:
            continue
        tree = _parse(context, file.path, text)
        if tree is not None:
            yield PySource(path=file.path, text=text, added=added, tree=tree)


def _parse(context: ReviewContext, path: str, text: str) -> ast.Module | None:
    if len(text) > MAX_FILE_BYTES or "\0" in text:
        context.not_reviewed(path, "binary or over 2 MB")
        return None
    try:
        return _parsed(path, text)
    except (SyntaxError, ValueError, RecursionError) as exc:
        context.not_reviewed(path, f"does not parse as Python 3 ({type(exc).__name__})")
        return None


@functools.lru_cache(maxsize=512)
def _parsed(path: str, text: str) -> ast.Module:
    """Parsed once per run for the three pattern reviewers (they read the same files; trees are only read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in old code are not these reviewers' business
        return ast.parse(text, filename=path)


def parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Each node's parent, for walking outwards (enclosing loops, functions)."""
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def call_name(node: ast.AST) -> str:
    """``a.b.c`` for a call or attribute chain of names, else ``""``."""
    if isinstance(node, ast.Call):
        node = node.func
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def unified_patch(path: str, old: str, new: str) -> str:
    """A ``git apply``-able diff turning ``old`` into ``new`` at ``path`` ("" when they are equal)."""
    if old == new:
        return ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
