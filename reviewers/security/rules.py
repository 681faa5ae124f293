"""reviewkit's own Python rules, for what bandit misses: request-derived data reaching a sink
(:mod:`injection`), and misconfigurations bandit does not know (:mod:`misconfig`).

Each check looks at one node with the taint of its function at hand and yields Hits; :func:`scan` turns
them into Findings on the lines the diff added.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from reviewers.security import injection, misconfig
from reviewers.security.common import Source, cite
from reviewers.security.taint import Hit, Scope, Taint, aliases
from reviewkit import Finding

_CALL_CHECKS = (*injection.CALL_CHECKS, *misconfig.CALL_CHECKS)


def scan(source: Source, tree: ast.Module) -> Iterator[Finding]:
    """Findings of reviewkit's own rules on the lines the change added to ``source``."""
    names = aliases(tree)
    hits: list[Hit] = []
    for scope, nodes in _scopes(tree, names):
        for node in nodes:
            hits.extend(_check(scope, node))
    hits.extend(misconfig.module_checks(tree, names, source.path))
    for hit in hits:
        finding = cite(
            source,
            rule=f"security/{hit.rule}",
            severity=hit.severity,
            start=getattr(hit.node, "lineno", 1),
            end=getattr(hit.node, "end_lineno", None),
            message=hit.message,
            cwe=hit.cwe,
            confidence=hit.confidence,
        )
        if finding is not None:
            yield finding


def sanitized_commands(tree: ast.Module) -> frozenset[int]:
    """Lines of shell commands made only of literals and sanitised values (see
    :func:`injection.sanitized_command`), where bandit's shell warnings are noise."""
    names = aliases(tree)
    lines: set[int] = set()
    for scope, nodes in _scopes(tree, names):
        for node in nodes:
            if isinstance(node, ast.Call) and injection.sanitized_command(scope, node):
                lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def _scopes(tree: ast.Module, names: dict[str, str]) -> Iterator[tuple[Scope, list[ast.AST]]]:
    """The module and each function, with the nodes that belong to it rather than to a nested function."""
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef | None] = [None]
    functions += [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for func in functions:
        root: ast.AST = tree if func is None else func
        nodes = list(_own_nodes(root))
        if not any(isinstance(n, ast.Call | ast.Assign | ast.Return) for n in nodes):
            continue
        yield Scope(names=names, taint=Taint.of(func or tree, names, nodes), func=func, nodes=nodes), nodes


def _own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _check(scope: Scope, node: ast.AST) -> Iterator[Hit]:
    if isinstance(node, ast.Call):
        for check in _CALL_CHECKS:
            yield from check(scope, node)
    elif isinstance(node, ast.Assign):
        yield from misconfig.assignment(scope, node)
    elif isinstance(node, ast.Return) and node.value is not None:
        yield from injection.html_return(scope, node)
        yield from misconfig.returned(scope, node)
