"""concurrency: threading, locking and async mistakes on the lines a change adds.

ruff's ASYNC rules find blocking calls inside ``async def`` (sleep, HTTP clients, file and subprocess
I/O) and RUF006 finds ``asyncio.create_task`` results thrown away. This reviewer adds what a linter of
one statement cannot see: coroutines of the same module called and never awaited, tasks dropped from an
event loop's ``create_task``, ``acquire()`` with no ``release()`` in a ``finally``, check-then-act on
shared state outside the lock the class or module already has, module globals mutated by a thread
target without a lock, and threads started at import time. Warnings; with a model, a second look at
the added concurrent code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator

from reviewkit import Finding, ProviderError, ReviewContext, Reviewer, Severity, hookimpl

from . import ruff
from .source import PySource, call_name, parents, python_sources

RUFF_RULES = ("ASYNC", "RUF006")
# Opinions rather than mistakes: polling with sleep in a loop (110), a timeout parameter (109), long or
# zero sleeps (115, 116: trio/anyio idioms).
RUFF_IGNORED = ("ASYNC109", "ASYNC110", "ASYNC115", "ASYNC116")
_LOCK_FACTORIES = frozenset(
    {"threading.Lock", "threading.RLock", "Lock", "RLock", "asyncio.Lock", "multiprocessing.Lock"}
)
_THREAD_FACTORIES = frozenset({"threading.Thread", "Thread"})
_MUTATORS = frozenset(
    {"append", "extend", "insert", "pop", "remove", "clear", "update", "add", "discard", "setdefault"}
)
MODEL_INSTRUCTIONS = """\
You are the concurrency reviewer. Linters already flagged blocking calls in async code and dropped
tasks. Look in the added lines only for races (shared state read and written by several threads or
tasks without a lock), deadlocks (locks taken in different orders, a lock held across await or a
blocking call), and async misuse (a coroutine never awaited, cancellation swallowed). Quote the added
line; say which other code runs concurrently with it. Severity medium when it can corrupt data.
Rule ids: concurrency/<kebab-case-name>.
"""


class Concurrency(Reviewer):
    name = "concurrency"
    description = "Blocking calls in async code, un-awaited coroutines, dropped tasks, unreleased locks, races."
    blocking = False
    trigger = "always"
    options_schema = {"properties": {"model_review": {"type": "boolean", "default": True}}}

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        sources = {s.path: s for s in python_sources(context) if _concurrent(s)}
        findings = _ruff_findings(sources, honour_noqa=not context.untrusted)
        for source in sources.values():
            findings.extend(f for f in check(source) if f is not None)
        if context.model is not None and sources and context.options["model_review"]:
            findings.extend(_model_findings(context, sources))
        return _one_per_line(findings)


def _concurrent(source: PySource) -> bool:
    """Only files that use threads, locks or async at all are read further (most files do not)."""
    text = source.text
    return any(word in text for word in ("async ", "thread", "Thread", "Lock", "asyncio", "concurrent"))


def _ruff_findings(sources: dict[str, PySource], *, honour_noqa: bool) -> list[Finding]:
    texts = {p: s.text for p, s in sources.items()}
    diagnostics = ruff.check(texts, select=RUFF_RULES, ignore=RUFF_IGNORED, honour_noqa=honour_noqa)
    found = []
    for d in diagnostics:
        source = sources[d.path]
        finding = source.finding(f"concurrency/{d.code}", d.line, f"{d.message} (ruff {d.code})", Severity.MEDIUM)
        if finding is not None:
            found.append(finding)
    return found


def check(source: PySource) -> Iterator[Finding | None]:
    """Every AST check over one file; each yields findings on added lines (None where old code)."""
    up = parents(source.tree)
    yield from _unawaited_coroutines(source, up)
    yield from _dropped_loop_tasks(source)
    yield from _unreleased_locks(source)
    yield from _check_then_act(source, up)
    yield from _globals_from_threads(source, up)
    yield from _threads_at_import(source)


def _unawaited_coroutines(source: PySource, up: dict[ast.AST, ast.AST]) -> Iterator[Finding | None]:
    coroutines = {n.name for n in ast.walk(source.tree) if isinstance(n, ast.AsyncFunctionDef)}
    plain = {n.name for n in ast.walk(source.tree) if isinstance(n, ast.FunctionDef)}
    coroutines -= plain  # a name defined both ways is ambiguous: say nothing
    for node in ast.walk(source.tree):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        name = call_name(node.value).removeprefix("self.").removeprefix("cls.")
        if name in coroutines:
            yield source.finding(
                "concurrency/coroutine-not-awaited",
                node,
                f"{name}() is a coroutine function: calling it without await only creates a coroutine object; "
                "the body never runs",
                Severity.MEDIUM,
            )


def _dropped_loop_tasks(source: PySource) -> Iterator[Finding | None]:
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "create_task" and _is_loop(func.value):
                yield source.finding(
                    "concurrency/task-dropped",
                    node,
                    "the event loop keeps only a weak reference to a task: keep the one create_task returns "
                    "(or use a TaskGroup), or it may be garbage-collected before it finishes",
                )


def _is_loop(node: ast.AST) -> bool:
    name = call_name(node)
    return name.endswith(("get_event_loop", "get_running_loop", "new_event_loop")) or name.split(".")[-1] in (
        "loop",
        "_loop",
        "event_loop",
    )


def _unreleased_locks(source: PySource) -> Iterator[Finding | None]:
    for function in _functions(source.tree):
        released = {
            call_name(n.func.value)
            for block in ast.walk(function)
            if isinstance(block, ast.Try)
            for stmt in block.finalbody
            for n in ast.walk(stmt)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "release"
        }
        for node in ast.walk(function):
            if isinstance(node, ast.Expr | ast.Assign | ast.If) and _acquires(node):
                lock = _acquired(node)
                if lock and lock not in released:
                    yield source.finding(
                        "concurrency/lock-not-released",
                        node,
                        f"{lock}.acquire() without {lock}.release() in a finally: an exception leaves it held "
                        f"for ever; use 'with {lock}:'",
                        Severity.MEDIUM,
                    )


def _acquires(node: ast.AST) -> bool:
    return _acquired(node) is not None


def _acquired(node: ast.AST) -> str | None:
    value = node.value if isinstance(node, ast.Expr | ast.Assign) else getattr(node, "test", None)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "acquire":
        name = call_name(value.func.value)
        return name or None
    return None


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    return (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _check_then_act(source: PySource, up: dict[ast.AST, ast.AST]) -> Iterator[Finding | None]:
    """``if k not in shared: shared[k] = ...`` outside the lock that the class or module defines."""
    locks = _lock_names(source.tree)
    if not locks:
        return
    for node in ast.walk(source.tree):
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)):
            continue
        test = node.test
        if len(test.ops) != 1 or not isinstance(test.ops[0], ast.NotIn):
            continue
        shared = call_name(test.comparators[0])
        if not _is_shared(shared, source.tree) or _under_lock(node, up, locks):
            continue
        if any(_writes(stmt, shared) for stmt in node.body):
            yield source.finding(
                "concurrency/check-then-act",
                node,
                f"check-then-act on {shared} outside the lock ({', '.join(sorted(locks))}) this code already has: "
                "another thread can act between the check and the write",
            )


def _lock_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and call_name(node.value) in _LOCK_FACTORIES:
            names.update(call_name(t) for t in node.targets if call_name(t))
    return names


def _is_shared(name: str, tree: ast.Module) -> bool:
    return name.startswith("self.") or name in _module_globals(tree)


def _module_globals(tree: ast.Module) -> set[str]:
    return {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    }


def _under_lock(node: ast.AST, up: dict[ast.AST, ast.AST], locks: set[str]) -> bool:
    current: ast.AST | None = node
    while current is not None:
        if isinstance(current, ast.With | ast.AsyncWith) and any(
            call_name(item.context_expr) in locks for item in current.items
        ):
            return True
        current = up.get(current)
    return False


def _writes(stmt: ast.AST, shared: str) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and call_name(t.value) == shared for t in node.targets
        ):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
            and call_name(node.func.value) == shared
        ):
            return True
    return False


def _globals_from_threads(source: PySource, up: dict[ast.AST, ast.AST]) -> Iterator[Finding | None]:
    """Module-level mutable containers changed inside a function run as a thread's target, with no lock."""
    targets = _thread_targets(source.tree)
    mutable = {
        t.id
        for node in source.tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Dict | ast.Set | ast.Call)
        for t in node.targets
        if isinstance(t, ast.Name) and (not isinstance(node.value, ast.Call) or call_name(node.value) in _CONTAINERS)
    }
    locks = _lock_names(source.tree)
    for function in source.tree.body:
        if not (isinstance(function, ast.FunctionDef) and function.name in targets):
            continue
        declared = {n for node in ast.walk(function) if isinstance(node, ast.Global) for n in node.names}
        for node in ast.walk(function):
            written = _written_global(node, mutable | declared)
            if written and not _under_lock(node, up, locks):
                yield source.finding(
                    "concurrency/global-written-by-thread",
                    node,
                    f"{function.name} runs as a thread target and changes the module global {written} without "
                    "a lock: concurrent updates can be lost",
                )


_CONTAINERS = frozenset(
    {"list", "dict", "set", "collections.defaultdict", "defaultdict", "collections.Counter", "Counter"}
)


def _written_global(node: ast.AST, names: set[str]) -> str | None:
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id in names:
        return node.target.id
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and call_name(target.value) in names:
                return call_name(target.value)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
        owner = call_name(node.value.func.value)
        if node.value.func.attr in _MUTATORS and owner in names:
            return owner
    return None


def _thread_targets(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) in (*_THREAD_FACTORIES, "executor.submit", "pool.submit"):
            for keyword in node.keywords:
                if keyword.arg == "target" and isinstance(keyword.value, ast.Name):
                    names.add(keyword.value.id)
    return names


def _threads_at_import(source: PySource) -> Iterator[Finding | None]:
    threads = {
        call_name(t)
        for node in source.tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and call_name(node.value) in _THREAD_FACTORIES
        for t in node.targets
    }
    for node in _import_time_statements(source.tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
        ):
            owner = node.value.func.value
            starts_thread = call_name(owner) in threads or (
                isinstance(owner, ast.Call) and call_name(owner) in _THREAD_FACTORIES
            )
            if node.value.func.attr == "start" and starts_thread:
                yield source.finding(
                    "concurrency/thread-at-import",
                    node,
                    "a thread started at import time runs before the importer is ready, survives in every "
                    "process that imports this module (forks, tests), and cannot be stopped: start it from a function",
                )


def _import_time_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Top-level statements, including those under top-level if/try (not ``if __name__ == '__main__'``)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.If):
            if "__name__" in ast.unparse(node.test):
                continue
            pending.extend([*node.body, *node.orelse])
        elif isinstance(node, ast.Try):
            pending.extend([*node.body, *node.orelse, *node.finalbody])
        else:
            yield node


def _model_findings(context: ReviewContext, sources: dict[str, PySource]) -> list[Finding]:
    try:
        found = context.model.review_with_prompt(context, instructions=MODEL_INSTRUCTIONS) if context.model else []
    except ProviderError as exc:
        context.note(f"model pass not completed ({exc}); deterministic findings stand")
        return []
    return [f for f in found if f.path in sources and f.line in sources[f.path].added]


def _one_per_line(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and line (a call inside a nested expression is walked more than once)."""
    seen: dict[tuple[str, int, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.path, finding.line, finding.rule), finding)
    return sorted(seen.values(), key=lambda f: (f.path, f.line, f.rule))


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(Concurrency())
