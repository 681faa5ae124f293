"""Sinks beyond :mod:`injection`, each its own rule and CWE: open redirects, header, log and regex
injection, dynamic imports, NaN from ``float()`` slipping past comparisons, HTML marked safe after being
built by string formatting (``format_html(f"...")``, ``SafeString``, ``Markup(... % x)``), ``locals()`` as a
template context, lxml parsing with its default (entity-resolving) parser, Jinja rendering template text
without a sandbox, ``TemporaryDirectory().name`` and process spawning with a program or argument list
chosen at run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from reviewers.security.taint import Calls, Hit, Scope, dotted, last_names
from reviewkit import Severity

CRITICAL, HIGH, MEDIUM, LOW = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW

_REDIRECTS = frozenset(
    {
        "flask.redirect",
        "django.shortcuts.redirect",
        "django.http.HttpResponseRedirect",
        "django.http.HttpResponsePermanentRedirect",
        "starlette.responses.RedirectResponse",
        "fastapi.responses.RedirectResponse",
        "aiohttp.web.HTTPFound",
        "aiohttp.web.HTTPSeeOther",
        "quart.redirect",
        "redirect",
        "HttpResponseRedirect",
        "RedirectResponse",
    }
)
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log"})
_REGEX = frozenset({f"re.{f}" for f in ("compile", "match", "search", "fullmatch", "sub", "subn", "split", "findall")})
_IMPORTS = frozenset({"importlib.import_module", "__import__", "builtins.__import__"})
_SAFE_HTML = frozenset(
    {
        "django.utils.html.format_html",
        "django.utils.safestring.SafeString",
        "django.utils.safestring.SafeText",
        "django.utils.safestring.mark_safe",
        "markupsafe.Markup",
        "flask.Markup",
        "jinja2.Markup",
        "format_html",
        "SafeString",
        "mark_safe",
        "Markup",
    }
)
_RENDERERS = frozenset({"django.shortcuts.render", "flask.render_template", "render", "render_template"})
_LXML_PARSE = frozenset({"fromstring", "XML", "parse", "iterparse", "XMLParser", "ETCompatXMLParser"})
_SPAWN = frozenset({"subprocess.call", "subprocess.run", "subprocess.Popen", "subprocess.check_output"})
_SPAWN |= frozenset({"subprocess.check_call"})
_EXEC_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
_NAN_CHECKS = ("isnan", "isfinite", "isinf", "Decimal")
# Template extensions pages are written in that Flask's default select does not autoescape.
_UNESCAPED_TEMPLATES = frozenset({"j2", "jinja", "jinja2", "tpl", "tmpl", "html5"})
_CONSTANT_PARTS = (ast.Constant, ast.BinOp, ast.operator, ast.Tuple, ast.expr_context)


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _arg(call: ast.Call, keyword: str | None = None) -> ast.AST | None:
    value = _kw(call, keyword) if keyword else None
    return value if value is not None else (call.args[0] if call.args else None)


def built_string(node: ast.AST | None) -> bool:
    """A string put together at run time from a literal and something that is not a literal."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        parts = list(ast.walk(node))
        literal = any(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts)
        return literal and not all(isinstance(p, _CONSTANT_PARTS) for p in parts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return isinstance(node.func.value, ast.Constant) and bool(node.args or node.keywords)
    return False


def _redirect(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    tornado = method == "redirect" and dotted(call.func) == "self.redirect"
    target = _arg(call, "to") or _arg(call, "url")
    if (name in _REDIRECTS or tornado) and scope.taint.tainted(target) and not scope.guarded(target):
        yield Hit(
            rule="open-redirect",
            severity=MEDIUM,
            node=call,
            cwe="CWE-601",
            message="The redirect target comes from the request: an attacker's link sends users to any "
            "site (phishing with your domain in the link). Redirect only to relative paths or allow-listed "
            "hosts (url_has_allowed_host_and_scheme, url_for).",
        )


def _log(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _LOG_METHODS or not call.args:
        return
    receiver = (dotted(func.value) or "").lower()
    if "log" not in receiver:
        return
    message = call.args[1] if func.attr == "log" and len(call.args) > 1 else call.args[0]
    if built_string(message) and scope.taint.tainted(message):
        yield Hit(
            rule="log-injection",
            severity=LOW,
            node=call,
            cwe="CWE-117",
            message="Request data is formatted into the log message itself: a value with line breaks "
            "forges log entries. Pass it as an argument (log.info('user %r', name)), which also keeps "
            "the message constant.",
        )


def _regex(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    if scope.name(call) in _REGEX and scope.taint.tainted(_arg(call, "pattern")):
        yield Hit(
            rule="regex-injection",
            severity=MEDIUM,
            node=call,
            cwe="CWE-1333",
            message="A regular expression is compiled from request data: a crafted pattern takes "
            "exponential time (ReDoS) or matches more than meant. re.escape() the value, or match it "
            "as plain text.",
        )


def _dynamic_import(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    if scope.name(call) in _IMPORTS and scope.taint.tainted(_arg(call, "name")):
        yield Hit(
            rule="code-injection",
            severity=CRITICAL,
            node=call,
            cwe="CWE-94",
            message="A module named by the request is imported: an attacker picks the code that runs. "
            "Map the value to an allow-listed module instead.",
        )


def _nan(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    if scope.name(call) not in ("float", "builtins.float") or scope.func is None or not call.args:
        return
    if not scope.taint.tainted(call.args[0]) or not _compared(scope, call):
        return
    if any(isinstance(n, ast.Attribute | ast.Name) and _nan_check(n) for n in scope.nodes):
        return
    yield Hit(
        rule="nan-comparison",
        severity=MEDIUM,
        node=call,
        cwe="CWE-754",
        message="float() of request data accepts 'nan' and 'inf', and every comparison with NaN is "
        "false, so range checks on it pass. Reject values that are not math.isfinite(), or parse with "
        "Decimal/int.",
    )


def _nan_check(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in _NAN_CHECKS


def _compared(scope: Scope, call: ast.Call) -> bool:
    """Whether the float (or the name it is assigned to) is ordered against something in the function."""
    names = {
        t.id
        for n in scope.nodes
        if isinstance(n, ast.Assign) and n.value is call
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    for node in scope.nodes:
        if isinstance(node, ast.Compare) and any(
            isinstance(op, ast.Lt | ast.Gt | ast.LtE | ast.GtE) for op in node.ops
        ):
            operands = [node.left, *node.comparators]
            if any(o is call or (isinstance(o, ast.Name) and o.id in names) for o in operands):
                return True
    return False


def _safe_html(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name not in _SAFE_HTML or not call.args:
        return
    text = call.args[0]
    pre_formatted = name.endswith("format_html") and len(call.args) == 1 and not call.keywords
    if not built_string(text) and not (pre_formatted and not isinstance(text, ast.Constant)):
        return
    tainted = scope.taint.tainted(text)
    yield Hit(
        rule="xss",
        severity=HIGH if tainted else MEDIUM,
        node=call,
        cwe="CWE-79",
        confidence=0.9 if tainted else 0.6,
        message=f"{name.rsplit('.', 1)[-1]}() is given HTML already built by string formatting"
        f"{' from request data' if tainted else ''}, so nothing in it is escaped. Pass the values "
        "separately (format_html('<b>{}</b>', value), Markup('<b>%s</b>') % value).",
    )


def _template_locals(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    if scope.name(call) not in _RENDERERS:
        return
    values = [*call.args[1:], *(k.value for k in call.keywords)]
    if any(isinstance(v, ast.Call) and dotted(v.func) in ("locals", "globals", "vars") for v in values):
        yield Hit(
            rule="template-locals",
            severity=MEDIUM,
            node=call,
            cwe="CWE-200",
            message="Every local (or global) variable is handed to the template: secrets, the request "
            "and objects the template was never meant to reach become readable (and, with user-edited "
            "templates, callable). Pass an explicit context dict.",
        )


def _unescaped_template(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    """Flask autoescapes only templates named .html, .htm, .xml, .xhtml and .svg: request data rendered
    into ``page.j2`` or ``mail.txt`` reaches the page as it came."""
    if scope.name(call) not in ("flask.render_template", "render_template") or not call.args:
        return
    name = call.args[0]
    if not isinstance(name, ast.Constant) or not isinstance(name.value, str) or "." not in name.value:
        return
    if name.value.rsplit(".", 1)[-1].lower() not in _UNESCAPED_TEMPLATES:
        return
    if any(scope.taint.tainted(k.value) for k in call.keywords):
        yield Hit(
            rule="xss",
            severity=MEDIUM,
            node=call,
            cwe="CWE-79",
            message=f"{name.value!r} is not autoescaped (Flask escapes only .html, .htm, .xml, .xhtml and "
            ".svg templates), and request data is rendered into it. Rename it to .html, or wrap the "
            "template in {% autoescape true %}.",
        )


def _lxml(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if not name.startswith("lxml.") or name.rsplit(".", 1)[-1] not in _LXML_PARSE:
        return
    function = name.rsplit(".", 1)[-1]
    if function.endswith("XMLParser"):
        unsafe = _kw(call, "resolve_entities") is None
    else:
        unsafe = len(call.args) < 2 and _kw(call, "parser") is None and _kw(call, "resolve_entities") is None
    if unsafe:
        yield Hit(
            rule="xml-external-entities",
            severity=MEDIUM,
            node=call,
            cwe="CWE-611",
            message=f"lxml's {function}() with its default parser: before lxml 6.1 (5.0 for fromstring) "
            "the default resolves external entities, so a document can read local files. Pass "
            "parser=etree.XMLParser(resolve_entities=False, no_network=True), or use defusedxml.",
        )


def _jinja(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    func = call.func
    text = call.args[0] if call.args else None
    if text is None or isinstance(text, ast.Constant) or scope.taint.tainted(text):
        return  # a literal is the developer's template; request data is reported as template-injection
    if isinstance(func, ast.Attribute) and func.attr == "from_string":
        unsandboxed = _unsandboxed_environment(scope, func.value)
    else:
        unsandboxed = scope.name(call) in ("jinja2.Template", "jinja2.environment.Template")
    if unsandboxed:
        yield Hit(
            rule="template-injection",
            severity=MEDIUM,
            node=call,
            cwe="CWE-1336",
            message="Template text that is not a literal is compiled by a Jinja environment without a "
            "sandbox: if users can write it, they run code ({{ ''.__class__.__mro__ ... }}). Use "
            "jinja2.sandbox.SandboxedEnvironment for templates you do not write yourself.",
        )


def _unsandboxed_environment(scope: Scope, receiver: ast.AST) -> bool:
    if isinstance(receiver, ast.Call):
        return scope.name(receiver) in ("jinja2.Environment", "jinja2.environment.Environment")
    name = dotted(receiver)
    for node in scope.nodes:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and any(dotted(t) == name for t in node.targets)
        ):
            return scope.name(node.value) in ("jinja2.Environment", "jinja2.environment.Environment")
    return False


def _spawn(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name.startswith(_EXEC_PREFIXES):
        position = 1 if name.startswith("os.spawn") else 0  # spawn*(mode, file, ...)
        program = call.args[position] if len(call.args) > position else None
        chosen = program is not None and not isinstance(program, ast.Constant)
    elif name in _SPAWN and not any(k.arg == "shell" for k in call.keywords):
        argv = _arg(call, "args")
        chosen = isinstance(argv, ast.BinOp) or (
            isinstance(argv, ast.List | ast.Tuple) and bool(argv.elts) and _parameter(scope, argv.elts[0])
        )
    else:
        return
    if chosen and not scope.taint.tainted(call):
        yield Hit(
            rule="process-spawn",
            severity=LOW,
            node=call,
            cwe="CWE-78",
            confidence=0.5,
            message=f"{name}() runs a program (or argument list) chosen at run time: if a caller can pass "
            "outside data here, it picks what runs. Check the program against an allow-list.",
        )


def _parameter(scope: Scope, node: ast.AST) -> bool:
    if scope.func is None or not isinstance(node, ast.Name):
        return False
    return node.id in {a.arg for a in [*scope.func.args.args, *scope.func.args.kwonlyargs]}


def attribute(scope: Scope, node: ast.Attribute) -> Iterator[Hit]:
    """``tempfile.TemporaryDirectory().name``: the directory is deleted when the object is collected."""
    call = node.value if node.attr == "name" else None
    if isinstance(call, ast.Call) and scope.name(call) in ("tempfile.TemporaryDirectory", "TemporaryDirectory"):
        yield Hit(
            rule="tempdir-name",
            severity=MEDIUM,
            node=node,
            cwe="CWE-377",
            message="TemporaryDirectory().name keeps only the path: the directory is removed as soon as the "
            "object is garbage-collected, and another process can create it again in between. Use it as a "
            "context manager, or tempfile.mkdtemp().",
        )


def assignment(scope: Scope, node: ast.Assign) -> Iterator[Hit]:
    """``resp.headers["X"] = request data`` (and Django's ``response["X"] = ...``)."""
    for target in node.targets:
        if not isinstance(target, ast.Subscript):
            continue
        container = dotted(target.value) or ""
        response = container.split(".")[0].lower()  # a response's headers, not a dict for an outgoing request
        headers = container.endswith("headers") or "." not in container
        if "resp" in response and headers and scope.taint.tainted(node.value):
            yield Hit(
                rule="header-injection",
                severity=MEDIUM,
                node=node,
                cwe="CWE-113",
                message="A response header is set from request data: line breaks in it split the response "
                "or add headers (cookies, redirects). Validate the value, or quote it "
                "(e.g. werkzeug's quote_header_value, urllib.parse.quote for file names).",
            )


CALL_CHECKS = (
    (_redirect, Calls(names=last_names(_REDIRECTS) | {"redirect"})),
    (_log, Calls(names=_LOG_METHODS)),
    (_regex, Calls(names=last_names(_REGEX))),
    (_dynamic_import, Calls(names=last_names(_IMPORTS))),
    (_nan, Calls(names=frozenset({"float"}))),
    (_safe_html, Calls(names=last_names(_SAFE_HTML))),
    (_template_locals, Calls(names=last_names(_RENDERERS))),
    (_unescaped_template, Calls(names=frozenset({"render_template"}))),
    (_lxml, Calls(names=_LXML_PARSE)),
    (_jinja, Calls(names=frozenset({"from_string", "Template"}))),
    (_spawn, Calls(names=last_names(_SPAWN), prefixes=_EXEC_PREFIXES)),
)
