"""performance: work a change makes grow faster than its input, or repeats on every pass of a loop.

Static checks on added lines (warnings): membership tests on lists inside loops, ``pop(0)``/``insert(0, x)``
on lists in loops, strings built with ``+=`` in loops, nested loops over the same collection, database
queries issued once per loop pass (Django, SQLAlchemy, DB-API cursors), regexes compiled and files read
whole inside loops with loop-invariant arguments, and fixed sleeps; plus ruff's PERF101/PERF102.

Measured (the only finding that blocks): with ``bench_command`` configured, the command runs in the
base and the head, alternately, ``bench_repeat`` times each, sandboxed like the test gate; when the
head's median is slower than the base's by more than ``max_regression``, the finding quotes both.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator

from reviewkit import Finding, ProviderError, ReviewContext, Reviewer, hookimpl

from . import ruff
from .measure import measure_regression
from .source import PySource, call_name, parents, python_sources

RUFF_RULES = ("PERF101", "PERF102")
MEASURED = "performance/measured-regression"
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
_ORM_CALLS = frozenset({"get", "filter", "exclude", "count", "exists", "first", "last", "create", "get_or_create"})
_QUERY_METHODS = frozenset({"query", "execute", "scalars", "scalar"})
_READS = frozenset({"read", "read_text", "read_bytes", "readlines"})
MODEL_INSTRUCTIONS = """\
You are the performance reviewer. Static checks already flagged loop patterns. Look in the added lines
only for algorithmic problems the author can fix locally: work that grows quadratically with the input,
a data structure with the wrong lookup cost, repeated I/O or queries on a hot path, caches that never
evict. Quote the added line, name the input that grows, and give the better structure. Severity low.
Rule ids: performance/<kebab-case-name>.
"""


class Performance(Reviewer):
    name = "performance"
    description = "Quadratic patterns and work repeated in loops; blocks only on a measured regression (bench_command)."
    blocking = True  # only measured regressions block: see blocks()
    trigger = "always"
    options_schema = {
        "properties": {
            "bench_command": {"type": "string", "minLength": 1, "description": "a benchmark run in base and head"},
            "max_regression": {"type": "number", "exclusiveMinimum": 0, "default": 0.10},
            "bench_repeat": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
            "bench_timeout": {"type": "number", "exclusiveMinimum": 0, "default": 600},
            "bench_pattern": {
                "type": "string",
                "description": "regex whose first group is the figure to compare (lower is better); default: wall time",
            },
            "model_review": {"type": "boolean", "default": True},
        }
    }

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        sources = {s.path: s for s in python_sources(context)}
        findings = [f for source in sources.values() if not source.is_test for f in check(source) if f is not None]
        findings += _ruff_findings({p: s for p, s in sources.items() if not s.is_test}, not context.untrusted)
        if context.model is not None and sources and context.options["model_review"]:
            findings += _model_findings(context, sources)
        if context.options.get("bench_command"):
            findings += measure_regression(context, MEASURED)
        return sorted(set(findings), key=lambda f: (f.path, f.line, f.rule))

    def blocks(self, finding: Finding) -> bool:
        """Only a measured regression blocks; static patterns are warnings (a pattern is not a measurement)."""
        return finding.rule.startswith(MEASURED)


_CANDIDATES = (ast.Compare, ast.Call, ast.AugAssign, ast.For)


def check(source: PySource) -> Iterator[Finding | None]:
    # Only nodes on added lines can be reported: find them first, and pay for the rest only if any.
    candidates = [n for n in ast.walk(source.tree) if isinstance(n, _CANDIDATES) and source.touches(n) is not None]
    if not candidates:
        return
    up = parents(source.tree)
    lists = _list_names(source.tree, up)
    strings = _string_names(source.tree, up)
    for node in candidates:
        loop = _enclosing_loop(node, up)
        if loop is None:
            in_function = isinstance(_scope(node, up), ast.FunctionDef | ast.AsyncFunctionDef)
            if in_function and isinstance(node, ast.Call) and call_name(node) == "time.sleep" and _constant(node):
                yield source.finding(
                    "performance/fixed-sleep",
                    node,
                    "a fixed time.sleep() on this path: every "
                    "call waits; wait for the condition (event, poll with timeout) instead",
                )
            continue
        yield from _in_loop(source, node, loop, up, lists, strings)


def _in_loop(
    source: PySource,
    node: ast.AST,
    loop: ast.AST,
    up: dict[ast.AST, ast.AST],
    lists: set[tuple[ast.AST, str]],
    strings: set[tuple[ast.AST, str]],
) -> Iterator[Finding | None]:
    scope = _scope(node, up)
    if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
        name = call_name(node.comparators[0])
        if (scope, name) in lists:
            yield source.finding(
                "performance/list-membership-in-loop",
                node,
                f"'in {name}' scans the list on every pass of the loop (quadratic); build a set once before the loop",
            )
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        yield from _call_in_loop(source, node, node.func, loop, scope, lists)
    elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
        if (scope, node.target.id) in strings and isinstance(loop, ast.For | ast.AsyncFor | ast.While):
            yield source.finding(
                "performance/string-concat-in-loop",
                node,
                f"'{node.target.id} +=' copies the "
                "whole string on every pass (quadratic); collect parts in a list and ''.join() them",
            )
    elif isinstance(node, ast.For) and isinstance(loop, ast.For) and _same_data(node, loop):
        yield source.finding(
            "performance/nested-loop-same-data",
            node,
            f"nested loops over {ast.unparse(node.iter)} (quadratic); index it in a dict by the compared key first",
        )


def _call_in_loop(
    source: PySource,
    node: ast.Call,
    func: ast.Attribute,
    loop: ast.AST,
    scope: ast.AST,
    lists: set[tuple[ast.AST, str]],
) -> Iterator[Finding | None]:
    owner = call_name(func.value)
    first = node.args[0] if node.args else None
    at_front = isinstance(first, ast.Constant) and first.value == 0
    if func.attr in ("pop", "insert") and at_front and (scope, owner) in lists:
        yield source.finding(
            "performance/list-front-in-loop",
            node,
            f"{owner}.{func.attr}(0, ...) moves every element on each pass; use collections.deque (popleft/appendleft)",
        )
    elif _is_query(node, func):
        yield source.finding(
            "performance/query-in-loop",
            node,
            f"{ast.unparse(func)}() runs one database query per "
            "pass of the loop (N+1); fetch once before the loop (filter(id__in=...), a join, "
            "select_related/prefetch_related, executemany)",
        )
    elif call_name(node) == "re.compile" and _invariant(node, loop):
        yield source.finding(
            "performance/regex-compiled-in-loop",
            node,
            "the same pattern is compiled on every pass; compile it once outside the loop",
        )
    elif func.attr in _READS and _reads_whole_file(node) and _invariant(node, loop):
        yield source.finding(
            "performance/file-read-in-loop",
            node,
            "the same file is read whole on every pass; read it once before the loop",
        )


def _is_query(node: ast.Call, func: ast.Attribute) -> bool:
    chain = call_name(func)
    if ".objects." in f".{chain}" and func.attr in _ORM_CALLS:
        return True
    owner = call_name(func.value).split(".")[-1]
    return func.attr in _QUERY_METHODS and owner in ("session", "db_session", "cursor", "cur", "conn", "connection")


def _reads_whole_file(node: ast.Call) -> bool:
    inner = node.func.value if isinstance(node.func, ast.Attribute) else None
    return isinstance(inner, ast.Call) and call_name(inner) in ("open", "Path", "pathlib.Path", "io.open")


def _invariant(node: ast.Call, loop: ast.AST) -> bool:
    """The call's arguments (and the object it is called on) use no name the loop binds or changes."""
    changing = _bound_in(loop)
    used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return not used & changing and all(isinstance(a, ast.Constant | ast.Name | ast.Attribute) for a in _args(node))


def _args(node: ast.Call) -> list[ast.expr]:
    inner = node.func.value if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call) else None
    return [*node.args, *(inner.args if inner else [])]


def _bound_in(loop: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(loop) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(loop, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        names |= {n.id for g in loop.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
    return names


def _same_data(inner: ast.For, outer: ast.For) -> bool:
    """``for a in xs: ... for b in xs:`` over a plain name or attribute, comparing the two loop items."""
    data = call_name(inner.iter)
    if not data or data != call_name(outer.iter) or data in _bound_in(outer.body[0] if outer.body else outer):
        return False
    a = {n.id for n in ast.walk(outer.target) if isinstance(n, ast.Name)}
    b = {n.id for n in ast.walk(inner.target) if isinstance(n, ast.Name)}
    for node in ast.walk(inner):
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq):
            sides = [
                {n.id for n in ast.walk(side) if isinstance(n, ast.Name)} for side in (node.left, *node.comparators)
            ]
            if any(s & a for s in sides) and any(s & b for s in sides):
                return True
    return False


def _enclosing_loop(node: ast.AST, up: dict[ast.AST, ast.AST]) -> ast.AST | None:
    """The nearest loop around ``node`` within its function; a loop's own iterable (a ``for``'s, or a
    comprehension's first) is evaluated once, so it is not inside that loop."""
    child, current = node, up.get(node)
    while current is not None and not isinstance(current, _SCOPES):
        if (isinstance(current, ast.For | ast.AsyncFor) and child is not current.iter) or isinstance(
            current, ast.While
        ):
            return current
        if isinstance(current, ast.comprehension):
            comprehension = up[current]
            assert isinstance(comprehension, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp)
            if child is not current.iter or comprehension.generators[0] is not current:
                return comprehension
            child, current = comprehension, up.get(comprehension)
            continue
        if isinstance(current, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            return current  # reached from the element: evaluated once per item
        child, current = current, up.get(current)
    return None


def _scope(node: ast.AST, up: dict[ast.AST, ast.AST]) -> ast.AST:
    current = up.get(node)
    while current is not None and not isinstance(current, _SCOPES):
        current = up.get(current)
    return current if current is not None else node


def _list_names(tree: ast.Module, up: dict[ast.AST, ast.AST]) -> set[tuple[ast.AST, str]]:
    """Names bound only to lists in their scope (a list display, comprehension or list() call)."""
    kinds: dict[tuple[ast.AST, str], set[bool]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = call_name(target)
                if name and not isinstance(target, ast.Subscript):
                    is_list = isinstance(node.value, ast.List | ast.ListComp) or call_name(node.value) in (
                        "list",
                        "sorted",
                    )
                    kinds.setdefault((_scope(node, up), name), set()).add(is_list)
    return {key for key, seen in kinds.items() if seen == {True}}


def _string_names(tree: ast.Module, up: dict[ast.AST, ast.AST]) -> set[tuple[ast.AST, str]]:
    names = set()
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Assign) else None
        if isinstance(value, ast.JoinedStr) or (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            assert isinstance(node, ast.Assign)
            names.update((_scope(node, up), t.id) for t in node.targets if isinstance(t, ast.Name))
    return names


def _constant(node: ast.Call) -> bool:
    return bool(node.args) and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int | float)


def _ruff_findings(sources: dict[str, PySource], honour_noqa: bool) -> list[Finding]:
    found = []
    for d in ruff.check({p: s.text for p, s in sources.items()}, select=RUFF_RULES, honour_noqa=honour_noqa):
        finding = sources[d.path].finding(f"performance/{d.code}", d.line, f"{d.message} (ruff {d.code})")
        if finding is not None:
            found.append(finding)
    return found


def _model_findings(context: ReviewContext, sources: dict[str, PySource]) -> list[Finding]:
    try:
        found = context.model.review_with_prompt(context, instructions=MODEL_INSTRUCTIONS) if context.model else []
    except ProviderError as exc:
        context.note(f"model pass not completed ({exc}); deterministic findings stand")
        return []
    return [
        f for f in found if f.path in sources and f.line in sources[f.path].added and not f.rule.startswith(MEASURED)
    ]


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(Performance())
