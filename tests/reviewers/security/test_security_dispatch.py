"""Each call check runs only on the calls it declares (rules.CallDispatch): never at the cost of a hit.

Every call of every snippet of the labelled corpus is put to every call check and to the ones the dispatch
chooses; the hits must be the same. A check whose declaration misses a call it can report fails here.
"""

from __future__ import annotations

import ast

import security_corpus

from reviewers.security import parsing, rules
from reviewers.security.common import Source


def _hits(checks, scope, call) -> list[tuple[str, int, str]]:
    return [(hit.rule, id(hit.node), hit.message) for check in checks for hit in check(scope, call)]


def test_the_dispatch_loses_no_hit_on_the_corpus() -> None:
    every = [check for check, _ in rules.CALL_CHECKS]
    snippets = [s for s in security_corpus.load() if s.path.endswith(".py")]
    files = []
    for snippet in snippets:
        added = frozenset(range(1, snippet.head.count("\n") + 2))
        source = Source(path=snippet.path, text=snippet.head, added=added, untrusted=False, base_lines=frozenset())
        tree = parsing.parse(snippet.head, snippet.path).tree
        assert tree is not None, snippet.name
        files.append((source, tree))
    program = rules.program(files)
    calls, hits, skipped = 0, 0, 0
    for unit in program.units:
        for scope in program.scopes(unit):
            for node in scope.nodes:
                if isinstance(node, ast.Call):
                    chosen = rules._DISPATCH.for_call(scope, node)
                    expected = _hits(every, scope, node)
                    assert _hits(chosen, scope, node) == expected, (unit.source.path, node.lineno)
                    calls, hits, skipped = calls + 1, hits + len(expected), skipped + len(every) - len(chosen)
    assert len(snippets) > 300 and calls > 800 and hits > 150
    assert skipped > calls * len(every) * 0.8  # most checks are not asked of most calls
