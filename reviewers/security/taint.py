"""Taint: which expressions in a function carry data from outside (a request, an event, the command line).

Per function and flow-insensitive. Sources, per framework: Flask/Quart/Sanic's ``request`` proxy and a
route's parameters; Django's ``request`` (GET, POST, body, META, FILES, COOKIES) and URL arguments, in
function and class-based views (``self.request``, ``self.kwargs``); FastAPI/Starlette path, query and body
parameters and ``Request``; aiohttp's ``request`` (match_info, query, json()); Tornado's
``self.get_argument()`` family and ``self.request``; an AWS Lambda handler's ``event``. The command line
(``sys.argv``, ``input()``) is the user's own input to a tool, so it is a source only where it matters:
a taint made with ``cli=True`` (see :meth:`Scope.cli_tainted`), asked by the command and code checks.

Data stays tainted through assignments, containers, string building of every kind, attributes of tainted
objects, method calls and calls that take it; casts and known sanitisers clean it. Calls into functions of
the changed modules ask ``calls`` (see :mod:`program`): the callee's own summary decides whether its
result carries the caller's taint.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from reviewers.security.common import Source
from reviewkit import Severity

T = TypeVar("T")

# Decorator attributes that make a function a web route (Flask, FastAPI, Starlette, Sanic, aiohttp).
ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "delete", "patch", "api_route", "websocket"})
# Calls whose result no longer carries the caller's string as such: casts, checks and sanitisers.
SANITIZERS = frozenset(
    {
        "int",
        "float",
        "bool",
        "len",
        "abs",
        "round",
        "hash",
        "id",
        "isinstance",
        "uuid.UUID",
        "UUID",
        "secure_filename",
        "werkzeug.utils.secure_filename",
        "os.path.basename",
        "basename",
        "shlex.quote",
        "pipes.quote",
        "quote",
        "html.escape",
        "escape",
        "markupsafe.escape",
        "flask.escape",
        "bleach.clean",
        "safe_join",
        "werkzeug.security.safe_join",
        "flask.safe_join",
        "os.path.exists",
        "os.path.isfile",
        "os.path.isdir",
        "re.match",
        "re.fullmatch",
        "ipaddress.ip_address",
        "urllib.parse.quote",
        "urllib.parse.quote_plus",
        "json.dumps",
        "sorted",
        "any",
        "all",
        "flask.render_template",
        "render_template",
        "django.shortcuts.render",  # autoescaped output
    }
)
_SAFE_ANNOTATIONS = frozenset({"int", "float", "bool", "UUID", "uuid.UUID", "date", "datetime"})
_REQUEST_ROOTS = frozenset({"request", "req"})
# Tornado's RequestHandler reads request data through methods of ``self``.
_SELF_SOURCES = frozenset(
    {
        "get_argument",
        "get_arguments",
        "get_query_argument",
        "get_query_arguments",
        "get_body_argument",
        "get_body_arguments",
        "get_cookie",
        "get_secure_cookie",
        "get_signed_cookie",
        "decode_argument",
    }
)
_LAMBDA_HANDLERS = frozenset({"handler", "lambda_handler", "main"})
_CLI_SOURCES = frozenset({"sys.argv"})
_VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "dispatch", "form_valid"})
# Server-side request types (FastAPI/Starlette/Flask/aiohttp Request, Django's HttpRequest); an HTTP
# client's PreparedRequest is the request being sent, not one received.
_REQUEST_TYPES = frozenset({"Request", "HttpRequest", "WSGIRequest", "ASGIRequest", "BaseRequest"})
# Attributes only a server-side request has (Django, Flask, DRF, Starlette, aiohttp), not an HTTP client's.
_INBOUND_ATTRIBUTES = frozenset(
    {
        "GET",
        "POST",
        "FILES",
        "COOKIES",
        "META",
        "args",
        "form",
        "values",
        "get_json",
        "json",
        "data",
        "query_params",
        "path_params",
        "match_info",
        "query",
        "view_args",
        "query_string",
        "remote_addr",
    }
)
_WEB_FRAMEWORKS = frozenset(
    {
        "django",
        "flask",
        "fastapi",
        "starlette",
        "aiohttp",
        "tornado",
        "quart",
        "sanic",
        "pyramid",
        "falcon",
        "bottle",
        "werkzeug",
        "litestar",
        "rest_framework",
        "ninja",
        "channels",
        "connexion",
        "responder",
    }
)


class CallResolver(Protocol):
    """How a Taint asks about a call into a function the change's modules define."""

    def returns_tainted(self, call: ast.Call, taint: Taint) -> bool | None:
        """Whether ``call``'s result carries the caller's taint; None when the callee is not known."""
        ...


def aliases(imports: list[ast.Import | ast.ImportFrom]) -> dict[str, str]:
    """Local names bound by ``imports``, mapped to what they import: ``sp`` -> ``subprocess``."""
    names: dict[str, str] = {}
    for node in imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                # ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``.
                top = alias.name.split(".")[0]
                names[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def qualname(node: ast.AST, names: dict[str, str]) -> str | None:
    """The imported name a Name/Attribute chain stands for: ``sp.call`` -> ``subprocess.call``."""
    text = dotted(node)
    if text is None:
        return None
    head, _, rest = text.partition(".")
    full = names.get(head, head)
    return f"{full}.{rest}" if rest else full


def call_name(call: ast.Call, names: dict[str, str]) -> str:
    return qualname(call.func, names) or ""


def is_route(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Attribute) and target.attr in ROUTE_DECORATORS:
            return True
    return False


def is_view(func: ast.FunctionDef | ast.AsyncFunctionDef, web: bool = True) -> bool:
    """A route, or (in a module of a web application: ``web``) a Django-style view taking ``request``
    first, whose other parameters come from the URL: a function, or a class-based view's handler method
    (``get``, ``post``...; not a middleware's ``process_view(self, request, view_func)``)."""
    args = [a.arg for a in func.args.args]
    method = args[:2] == ["self", "request"] and func.name in _VIEW_METHODS
    return is_route(func) or (web and (args[:1] == ["request"] or method))


def imports_web_framework(names: dict[str, str]) -> bool:
    """Whether the module imports a web framework: only there is a parameter called ``request`` the request
    a client sent (in an HTTP client library such as requests or pip it is the one being sent)."""
    return any(full.split(".")[0] in _WEB_FRAMEWORKS for full in names.values())


@dataclass(kw_only=True)
class Taint:
    """The tainted names of one function, computed once; ``tainted(expr)`` asks about any expression."""

    names: dict[str, str]
    request_names: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    calls: CallResolver | None = None
    cli: bool = False  # sys.argv and input() count as sources
    web: bool = True  # the module imports a web framework (see imports_web_framework)

    @classmethod
    def of(
        cls,
        func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
        names: dict[str, str],
        nodes: list[ast.AST],
        *,
        seeds: frozenset[str] = frozenset(),
        calls: CallResolver | None = None,
        cli: bool = False,
    ) -> Taint:
        """The taint of ``func`` (whose own nodes are ``nodes``); ``seeds`` are parameters to treat as
        tainted (a caller passes outside data to them)."""
        web = imports_web_framework(names)
        taint = cls(names=names, calls=calls, variables=set(seeds), cli=cli, web=web)
        if names.get("request", "").split(".")[0] in _WEB_FRAMEWORKS:
            taint.request_names.add("request")  # from flask (quart, sanic...) import request: the global proxy
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            taint._seed_parameters(func, web)
        taint._propagate(nodes)
        return taint

    def _seed_parameters(self, func: ast.FunctionDef | ast.AsyncFunctionDef, web: bool) -> None:
        params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        for param in params:
            annotation = dotted(param.annotation) if param.annotation is not None else None
            typed = (annotation or "").rsplit(".", 1)[-1] in _REQUEST_TYPES
            if web and (param.arg in _REQUEST_ROOTS or typed):
                self.request_names.add(param.arg)
        if _is_lambda_handler(func):
            self.variables.add(params[0].arg)
            return
        if not is_view(func, web):
            return
        self.variables.update(a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None)
        defaults = dict(zip(reversed(func.args.args), reversed(func.args.defaults), strict=False))
        defaults.update((a, d) for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults, strict=True) if d)
        for param in params:
            if param.arg in ("self", "cls") or param.arg in _REQUEST_ROOTS:
                continue
            default = defaults.get(param)
            if isinstance(default, ast.Call) and (dotted(default.func) or "").endswith("Depends"):
                continue  # FastAPI dependency: built by the application, not sent by the client
            if param.annotation is not None and (dotted(param.annotation) or "") in _SAFE_ANNOTATIONS:
                continue  # validated and converted by the framework
            self.variables.add(param.arg)

    def _propagate(self, nodes: list[ast.AST]) -> None:
        bindings = list(_bindings(nodes))
        changed = True
        while changed:
            changed = False
            for target, value in bindings:
                if self.tainted(value):
                    for name in _target_names(target):
                        if name not in self.variables:
                            self.variables.add(name)
                            changed = True

    def tainted(self, node: ast.AST | None) -> bool:
        if node is None or isinstance(node, ast.Constant):
            return False
        if isinstance(node, ast.Name):
            return node.id in self.variables
        if isinstance(node, ast.Attribute):
            return (
                self._request_attribute(node)
                or self.tainted(node.value)
                or self._cli_source(node)
                or (bool(self.variables) and dotted(node) in self.variables)
            )
        if _constant_lookup(node):
            return False  # TABLE[key] / TABLE.get(key): the value comes from our own constant table
        if isinstance(node, ast.Call):
            return self._call_tainted(node)
        if isinstance(node, ast.Compare):
            return False
        if isinstance(node, ast.Lambda | ast.FunctionDef):
            return False
        return any(self.tainted(child) for child in ast.iter_child_nodes(node))

    def _request_attribute(self, node: ast.Attribute) -> bool:
        root: ast.AST = node
        first = node.attr
        while isinstance(root, ast.Attribute):
            if isinstance(root.value, ast.Name) and root.value.id == "self" and root.attr in ("request", "kwargs"):
                return self.web  # class-based views: self.request, and the URL's arguments in self.kwargs
            first, root = root.attr, root.value
        if not isinstance(root, ast.Name):
            return False
        # Outside a web module, ``request.GET`` still reads as a client's request; ``request.url`` may not.
        return root.id in self.request_names or (root.id in _REQUEST_ROOTS and first in _INBOUND_ATTRIBUTES)

    def _cli_source(self, node: ast.Attribute) -> bool:
        return self.cli and qualname(node, self.names) in _CLI_SOURCES

    def _call_tainted(self, node: ast.Call) -> bool:
        name = call_name(node, self.names)
        if name in SANITIZERS or name.rsplit(".", 1)[-1] in SANITIZERS:
            return False
        if name in ("input", "builtins.input"):
            return self.cli
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _SELF_SOURCES and dotted(func.value) == "self":
            return True  # Tornado: self.get_argument("id")
        if self.calls is not None:
            local = self.calls.returns_tainted(node, self)
            if local is not None:
                return local
        if isinstance(func, ast.Attribute) and self.tainted(func):
            return True  # a method of tainted data, or of the request itself (request.get_json())
        return any(self.tainted(arg) for arg in [*node.args, *(k.value for k in node.keywords)])


def _guarded_names(nodes: list[ast.AST]) -> Iterator[str]:
    for node in nodes:
        if not isinstance(node, ast.If) or not node.body:
            continue
        tested = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        last = node.body[-1]
        if _leaves(last):
            yield from tested
        elif isinstance(last, ast.Assign) and isinstance(last.value, ast.Constant | ast.Call):
            yield from tested & {t.id for t in last.targets if isinstance(t, ast.Name)}


def _leaves(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Raise | ast.Return | ast.Continue | ast.Break):
        return True
    call = statement.value if isinstance(statement, ast.Expr) else None
    name = (dotted(call.func) or "") if isinstance(call, ast.Call) else ""
    return name.rsplit(".", 1)[-1] in ("abort", "exit", "fail", "deny")


def _cli_mention(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "argv") or (
        isinstance(node, ast.Name) and node.id == "input"
    )


def _is_lambda_handler(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An AWS Lambda entry point: ``handler(event, context)``; the event is what the caller sent."""
    args = [a.arg for a in func.args.args]
    return len(args) == 2 and args[1] == "context" and (args[0] == "event" or func.name in _LAMBDA_HANDLERS)


def _constant_lookup(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        table = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        table = node.func.value
    else:
        return False
    return isinstance(table, ast.Name) and table.id.isupper() and len(table.id) > 1


def _bindings(nodes: list[ast.AST]) -> Iterator[tuple[ast.AST, ast.AST]]:
    """Every (target, value) pair among ``nodes`` that binds a name."""
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield target, node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr) and node.value is not None:
            yield node.target, node.value
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            yield node.target, node.iter
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield node.optional_vars, node.context_expr


def _target_names(target: ast.AST) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Attribute):
        name = dotted(target)  # self.command = request.args["c"]: the attribute carries it from here on
        if name is not None:
            yield name
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Calls:
    """The calls a call check can report, declared beside the check: a condition its own test implies, so
    that each check runs only on calls it could report (most calls interest no check; see rules.py).

    ``names``: the called function's own name, i.e. the last part of its imported name (``system`` for
    ``os.system``, also when imported as ``run``) or the method's name; ``prefixes`` and ``suffixes``: of
    the whole imported name, as the check tests it; ``keywords``: names of keyword arguments."""

    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    keywords: frozenset[str] = frozenset()


def last_names(qualnames: Iterable[str]) -> frozenset[str]:
    """``{"os.system", "popen"}`` -> ``{"system", "popen"}``: for :class:`Calls`."""
    return frozenset(name.rsplit(".", 1)[-1] for name in qualnames)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """What a check found at ``node``; ``via`` is the caller's source and call when outside data reached
    this node through a call from another function."""

    rule: str
    severity: Severity
    node: ast.AST
    message: str
    cwe: str
    confidence: float = 0.8
    via: tuple[Source, ast.Call] | None = None
    secret: str | None = None  # a secret value on the line, never quoted whole in the evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """What a check knows besides the node: the import aliases, the taint of the enclosing function,
    and that function (None at module level)."""

    names: dict[str, str]
    taint: Taint
    func: ast.FunctionDef | ast.AsyncFunctionDef | None
    nodes: list[ast.AST]
    _called: dict[int, str] = field(default_factory=dict)  # every check asks each call's name: once
    _facts: dict[str, Any] = field(default_factory=dict)

    def once(self, fact: str, compute: Callable[[], T]) -> T:
        """A fact about this scope's nodes that checks ask of many nodes, computed on first use."""
        if fact not in self._facts:
            self._facts[fact] = compute()
        return self._facts[fact]  # type: ignore[no-any-return]

    def cli_tainted(self, node: ast.AST | None) -> bool:
        """Whether ``node`` carries command-line input (``sys.argv``, ``input()``) within this function."""
        if self.func is None or not any(_cli_mention(n) for n in self.nodes):
            return False
        func = self.func
        cli = self.once("command-line taint", lambda: Taint.of(func, self.names, self.nodes, cli=True))
        return cli.tainted(node)

    def guarded(self, node: ast.AST | None) -> bool:
        """Whether a name in ``node`` is validated by an ``if`` in this function that leaves (raise, return,
        abort()) or resets the name when the check fails: the allow-list before a redirect, the
        ``startswith(root)`` before an open(). Flow-insensitive, like the taint itself."""
        guards = self.once("guarded names", lambda: frozenset(_guarded_names(self.nodes)))
        return bool(guards) and any(
            isinstance(n, ast.Name) and n.id in guards for n in ast.walk(node or ast.Constant(0))
        )

    def name(self, call: ast.Call) -> str:
        known = self._called.get(id(call))
        if known is None:
            known = self._called[id(call)] = call_name(call, self.names)
        return known
