"""reviewkit's own Python rules, for what bandit misses: outside data reaching a sink (:mod:`injection`,
:mod:`flows`), and misconfigurations bandit does not know (:mod:`misconfig`, :mod:`hardening`).

Each check looks at one node with the taint of its function at hand and yields Hits; :func:`scan` runs them
over every function of the change's modules (a :class:`program.Program`, so that data passed to a helper is
followed into it) and turns the hits into Findings on the lines the diff added.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence

from reviewers.security import flows, hardening, injection, misconfig
from reviewers.security.common import ShapeMemo, Source, cite
from reviewers.security.program import Program, Unit
from reviewers.security.taint import Calls, Hit, Scope
from reviewkit import Finding

CallCheck = Callable[[Scope, ast.Call], Iterator[Hit]]
CALL_CHECKS: tuple[tuple[CallCheck, Calls], ...] = (
    *injection.CALL_CHECKS,
    *misconfig.CALL_CHECKS,
    *flows.CALL_CHECKS,
    *hardening.CALL_CHECKS,
)


class CallDispatch:
    """Which call checks to run on a call: those whose :class:`Calls` it matches, in their order.

    A change's code makes hundreds of thousands of calls and most interest no check; asking every check of
    every call was half the rules' time. The answer depends only on the call's imported name, method and
    keyword names, so it is kept for each such shape."""

    def __init__(self, checks: Sequence[tuple[CallCheck, Calls]]) -> None:
        self._checks = checks
        self._by_name: dict[str, list[int]] = {}
        self._by_keyword: dict[str, list[int]] = {}
        self._patterned = [i for i, (_, calls) in enumerate(checks) if calls.prefixes or calls.suffixes]
        for index, (_, calls) in enumerate(checks):
            for name in calls.names:
                self._by_name.setdefault(name, []).append(index)
            for keyword in calls.keywords:
                self._by_keyword.setdefault(keyword, []).append(index)
        self._chosen: ShapeMemo[tuple[str, str, tuple[str | None, ...]], tuple[CallCheck, ...]] = ShapeMemo()

    def for_call(self, scope: Scope, call: ast.Call) -> tuple[CallCheck, ...]:
        name = scope.name(call)
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        shape = (name, method, tuple(keyword.arg for keyword in call.keywords))
        chosen = self._chosen.get(shape)
        return chosen if chosen is not None else self._chosen.keep(shape, self._choose(*shape))

    def _choose(self, name: str, method: str, keywords: tuple[str | None, ...]) -> tuple[CallCheck, ...]:
        indexes = {*self._by_name.get(name.rsplit(".", 1)[-1], ()), *self._by_name.get(method, ())}
        indexes.update(i for keyword in keywords if keyword for i in self._by_keyword.get(keyword, ()))
        for index in self._patterned:
            calls = self._checks[index][1]
            if name and (name.startswith(calls.prefixes) or name.endswith(calls.suffixes)):
                indexes.add(index)
        return tuple(self._checks[index][0] for index in sorted(indexes))


_DISPATCH = CallDispatch(CALL_CHECKS)


def check(scope: Scope, node: ast.AST) -> Iterator[Hit]:
    """Every rule that applies to ``node``."""
    if isinstance(node, ast.Call):
        for call_check in _DISPATCH.for_call(scope, node):
            yield from call_check(scope, node)
    elif isinstance(node, ast.Attribute):
        yield from flows.attribute(scope, node)
    elif isinstance(node, ast.Assign):
        yield from misconfig.assignment(scope, node)
        yield from flows.assignment(scope, node)
        yield from hardening.assignment(scope, node)
    elif isinstance(node, ast.Return) and node.value is not None:
        yield from injection.html_return(scope, node)
        yield from misconfig.returned(scope, node)


def program(files: Sequence[tuple[Source, ast.Module]]) -> Program:
    return Program(units=[Unit.of(source, tree) for source, tree in files], checks=(check,))


def scan(whole: Program) -> Iterator[Finding]:
    """Findings of reviewkit's own rules on the lines the change added to the program's files."""
    for unit in whole.units:
        scopes = whole.scopes(unit)
        hits = [(unit, hit) for scope in scopes for node in scope.nodes for hit in check(scope, node)]
        hits += [pair for scope in scopes for pair in whole.calls_out(unit, scope)]
        hits += [(unit, hit) for hit in misconfig.module_checks(unit.tree, unit.names, unit.source.path)]
        hits += [(unit, hit) for hit in hardening.module_checks(unit)]
        hits += [(unit, hit) for scope in scopes if scope.func is not None for hit in hardening.function(scope)]
        for owner, hit in hits:
            finding = _finding(owner.source, hit)
            if finding is not None:
                yield finding


def _finding(source: Source, hit: Hit) -> Finding | None:
    finding = _cite(source, hit, hit.node)
    if finding is None and hit.via is not None:
        caller, call = hit.via  # the helper is old code: the change added the call that feeds it
        finding = _cite(caller, hit, call)
    return finding


def _cite(source: Source, hit: Hit, node: ast.AST) -> Finding | None:
    start = getattr(node, "lineno", 1)
    evidence = None
    if hit.secret:
        line = source.first_added(start, getattr(node, "end_lineno", None) or start) or start
        evidence = source.line(line).replace(hit.secret, "****").strip()
    return cite(
        source,
        evidence=evidence,
        rule=f"security/{hit.rule}",
        severity=hit.severity,
        start=getattr(node, "lineno", 1),
        end=getattr(node, "end_lineno", None),
        message=hit.message,
        cwe=hit.cwe,
        confidence=hit.confidence,
    )


def sanitized_commands(whole: Program, paths: set[str]) -> dict[str, frozenset[int]]:
    """Per path in ``paths``, lines of shell commands made only of literals and sanitised values (see
    :func:`injection.sanitized_command`), where bandit's shell warnings are noise."""
    result = {}
    for unit in whole.units:
        if unit.source.path not in paths:
            continue
        lines: set[int] = set()
        for scope in whole.scopes(unit):
            for node in scope.nodes:
                if isinstance(node, ast.Call) and injection.sanitized_command(scope, node):
                    lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        result[unit.source.path] = frozenset(lines)
    return result
