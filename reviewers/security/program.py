"""The changed Python modules as one program, so that taint follows calls between functions.

Each function gets a summary on demand, per set of parameters the caller taints: whether its result carries
that taint (``returns_tainted``) and which sinks those parameters reach inside it (``seeded_hits``). Calls
resolve to functions of the same module (``helper(x)``, ``self.helper(x)`` within a class, decorated or
not) and of the other modules the change touches (``from app.db import run``, ``db.run(...)``, relative
imports). Summaries are computed only where outside data reaches a call, and memoised, so ordinary code
pays nothing; recursion is cut by treating a summary still being computed as clean.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from reviewers.security.common import Source
from reviewers.security.taint import Hit, Scope, Taint, aliases, dotted

Function = ast.FunctionDef | ast.AsyncFunctionDef
Check = Callable[[Scope, ast.AST], Iterator[Hit]]


@dataclass(kw_only=True)
class Unit:
    """One parsed module, indexed in one walk: its import aliases, its functions by qualified name, and
    the nodes that belong to the module body and to each function (not to functions nested in it)."""

    source: Source
    tree: ast.Module
    module: str
    names: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)  # "f", "Class.method"
    owner: dict[int, str] = field(default_factory=dict)  # id(method) -> its class name, for self.calls
    own: dict[int, list[ast.AST]] = field(default_factory=dict)  # id(function or tree) -> its own nodes
    every_function: list[Function] = field(default_factory=list)

    @classmethod
    def of(cls, source: Source, tree: ast.Module) -> Unit:
        unit = cls(source=source, tree=tree, module=module_name(source.path))
        imports = unit._index()
        unit.names = {**aliases(imports), **_relative_imports(imports, unit.module, source.path)}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                unit.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        unit.functions[f"{node.name}.{item.name}"] = item
                        unit.owner[id(item)] = node.name
        return unit

    def _index(self) -> list[ast.Import | ast.ImportFrom]:
        """One walk (it visits every node of the change, so it is written for speed): each node into its
        function's list, or the module's; the functions and the imports on the way. The shared nodes
        (``Load()``, ``Add()``: one instance for all trees) are left out: no check looks for them among a
        scope's nodes (they read ``node.op`` where it matters), and they are a third of all nodes."""
        imports: list[ast.Import | ast.ImportFrom] = []
        own: list[ast.AST] = []
        self.own[id(self.tree)] = own
        stack: list[tuple[ast.AST, list[ast.AST]]] = [(self.tree, own)]
        push, pop, is_node = stack.append, stack.pop, ast.AST
        while stack:
            node, own = pop()
            kind = type(node)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self.every_function.append(node)  # type: ignore[arg-type]
                own = self.own[id(node)] = []
            elif node is not self.tree:
                own.append(node)
                if kind is ast.Import or kind is ast.ImportFrom:
                    imports.append(node)  # type: ignore[arg-type]
            fields = _FIELDS.get(kind)
            for name in fields if fields is not None else _fields(kind):
                value = getattr(node, name, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, is_node):
                            push((item, own))
                elif isinstance(value, is_node):
                    push((value, own))
        return imports


_SHARED_FIELDS = frozenset({"ctx", "op", "ops"})  # fields holding only shared nodes (see Unit._index)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in _SHARED_FIELDS)  # type: ignore[attr-defined]
    return fields


def module_name(path: str) -> str:
    """``src/app/db.py`` -> ``src.app.db``; a package's ``__init__.py`` is the package."""
    parts = path.removesuffix(".pyw").removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _relative_imports(imports: list[ast.Import | ast.ImportFrom], module: str, path: str) -> dict[str, str]:
    package = module.split(".") if path.endswith("__init__.py") else module.split(".")[:-1]
    names = {}
    for node in imports:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[: len(package) - node.level + 1] if node.level > 1 else package
            prefix = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                names[alias.asname or alias.name] = f"{prefix}.{alias.name}" if prefix else alias.name
    return names


@dataclass(kw_only=True)
class Program:
    """Every parsed unit of the change, with the per-function summaries computed so far."""

    units: list[Unit]
    checks: tuple[Check, ...] = ()
    _returns: dict[tuple[int, frozenset[str]], bool] = field(default_factory=dict)
    _hits: dict[tuple[int, frozenset[str]], list[tuple[Unit, Hit]]] = field(default_factory=dict)
    _by_suffix: dict[str, Unit] = field(default_factory=dict)
    _scopes: dict[int, list[Scope]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for unit in self.units:
            parts = unit.module.split(".")
            for start in range(len(parts)):  # src.app.db is also importable as app.db or db
                self._by_suffix.setdefault(".".join(parts[start:]), unit)

    def scopes(self, unit: Unit) -> list[Scope]:
        """The module and each function of ``unit``, with their own nodes and taint (computed once)."""
        if id(unit) not in self._scopes:
            functions: list[Function | None] = [None, *unit.every_function]
            self._scopes[id(unit)] = [self.scope(unit, func) for func in functions]
        return self._scopes[id(unit)]

    def scope(self, unit: Unit, func: Function | None, seeds: frozenset[str] = frozenset()) -> Scope:
        nodes = unit.own[id(func if func is not None else unit.tree)]
        taint = Taint.of(
            func or unit.tree, unit.names, nodes, seeds=seeds, calls=_Resolver(program=self, unit=unit, func=func)
        )
        return Scope(names=unit.names, taint=taint, func=func, nodes=nodes)

    def resolve(self, unit: Unit, func: Function | None, call: ast.Call) -> tuple[Unit, Function] | None:
        """The function of the change's modules that ``call`` calls, if it is one."""
        target = dotted(call.func)
        if target is None:
            return None
        head, _, rest = target.partition(".")
        if head == "self" and func is not None and id(func) in unit.owner and "." not in rest:
            method = unit.functions.get(f"{unit.owner[id(func)]}.{rest}")
            return (unit, method) if method is not None else None
        if not rest and head in unit.functions and head not in unit.names:
            return unit, unit.functions[head]
        full = f"{unit.names[head]}.{rest}" if head in unit.names and rest else unit.names.get(head, "")
        module, _, name = full.rpartition(".")
        other = self._by_suffix.get(module)
        if other is not None and name in other.functions:
            return other, other.functions[name]
        return None

    def tainted_parameters(self, callee: Function, call: ast.Call, taint: Taint) -> frozenset[str]:
        params = [a.arg for a in [*callee.args.posonlyargs, *callee.args.args]]
        if params[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
            params = params[1:]
        tainted = {p for p, arg in zip(params, call.args, strict=False) if taint.tainted(arg)}
        tainted |= {k.arg for k in call.keywords if k.arg and taint.tainted(k.value)}
        if any(isinstance(a, ast.Starred) and taint.tainted(a.value) for a in call.args) and callee.args.vararg:
            tainted.add(callee.args.vararg.arg)
        return frozenset(tainted)

    def returns_tainted(self, unit: Unit, callee: Function, seeds: frozenset[str]) -> bool:
        key = (id(callee), seeds)
        if key not in self._returns:
            self._returns[key] = False  # while computing: recursion sees a clean result
            scope = self.scope(unit, callee, seeds)
            returns = [n.value for n in scope.nodes if isinstance(n, ast.Return) and n.value is not None]
            self._returns[key] = any(scope.taint.tainted(value) for value in returns)
        return self._returns[key]

    def seeded_hits(self, unit: Unit, callee: Function, seeds: frozenset[str]) -> list[tuple[Unit, Hit]]:
        """Hits inside ``callee`` when the parameters ``seeds`` carry outside data (and what its own
        calls pass on), computed once per (function, seeds)."""
        key = (id(callee), seeds)
        if key in self._hits:
            return self._hits[key]
        self._hits[key] = []
        scope = self.scope(unit, callee, seeds)
        hits = [(unit, hit) for node in scope.nodes for check in self.checks for hit in check(scope, node)]
        hits += self.calls_out(unit, scope)
        self._hits[key] = hits
        return hits

    def calls_out(self, unit: Unit, scope: Scope) -> list[tuple[Unit, Hit]]:
        """Hits inside the change's functions that ``scope`` calls with tainted arguments."""
        hits = []
        for node in scope.nodes:
            if not isinstance(node, ast.Call):
                continue
            resolved = self.resolve(unit, scope.func, node)
            if resolved is None:
                continue
            seeds = self.tainted_parameters(resolved[1], node, scope.taint)
            if seeds:
                hits += [(u, _via(h, node, unit)) for u, h in self.seeded_hits(*resolved, seeds)]
        return hits


def _via(hit: Hit, call: ast.Call, caller: Unit) -> Hit:
    """A hit inside a helper, remembering the call that brought the data (cited there when the helper's
    own line is old code)."""
    return hit if hit.via is not None else replace(hit, via=(caller.source, call))


@dataclass(kw_only=True)
class _Resolver:
    program: Program
    unit: Unit
    func: Function | None

    def returns_tainted(self, call: ast.Call, taint: Taint) -> bool | None:
        resolved = self.program.resolve(self.unit, self.func, call)
        if resolved is None:
            return None
        unit, callee = resolved
        return self.program.returns_tainted(unit, callee, self.program.tainted_parameters(callee, call, taint))
