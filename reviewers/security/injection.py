"""Injection rules: request-derived data reaching a command, code, a deserialiser, SQL, a file path, a URL
(SSRF) or HTML/templates (XSS). Each check takes one call with its function's taint and yields Hits.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from reviewers.security.taint import Calls, Hit, Scope, dotted, imports_web_framework, is_view, last_names
from reviewkit import Severity

CRITICAL, HIGH, MEDIUM = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM

_COMMAND_SINKS = frozenset(
    {
        "os.system",
        "os.popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "commands.getoutput",
        "asyncio.create_subprocess_shell",
        "os.spawnlp",
        "os.execvp",
    }
)
_SUBPROCESS = frozenset(
    {
        "subprocess.call",
        "subprocess.run",
        "subprocess.Popen",
        "subprocess.check_output",
        "subprocess.check_call",
        "asyncio.create_subprocess_exec",
    }
)
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "cmd", "cmd.exe", "powershell", "pwsh"})
_CODE_SINKS = frozenset({"eval", "exec", "compile", "builtins.eval", "builtins.exec"})
_DESERIALIZERS = frozenset(
    {
        "pickle.loads",
        "pickle.load",
        "cPickle.loads",
        "marshal.loads",
        "marshal.load",
        "dill.loads",
        "shelve.open",
        "jsonpickle.decode",
        "jsonpickle.loads",
        "yaml.unsafe_load",
        "yaml.unsafe_load_all",
        "pandas.read_pickle",
        "joblib.load",
        "cloudpickle.loads",
        "torch.load",
    }
)
_ALWAYS_UNSAFE = frozenset({"jsonpickle.decode", "jsonpickle.loads", "yaml.unsafe_load", "yaml.unsafe_load_all"})
_SQL_METHODS = frozenset(
    {"execute", "executemany", "executescript", "raw", "exec_driver_sql", "read_sql", "read_sql_query", "mogrify"}
) | {"fetch", "fetchrow", "fetchval"}  # asyncpg (aiopg, databases): the statement is the first argument
_SQL_WORDS = re.compile(
    r"\b(select|insert|update|delete|where|from|into|values|drop|create|alter|order by|"
    r"group by|limit|join|union|truncate|pragma)\b",
    re.IGNORECASE,
)
_PATH_SINKS = frozenset(
    {
        "open",
        "io.open",
        "builtins.open",
        "codecs.open",
        "flask.send_file",
        "send_file",
        "os.remove",
        "os.unlink",
        "os.rmdir",
        "shutil.rmtree",
        "shutil.copy",
        "shutil.copyfile",
        "shutil.move",
        "os.listdir",
        "starlette.responses.FileResponse",
        "fastapi.responses.FileResponse",
        "django.http.FileResponse",
        "aiohttp.web.FileResponse",
        "aiofiles.open",
    }
)
_PATH_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir"})
_HTTP_VERBS = frozenset({"get", "post", "put", "delete", "head", "patch", "options", "request", "stream"})
_HTTP_MODULES = ("requests.", "httpx.", "urllib3.", "aiohttp.")
_URLOPEN = frozenset({"urllib.request.urlopen", "urllib.request.Request", "urllib2.urlopen", "urlopen"})
_HTML_RESPONSES = frozenset(
    {
        "make_response",
        "flask.make_response",
        "flask.Response",
        "django.http.HttpResponse",
        "HttpResponse",
        "fastapi.responses.HTMLResponse",
        "starlette.responses.HTMLResponse",
        "HTMLResponse",
        "Response",
    }
)
_MARKUP = frozenset(
    {"markupsafe.Markup", "flask.Markup", "jinja2.Markup", "Markup", "django.utils.safestring.mark_safe", "mark_safe"}
)


# --- injection: data from the request reaching a command, code, SQL, path, URL or template ---------------


def _first_arg(call: ast.Call, keyword: str | None = None, position: int = 0) -> ast.AST | None:
    if keyword is not None:
        for kw in call.keywords:
            if kw.arg == keyword:
                return kw.value
    return call.args[position] if len(call.args) > position else None


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _is_const(node: ast.AST | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


def _command(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name not in _COMMAND_SINKS and name not in _SUBPROCESS:
        return
    arg = _first_arg(call, "args")
    if isinstance(arg, ast.List | ast.Tuple) and name in _SUBPROCESS and not _is_const(_kw(call, "shell"), True):
        arg = _program_or_script(arg.elts)
    if scope.taint.tainted(arg):
        yield Hit(
            rule="command-injection",
            severity=CRITICAL,
            node=call,
            cwe="CWE-78",
            message=f"Request data reaches {name}(): an attacker runs commands. Pass a fixed program "
            "and an argument list without shell=True, and validate the values against an allow-list.",
        )
    elif scope.cli_tainted(arg):
        yield Hit(
            rule="command-injection",
            severity=HIGH,
            node=call,
            cwe="CWE-78",
            message=f"Command-line input (sys.argv, input()) is built into the command {name}() runs: a "
            "value with ';' or '$(...)' runs other commands wherever this tool is called with data it did "
            "not choose. Pass an argument list without shell=True.",
        )


def _program_or_script(argv: list[ast.expr]) -> ast.AST | None:
    """What an argument list lets its caller choose: the program, or the script of ``sh -c SCRIPT``.
    Other arguments cannot start commands (option injection is a different, weaker problem)."""
    if not argv:
        return None
    program = argv[0]
    shell = isinstance(program, ast.Constant) and str(program.value).rsplit("/", 1)[-1] in _SHELLS
    if shell and len(argv) > 2 and any(_is_const(a, "-c") for a in argv[1:-1]):
        return ast.Tuple(elts=argv[2:], ctx=ast.Load())
    return program


def sanitized_command(scope: Scope, call: ast.Call) -> bool:
    """A shell command built from literals and sanitised values only (``"sleep %d" % int(n)``,
    ``shlex.quote``): bandit calls it a possible injection, but nothing outside can change its words."""
    if scope.name(call) not in _COMMAND_SINKS | _SUBPROCESS:
        return False
    arg = _first_arg(call, "args")
    parts = _variable_parts(arg) if arg is not None else []
    return bool(parts) and all(_safe_part(scope, part, 3) for part in parts)


def _code(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name in _CODE_SINKS and (scope.taint.tainted(_first_arg(call)) or scope.cli_tainted(_first_arg(call))):
        yield Hit(
            rule="code-injection",
            severity=CRITICAL,
            node=call,
            cwe="CWE-95",
            message=f"Request data reaches {name}(): an attacker runs Python code. Parse the value "
            "(ast.literal_eval, json.loads) or dispatch to known functions instead.",
        )


def _deserialize(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    tainted = name in _DESERIALIZERS and scope.taint.tainted(_first_arg(call))
    if not tainted and name not in _ALWAYS_UNSAFE and not _numpy_pickle(name, call):
        return
    yield Hit(
        rule="unsafe-deserialization",
        severity=CRITICAL if tainted else HIGH,
        node=call,
        cwe="CWE-502",
        message=f"{name}() can build arbitrary objects and run code from its input"
        f"{' and the input comes from the request' if tainted else ''}. Use json or "
        "yaml.safe_load for untrusted data.",
    )


def _numpy_pickle(name: str, call: ast.Call) -> bool:
    return name in ("numpy.load", "np.load") and _is_const(_kw(call, "allow_pickle"), True)


def _yaml_loader(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name not in ("yaml.load", "yaml.load_all"):
        return
    loader = dotted(_first_arg(call, "Loader", 1) or ast.Constant(None)) or ""
    if loader.rsplit(".", 1)[-1] in ("Loader", "UnsafeLoader", "FullLoader") or (
        name == "yaml.load_all" and not loader
    ):
        yield Hit(
            rule="yaml-load",
            severity=HIGH,
            node=call,
            cwe="CWE-502",
            message=f"{name} with {loader or 'the default loader'} can build arbitrary Python objects. "
            "Use yaml.safe_load (or Loader=yaml.SafeLoader).",
        )


def _sql_text(scope: Scope, node: ast.AST | None) -> tuple[bool, bool]:
    """(built by formatting with a non-literal part and reads as SQL, that part is tainted)."""
    if node is None:
        return False, False
    values = _assigned(scope, node.id) if isinstance(node, ast.Name) else [node]
    if not any(_built(value) for value in values) or _only_safe_parts(scope, values):
        return False, False
    literal = " ".join(
        c.value for v in values for c in ast.walk(v) if isinstance(c, ast.Constant) and isinstance(c.value, str)
    )
    return len(_SQL_WORDS.findall(literal)) >= 2, any(scope.taint.tainted(v) for v in values)


def _only_safe_parts(scope: Scope, values: list[ast.AST]) -> bool:
    """Whether every run-time part of the SQL is a placeholder list or a quoted identifier: what
    database layers do on purpose (``", ".join("?" * n)``, ``quote_name(table)``)."""
    return all(_safe_part(scope, part, 3) for value in values for part in _variable_parts(value))


def _variable_parts(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_variable_parts(node.left), *_variable_parts(node.right)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return [*_variable_parts(node.left), *right]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return [*_variable_parts(node.func.value), *node.args, *(k.value for k in node.keywords)]
    return [] if isinstance(node, ast.Constant) else [node]


def _safe_part(scope: Scope, node: ast.AST, depth: int) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        last = (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")).lower()
        if "quote" in last or last in ("int", "len", "float"):
            return True
        return last == "join" and _placeholder_join(node)
    if isinstance(node, ast.Name) and node.id.isupper() and len(node.id) > 1:
        return True  # a module constant, by Python's naming convention
    if isinstance(node, ast.Name) and depth > 0:
        assigned = _assigned(scope, node.id)
        return bool(assigned) and all(
            _safe_part(scope, part, depth - 1) for value in assigned for part in _variable_parts(value)
        )
    return False


def _placeholder_join(call: ast.Call) -> bool:
    """``", ".join("?" for _ in rows)`` or ``", ".join(["%s"] * n)``: a list of bare placeholders."""
    if len(call.args) != 1:
        return False
    arg = call.args[0]
    if isinstance(arg, ast.GeneratorExp | ast.ListComp):
        items: list[ast.AST] = [arg.elt]
    elif isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mult) and isinstance(arg.left, ast.List):
        items = list(arg.left.elts)
    else:
        return False
    return all((isinstance(i, ast.Constant) and str(i.value).strip() in ("?", "%s")) or _quote_call(i) for i in items)


def _quote_call(node: ast.AST) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return "quote" in name.lower()


def _built(node: ast.AST) -> bool:
    """A string put together at run time from literal SQL and something else."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return not all(isinstance(n, ast.Constant | ast.BinOp | ast.operator) for n in ast.walk(node))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        # psycopg's sql.SQL(...).format(sql.Identifier(...)) composes SQL safely
        composed = isinstance(node.func.value, ast.Call) and (dotted(node.func.value.func) or "").endswith("SQL")
        return bool(node.args or node.keywords) and not composed
    return False


def _assigned(scope: Scope, name: str) -> list[ast.AST]:
    """Every value the scope assigns to ``name`` (``+=`` counts as concatenation)."""
    values: list[ast.AST] = []
    for node in scope.nodes:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            values.append(node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            values.append(ast.BinOp(left=ast.Constant(" "), op=ast.Add(), right=node.value))
    return values


def _sql(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if method not in _SQL_METHODS and name not in ("sqlalchemy.text", "sqlalchemy.sql.text"):
        return
    sql = _first_arg(call, "sql") or _first_arg(call, "statement")
    built, tainted = _sql_text(scope, sql)
    if not built and scope.taint.tainted(sql):
        built = tainted = True  # the statement itself is outside data (built by a caller, or sent whole)
    if built:
        # Request data in the SQL is an injection; any other formatted SQL is one only if its caller lets
        # outside data in, which this function cannot see: a warning, as bandit and semgrep rate it.
        yield Hit(
            rule="sql-injection",
            severity=CRITICAL if tainted else MEDIUM,
            node=call,
            cwe="CWE-89",
            confidence=0.9 if tainted else 0.6,
            message=f"SQL built by string formatting{' from request data' if tainted else ''} is passed "
            f"to {method or name}(). Use placeholders and pass the values as parameters "
            "(cursor.execute(sql, params), text(':name') with bind parameters).",
        )


def _path(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name in _PATH_SINKS or name.endswith(".send_file"):
        target = _first_arg(call, "path") or _first_arg(call, "file")
        tainted = scope.taint.tainted(target) and not scope.guarded(target)
    elif method in _PATH_METHODS or (method == "open" and name not in _PATH_SINKS):
        tainted = isinstance(call.func, ast.Attribute) and _path_object_tainted(scope, call.func.value)
    else:
        return
    if tainted:
        yield Hit(
            rule="path-traversal",
            severity=HIGH,
            node=call,
            cwe="CWE-22",
            message="A file path built from request data: '../' reaches any file the process can. Use "
            "werkzeug's secure_filename / send_from_directory, or resolve the path and check it "
            "stays inside the allowed directory.",
        )


def _path_object_tainted(scope: Scope, node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call | ast.BinOp | ast.Name)
        and scope.taint.tainted(node)
        and not (isinstance(node, ast.Name) and node.id in scope.taint.request_names)
    )


def _ssrf(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    receiver = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else ""
    http_call = name.startswith(_HTTP_MODULES) and method in _HTTP_VERBS
    http_call |= method in _HTTP_VERBS and bool(re.search(r"session|client|http", receiver or "", re.I))
    if not http_call and name not in _URLOPEN:
        return
    url = _first_arg(call, "url", 1 if method == "request" else 0)
    if scope.taint.tainted(url) and not _fixed_host(url) and not scope.guarded(url):
        yield Hit(
            rule="ssrf",
            severity=HIGH,
            node=call,
            cwe="CWE-918",
            message="The URL of this request comes from request data: an attacker can reach internal "
            "services (cloud metadata, admin ports). Allow-list the host, or build the URL from a "
            "fixed base and a validated path.",
        )


def _fixed_host(url: ast.AST | None) -> bool:
    """A URL whose start names the host: a literal scheme and host (``f"https://api.x.com/{id}"``) or a
    configured base (``settings.API_URL + path``): only the path varies."""
    first: ast.AST | None = None
    if isinstance(url, ast.JoinedStr) and url.values:
        first = url.values[0]
    elif isinstance(url, ast.BinOp):
        first = url.left
    elif isinstance(url, ast.Call) and isinstance(url.func, ast.Attribute):
        first = url.func.value
    while isinstance(first, ast.BinOp):
        first = first.left
    if isinstance(first, ast.FormattedValue):
        first = first.value
    configured = (dotted(first) if first is not None else None) or ""
    if configured and (configured.rsplit(".", 1)[-1].isupper() or configured.split(".")[0] in ("settings", "config")):
        return True
    return isinstance(first, ast.Constant) and bool(re.match(r"https?://[^/{}]+/", str(first.value)))


def _template(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    arg = _first_arg(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    template = name.endswith(("render_template_string", "jinja2.Template", "mako.template.Template"))
    if (template or method == "from_string") and scope.taint.tainted(arg):
        yield Hit(
            rule="template-injection",
            severity=CRITICAL,
            node=call,
            cwe="CWE-1336",
            message="Request data is rendered as a template: an attacker runs code in the template "
            "engine. Keep the template fixed and pass the data as a variable.",
        )
    elif name in _MARKUP and scope.taint.tainted(arg):
        yield Hit(
            rule="xss",
            severity=HIGH,
            node=call,
            cwe="CWE-79",
            message=f"{name}() marks request data as safe HTML: cross-site scripting. Escape it "
            "(markupsafe.escape, format_html) or let the template autoescape.",
        )
    elif name in _HTML_RESPONSES and _html_with_taint(scope, arg):
        yield Hit(
            rule="xss",
            severity=HIGH,
            node=call,
            cwe="CWE-79",
            message="HTML built from request data without escaping: cross-site scripting. Render a "
            "template with autoescaping, or escape() each value.",
        )


def _html_with_taint(scope: Scope, node: ast.AST | None) -> bool:
    """HTML put together by string building (f-string, +, %, str.format) from request data."""
    string_building = (
        isinstance(node, ast.JoinedStr)
        or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod))
        or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
        )
    )
    if node is None or not string_building or not scope.taint.tainted(node):
        return False
    literal = "".join(c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return bool(re.search(r"<[a-zA-Z/!]", literal))


def html_return(scope: Scope, node: ast.Return) -> Iterator[Hit]:
    in_view = scope.func is not None and (
        is_view(scope.func, imports_web_framework(scope.names)) or bool(scope.taint.request_names)
    )
    if in_view and _html_with_taint(scope, node.value):
        yield Hit(
            rule="xss",
            severity=HIGH,
            node=node,
            cwe="CWE-79",
            message="The view returns HTML built from request data without escaping: cross-site "
            "scripting. Render a template with autoescaping, or escape() each value.",
        )


CALL_CHECKS = (
    (_command, Calls(names=last_names(_COMMAND_SINKS | _SUBPROCESS))),
    (_code, Calls(names=last_names(_CODE_SINKS))),
    (_deserialize, Calls(names=last_names(_DESERIALIZERS | _ALWAYS_UNSAFE | {"numpy.load"}))),
    (_yaml_loader, Calls(names=frozenset({"load", "load_all"}))),
    (_sql, Calls(names=_SQL_METHODS | {"text"})),
    (_path, Calls(names=last_names(_PATH_SINKS) | _PATH_METHODS | {"open", "send_file"})),
    (_ssrf, Calls(names=_HTTP_VERBS | last_names(_URLOPEN))),
    (
        _template,
        Calls(
            names=last_names(_MARKUP | _HTML_RESPONSES) | {"from_string", "Template"},
            suffixes=("render_template_string",),
        ),
    ),
)
