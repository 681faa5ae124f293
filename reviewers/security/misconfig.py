"""Misconfiguration rules: TLS verification off, JWTs read unverified, XML parsers resolving entities,
fast hashes for passwords, ``random`` for secrets, world-writable modes, CORS ``*`` with credentials,
archive extraction without path checks, debug mode, and unescaped template output.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from reviewers.security.common import Source, cite
from reviewers.security.taint import Calls, Hit, Scope, dotted, last_names, qualname
from reviewkit import Finding, Severity

HIGH, MEDIUM = Severity.HIGH, Severity.MEDIUM

_HASHES = frozenset(
    {
        "hashlib.md5",
        "hashlib.sha1",
        "hashlib.sha224",
        "hashlib.sha256",
        "hashlib.sha384",
        "hashlib.sha512",
        "hashlib.new",
        "hashlib.blake2b",
        "hashlib.sha3_256",
        "md5.new",
        "sha.new",
    }
)
_PASSWORDISH = re.compile(r"passw|passwd|pwd|passphrase|^pw$|^pw_|_pw$", re.IGNORECASE)
_RANDOM = frozenset(
    {
        "random.random",
        "random.randint",
        "random.randrange",
        "random.choice",
        "random.choices",
        "random.sample",
        "random.getrandbits",
        "random.uniform",
        "random.shuffle",
        "random.randbytes",
    }
)
_PICKS = frozenset({"random.choice", "random.choices", "random.sample", "random.shuffle"})
_TOKENISH = re.compile(
    r"token|secret|passw|nonce|salt|otp|csrf|session_?id|api_?key|reset_?code|verif|invite|"
    r"activation|magic|auth_?code|one_?time|pin_?code|signature",
    re.IGNORECASE,
)
_ARCHIVE_LISTS = frozenset({"infolist", "namelist", "getmembers", "getnames"})
_CONTAINMENT = re.compile(
    r"commonpath|realpath|abspath|is_relative_to|\.resolve\(|startswith|basename|"
    r"secure_filename|safe_join"
)
_TEMPLATE_SUFFIXES = (".html", ".htm", ".jinja", ".jinja2", ".j2", ".djhtml", ".tmpl", ".tpl")
# Inside `{{ ... }}`: no '}' and no '{{' (where the next attempt starts), so a line of many '{{' is read once;
# the atomic group settles on the first `|safe`, as every later one runs to the same '}'.
_IN_EXPRESSION = r"(?:[^{}]|\{(?!\{))*"
_UNESCAPED = re.compile(
    r"\{\{(?>" + _IN_EXPRESSION + r"?\|\s*safe\b)" + _IN_EXPRESSION + r"\}\}"
    r"|\{%-?\s*autoescape\s+(?:false|off)\s*-?%\}",
    re.I,
)
_SETTINGS_FILE = re.compile(r"(^|/)(settings[^/]*|config[^/]*|conf|production|prod)\.py$")
_WEB_FRAMEWORKS = ("django", "flask", "fastapi", "starlette", "quart")


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _is(node: ast.AST | None, value: object) -> bool:
    return (
        isinstance(node, ast.Constant) and node.value is value
        if isinstance(value, bool)
        else (isinstance(node, ast.Constant) and node.value == value)
    )


def _tls(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name.endswith("jwt.decode"):
        return
    off = [kw.arg for kw in call.keywords if kw.arg in ("verify", "verify_ssl", "ssl") and _is(kw.value, False)]
    cert = _kw(call, "cert_reqs")
    if off or (dotted(cert or ast.Constant(None)) or "").endswith("CERT_NONE") or _is(cert, "CERT_NONE"):
        yield Hit(
            rule="tls-verify-disabled",
            severity=HIGH,
            node=call,
            cwe="CWE-295",
            message="TLS certificate verification is turned off: anyone on the network can read and "
            "change this traffic. Remove the option, or pass a CA bundle for private CAs.",
        )


def _jwt(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name.endswith(("jwt.get_unverified_claims", "jwt.get_unverified_header")) and "header" not in name:
        yield _jwt_hit(call)
        return
    if not name.endswith("jwt.decode"):
        return
    options = _kw(call, "options")
    unverified = isinstance(options, ast.Dict) and any(
        _is(k, "verify_signature") and _is(v, False) for k, v in zip(options.keys, options.values, strict=True)
    )
    unverified |= _is(_kw(call, "verify"), False)
    algorithms = _kw(call, "algorithms")
    unverified |= any(_is(n, "none") or _is(n, "None") for n in ast.walk(algorithms or ast.Constant(None)))
    if unverified:
        yield _jwt_hit(call)


def _jwt_hit(call: ast.Call) -> Hit:
    return Hit(
        rule="jwt-unverified",
        severity=HIGH,
        node=call,
        cwe="CWE-347",
        message="The JWT is read without verifying its signature: anyone can forge its claims. "
        "Decode with the key and an explicit algorithms=[...] list.",
    )


def _xml(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    unsafe = name.endswith("XMLParser") and (
        _is(_kw(call, "resolve_entities"), True)
        or _is(_kw(call, "no_network"), False)
        or _is(_kw(call, "load_dtd"), True)
    )
    unsafe |= (
        method == "setFeature"
        and len(call.args) == 2
        and _is(call.args[1], True)
        and (dotted(call.args[0]) or "").endswith(("feature_external_ges", "feature_external_pes"))
    )
    if unsafe:
        yield Hit(
            rule="xml-external-entities",
            severity=HIGH,
            node=call,
            cwe="CWE-611",
            message="This XML parser resolves external entities (XXE): a document can read local files "
            "or reach internal URLs. Use defusedxml, or resolve_entities=False.",
        )


def _weak_hash(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name not in _HASHES or not call.args:
        return
    mentioned = [dotted(n) or "" for n in ast.walk(call.args[-1]) if isinstance(n, ast.Name | ast.Attribute)]
    if any(_PASSWORDISH.search(part.rsplit(".", 1)[-1]) for part in mentioned):
        yield Hit(
            rule="weak-password-hash",
            severity=HIGH,
            node=call,
            cwe="CWE-916",
            message="A password is hashed with a fast hash: leaked hashes are cracked in hours. Use a "
            "password hash (argon2, bcrypt, scrypt or hashlib.pbkdf2_hmac with a salt).",
        )
        return
    algorithm = name.rsplit(".", 1)[-1] if name != "hashlib.new" else str(getattr(call.args[0], "value", ""))
    security_use = scope.func is not None and _TOKENISH.search(scope.func.name)
    if algorithm.lower() in ("md5", "sha1") and security_use and _kw(call, "usedforsecurity") is None:
        yield Hit(
            rule="weak-hash",
            severity=MEDIUM,
            node=call,
            cwe="CWE-327",
            message=f"{algorithm.upper()} is broken for security use, and this makes a token or "
            "secret. Use hashlib.sha256 (HMAC for signatures), or secrets for random tokens.",
        )


def _chmod(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name in ("os.makedirs", "os.mkdir"):
        mode = _kw(call, "mode") or (call.args[1] if len(call.args) > 1 else None)
    elif method == "chmod" and not name.startswith("os."):
        mode = _kw(call, "mode") or (call.args[0] if call.args else None)
    elif name == "os.chmod":
        mode = _kw(call, "mode") or (call.args[1] if len(call.args) > 1 else None)
    else:
        return
    if _world_writable(mode):
        yield Hit(
            rule="permissive-chmod",
            severity=HIGH,
            node=call,
            cwe="CWE-732",
            message="This makes the path writable by every user on the machine. Use 0o700/0o755 for "
            "directories and 0o600/0o644 for files.",
        )


def _world_writable(mode: ast.AST | None) -> bool:
    if isinstance(mode, ast.Constant) and isinstance(mode.value, int):
        return bool(mode.value & 0o002)
    names = [dotted(n) or "" for n in ast.walk(mode or ast.Constant(None)) if isinstance(n, ast.Attribute)]
    return any(n.endswith(("S_IWOTH", "S_IRWXO")) for n in names)


def _cors(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    args = [*call.args, *(kw.value for kw in call.keywords)]
    middleware = name.endswith("add_middleware") and any((dotted(a) or "").endswith("CORSMiddleware") for a in args)
    if name.endswith("CORS") or name.endswith("cross_origin"):
        credentials = _is(_kw(call, "supports_credentials"), True)
        origins = _kw(call, "origins") or _kw(call, "resources")
        wildcard = origins is None or _mentions_wildcard(origins)
    elif middleware or name.endswith("CORSMiddleware"):
        credentials = _is(_kw(call, "allow_credentials"), True)
        wildcard = _mentions_wildcard(_kw(call, "allow_origins")) or _is(_kw(call, "allow_origin_regex"), ".*")
    else:
        return
    if credentials and wildcard:
        yield _cors_hit(call)


def _mentions_wildcard(node: ast.AST | None) -> bool:
    return any(_is(n, "*") for n in ast.walk(node or ast.Constant(None)))


def _cors_hit(node: ast.AST) -> Hit:
    return Hit(
        rule="cors-credentials",
        severity=HIGH,
        node=node,
        cwe="CWE-942",
        message="CORS allows any origin together with credentials: any website can make "
        "authenticated requests as the signed-in user and read the answers. List the "
        "allowed origins explicitly.",
    )


def _zip_slip(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    if scope.name(call) != "os.path.join" or len(call.args) < 2 or scope.func is None:
        return
    members = _archive_loop_names(scope)
    joined = call.args[-1]
    base = joined.value if isinstance(joined, ast.Attribute) and joined.attr in ("filename", "name") else joined
    if isinstance(base, ast.Name) and base.id in members and not _CONTAINMENT.search(ast.unparse(scope.func)):
        yield Hit(
            rule="archive-path-traversal",
            severity=HIGH,
            node=call,
            cwe="CWE-22",
            message="An archive member's name is joined to the destination unchecked (zip slip): a "
            "member named '../../x' writes outside it. Resolve the path and check it stays inside "
            "the destination, or use extractall(filter='data').",
        )


def _archive_loop_names(scope: Scope) -> set[str]:
    names: set[str] = set()
    for node in scope.nodes:
        if not isinstance(node, ast.For) or not isinstance(node.iter, ast.Call):
            continue
        if isinstance(node.iter.func, ast.Attribute) and node.iter.func.attr in _ARCHIVE_LISTS:
            names.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    return names


def _archive(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    risky = name == "shutil.unpack_archive" or (method in ("extractall", "extract") and _tar_receiver(scope, call))
    if risky and _kw(call, "filter") is None and _kw(call, "members") is None:
        yield Hit(
            rule="tarfile-extractall",
            severity=HIGH,
            node=call,
            cwe="CWE-22",
            message="Extracting a tar archive without a filter lets members write outside the "
            "destination or create links and devices. Pass filter='data' (Python 3.12+, "
            "backported to 3.8.17+) or check each member's path.",
        )


def _tar_receiver(scope: Scope, call: ast.Call) -> bool:
    receiver = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
    if receiver is None:
        return isinstance(call.func, ast.Attribute) and "tarfile" in ast.unparse(call.func.value)
    if "tar" in receiver.lower():
        return True
    return any(
        isinstance(n, ast.withitem | ast.Assign) and "tarfile" in ast.unparse(n) and receiver in ast.unparse(n)
        for n in scope.nodes
    )


def _debug_call(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    name = scope.name(call)
    if name.endswith(("FastAPI", "Starlette")) and _is(_kw(call, "debug"), True):
        yield _debug_hit(call)


def _debug_hit(node: ast.AST) -> Hit:
    return Hit(
        rule="debug-enabled",
        severity=MEDIUM,
        node=node,
        cwe="CWE-489",
        message="Debug mode is switched on in code: in production it shows stack traces, settings and "
        "(with Flask/Werkzeug) an interactive console. Read it from the environment.",
    )


def assignment(scope: Scope, node: ast.Assign) -> Iterator[Hit]:
    """Checks on ``target = value``: SSL context attributes, debug flags, CORS headers, random secrets."""
    value = node.value
    for target in node.targets:
        text = dotted(target) or ""
        if (text.endswith(".check_hostname") and _is(value, False)) or (
            text.endswith(".verify_mode") and (dotted(value) or "").endswith("CERT_NONE")
        ):
            yield Hit(
                rule="tls-verify-disabled",
                severity=HIGH,
                node=node,
                cwe="CWE-295",
                message="This SSL context no longer checks certificates or host names: anyone on the "
                "network can impersonate the server. Use ssl.create_default_context() as is.",
            )
        if _is(value, True) and (text.endswith("app.debug") or _subscript_key(target) == "DEBUG"):
            yield _debug_hit(node)
        if (
            _subscript_key(target) == "Access-Control-Allow-Origin"
            and _credentials_header(scope)
            and (_is(value, "*") or scope.taint.tainted(value))
        ):
            yield _cors_hit(node)
        names = [t for t in (text, scope.func.name if scope.func else "") if t]
        if any(_TOKENISH.search(n.rsplit(".", 1)[-1]) for n in names) and _uses_random(scope, value):
            yield _random_hit(node)
            return
    yield from random_in_dict(scope, value)


def random_in_dict(scope: Scope, value: ast.AST | None) -> Iterator[Hit]:
    """``{"nonce": random.getrandbits(64)}``: a secret-named key given a value from ``random``."""
    if not scope.once("secret-named dict key", lambda: any(_secret_keys(n) for n in scope.nodes)):
        return  # the dicts in ``value`` are among the scope's nodes: none has such a key
    for node in ast.walk(value or ast.Constant(None)):
        if isinstance(node, ast.Dict):
            for key, item in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and _TOKENISH.search(str(key.value)) and _uses_random(scope, item):
                    yield _random_hit(item)


def _secret_keys(node: ast.AST) -> bool:
    return isinstance(node, ast.Dict) and any(
        isinstance(key, ast.Constant) and _TOKENISH.search(str(key.value)) for key in node.keys
    )


def returned(scope: Scope, node: ast.Return) -> Iterator[Hit]:
    if scope.func is not None and _TOKENISH.search(scope.func.name) and _uses_random(scope, node.value):
        yield _random_hit(node)
    else:
        yield from random_in_dict(scope, node.value)


def _uses_random(scope: Scope, value: ast.AST | None) -> bool:
    """Whether ``value`` makes a value from ``random``: numbers and bits always; a pick from a sequence
    (choice, sample) only when the picks are joined into a string, as a token is (a Markov chain's
    ``token = random.choice(words)`` is not a secret)."""
    calls = [n for n in ast.walk(value or ast.Constant(None)) if isinstance(n, ast.Call)]
    made = {qualname(c.func, scope.names) for c in calls} & _RANDOM
    joined = any(isinstance(c.func, ast.Attribute) and c.func.attr == "join" for c in calls)
    return bool(made - _PICKS) or (bool(made) and joined)


def _random_hit(node: ast.AST) -> Hit:
    return Hit(
        rule="insecure-random",
        severity=MEDIUM,
        node=node,
        cwe="CWE-338",
        message="A secret or token is made with the random module, whose output can be predicted. "
        "Use the secrets module (secrets.token_urlsafe, secrets.choice).",
    )


def _subscript_key(target: ast.AST) -> str | None:
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return str(target.slice.value)
    return None


def _credentials_header(scope: Scope) -> bool:
    return any(
        isinstance(n, ast.Assign)
        and any(_subscript_key(t) == "Access-Control-Allow-Credentials" for t in n.targets)
        and _is(n.value, "true")
        for n in scope.nodes
    )


def module_checks(tree: ast.Module, names: dict[str, str], path: str) -> Iterator[Hit]:
    """Module-level settings: ``DEBUG = True`` and Django's CORS allow-all with credentials."""
    settings: dict[str, ast.Assign] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            settings[node.targets[0].id] = node
    web = any(full.split(".")[0] in _WEB_FRAMEWORKS for full in names.values())
    debug = settings.get("DEBUG")
    if debug is not None and _is(debug.value, True) and (web or _SETTINGS_FILE.search(path)):
        yield _debug_hit(debug)
    credentials = settings.get("CORS_ALLOW_CREDENTIALS")
    for key in ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"):
        allow_all = settings.get(key)
        if (
            allow_all is not None
            and _is(allow_all.value, True)
            and credentials is not None
            and _is(credentials.value, True)
        ):
            yield _cors_hit(allow_all)


def scan_template(source: Source) -> Iterator[Finding]:
    """``|safe`` and ``autoescape false`` added to Jinja/Django templates."""
    if not source.path.lower().endswith(_TEMPLATE_SUFFIXES):
        return
    for number in sorted(source.added):
        if _UNESCAPED.search(source.line(number)):
            finding = cite(
                source,
                rule="security/template-unescaped",
                severity=MEDIUM,
                start=number,
                cwe="CWE-79",
                confidence=0.5,
                message="Template output is not escaped here: if the value can hold user input, "
                "this is cross-site scripting. Drop |safe / autoescape off, or escape the "
                "value where it is built.",
            )
            if finding is not None:
                yield finding


CALL_CHECKS = (
    (_tls, Calls(keywords=frozenset({"verify", "verify_ssl", "ssl", "cert_reqs"}))),
    (_jwt, Calls(names=frozenset({"decode", "get_unverified_claims", "get_unverified_header"}))),
    (_xml, Calls(names=frozenset({"setFeature"}), suffixes=("XMLParser",))),
    (_weak_hash, Calls(names=last_names(_HASHES))),
    (_chmod, Calls(names=frozenset({"makedirs", "mkdir", "chmod"}))),
    (_cors, Calls(suffixes=("CORS", "cross_origin", "add_middleware", "CORSMiddleware"))),
    (_zip_slip, Calls(names=frozenset({"join"}))),
    (_archive, Calls(names=frozenset({"unpack_archive", "extractall", "extract"}))),
    (_debug_call, Calls(suffixes=("FastAPI", "Starlette"))),
)
