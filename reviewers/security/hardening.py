"""Misconfiguration of web applications and libraries: cookies without ``Secure``/``HttpOnly``, CSRF
protection switched off or exempted, hard-coded secret keys and config secrets (a literal assigned to a
secret-named setting is a secret whatever its entropy: ``SECRET_KEY = "dev"`` signs every session),
``ALLOWED_HOSTS = ["*"]``, and insecure defaults in function parameters (``verify=False``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from reviewers.security.program import Unit
from reviewers.security.taint import Calls, Hit, Scope, dotted
from reviewkit import Severity

HIGH, MEDIUM = Severity.HIGH, Severity.MEDIUM

# Settings whose value is a secret (Django/Flask conventions: upper-case names).
_SECRET_SETTING = re.compile(
    r"(?:^|_)(?:SECRET_KEY|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|SIGNING_KEY"
    r"|ENCRYPTION_KEY|AUTH_TOKEN|ACCESS_TOKEN|CLIENT_SECRET)$"
)
_COOKIE_SETTINGS = frozenset(
    {"SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_SECURE"}
)
_CSRF_SETTINGS = frozenset({"WTF_CSRF_ENABLED", "CSRF_ENABLED", "WTF_CSRF_CHECK_DEFAULT"})
_SESSIONISH = re.compile(r"session|token|auth|remember|login|sid\b|jwt", re.IGNORECASE)
_VERIFY_PARAM = re.compile(
    r"^(?:verify|verify_ssl|verify_ssl_cert|verify_cert|verify_certs|verify_certificate|ssl_verify|"
    r"validate_certs|check_hostname|tls_verify|verify_tls|cert_verify|ssl)$"
)


def _is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _secret_literal(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | bytes) and len(node.value.strip()) > 0


def _setting_name(target: ast.AST) -> str | None:
    """``NAME``, ``app.secret_key``, ``app.config["NAME"]`` or ``settings.NAME``, upper-cased."""
    if isinstance(target, ast.Name):
        return target.id if target.id.isupper() else None
    if isinstance(target, ast.Attribute):
        return target.attr.upper() if target.attr == "secret_key" or target.attr.isupper() else None
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        key = target.slice.value
        return key if isinstance(key, str) and key.isupper() and "config" in (dotted(target.value) or "") else None
    return None


def _secret_hit(node: ast.AST, name: str, value: ast.Constant) -> Hit:
    secret = value.value if isinstance(value.value, str) else value.value.decode("utf-8", "replace")
    return Hit(
        secret=secret,
        rule="hardcoded-secret-setting",
        severity=HIGH,
        node=node,
        cwe="CWE-798",
        message=f"{name} is set to a literal in code: anyone with the source can sign sessions, tokens or "
        "reset links (a short or example value is guessed even without it). Read it from the "
        "environment or a secret manager, and rotate the committed value.",
    )


def _setting_hits(node: ast.AST, name: str, value: ast.AST | None) -> Iterator[Hit]:
    if _SECRET_SETTING.search(name) and isinstance(value, ast.Constant) and _secret_literal(value):
        yield _secret_hit(node, name, value)
    elif name in _COOKIE_SETTINGS and _is_false(value):
        yield _cookie_hit(node, name)
    elif name in _CSRF_SETTINGS and _is_false(value):
        yield _csrf_hit(node)
    elif name == "ALLOWED_HOSTS" and any(isinstance(n, ast.Constant) and n.value == "*" for n in ast.walk(value)):
        yield Hit(
            rule="allowed-hosts-wildcard",
            severity=MEDIUM,
            node=node,
            cwe="CWE-644",
            message="ALLOWED_HOSTS accepts any Host header: password-reset links and absolute URLs can be "
            "made to point at an attacker's host (host header poisoning). List the real host names.",
        )


def assignment(scope: Scope, node: ast.Assign) -> Iterator[Hit]:
    """Settings assigned in a function (``app.config["SECRET_KEY"] = "dev"`` in a factory)."""
    if scope.func is None:
        return  # module level: module_checks sees these once
    for target in node.targets:
        name = _setting_name(target)
        if name is not None and not isinstance(target, ast.Name):
            yield from _setting_hits(node, name, node.value)


def module_checks(unit: Unit) -> Iterator[Hit]:
    """Module-level settings, ``app.config.update(SECRET_KEY=...)`` and ``csrf_exempt`` decorators."""
    for node in unit.tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                name = _setting_name(target)
                if name is not None:
                    yield from _setting_hits(node, name, node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield from _config_update(node.value)
        elif isinstance(node, ast.ClassDef):
            yield from _csrf_exempt(node.decorator_list)


def _config_update(call: ast.Call) -> Iterator[Hit]:
    target = dotted(call.func) or ""
    if target.endswith(("config.update", "config.from_mapping")):
        for keyword in call.keywords:
            if keyword.arg and keyword.arg.isupper():
                yield from _setting_hits(call, keyword.arg, keyword.value)


def function(scope: Scope) -> Iterator[Hit]:
    """Checks on a function definition: CSRF exemption and insecure parameter defaults."""
    func = scope.func
    if func is None:
        return
    yield from _csrf_exempt(func.decorator_list)
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    defaults += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    for param, default in defaults:
        if _VERIFY_PARAM.match(param.arg) and _is_false(default) and _passed_to_tls(scope, param.arg):
            yield Hit(
                rule="insecure-default",
                severity=MEDIUM,
                node=param,
                cwe="CWE-295",
                message=f"{param.arg}=False by default: every caller that does not pass it talks TLS "
                "without checking certificates. Default to verifying; let callers opt out explicitly.",
            )


def _csrf_exempt(decorators: list[ast.expr]) -> Iterator[Hit]:
    """``@csrf_exempt``, ``@csrf.exempt`` (Flask-WTF) and ``@method_decorator(csrf_exempt, ...)``."""
    for deco in decorators:
        targets = [deco.func, *deco.args] if isinstance(deco, ast.Call) else [deco]
        names = [dotted(t) or "" for t in targets]
        if any(n.rsplit(".", 1)[-1] == "csrf_exempt" or n.endswith("csrf.exempt") for n in names):
            yield _csrf_hit(deco)


def _passed_to_tls(scope: Scope, name: str) -> bool:
    """Whether the parameter goes where certificate checking is decided (``verify=name`` in a call, or
    ``self.verify = name``), rather than being some unrelated flag called ``verify``."""
    for node in scope.nodes:
        if isinstance(node, ast.keyword) and node.arg and _VERIFY_PARAM.match(node.arg):
            if isinstance(node.value, ast.Name) and node.value.id == name:
                return True
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == name:
            return any(isinstance(t, ast.Attribute) and _VERIFY_PARAM.match(t.attr) for t in node.targets)
    return False


def _cookie(scope: Scope, call: ast.Call) -> Iterator[Hit]:
    if not isinstance(call.func, ast.Attribute) or call.func.attr != "set_cookie":
        return
    secure, httponly = (next((k.value for k in call.keywords if k.arg == n), None) for n in ("secure", "httponly"))
    key = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "key"), None)
    sessionish = isinstance(key, ast.Constant) and _SESSIONISH.search(str(key.value)) is not None
    if _is_false(secure) or _is_false(httponly) or (sessionish and secure is None):
        yield _cookie_hit(call, "this cookie")


def _cookie_hit(node: ast.AST, what: str) -> Hit:
    return Hit(
        rule="cookie-insecure",
        severity=MEDIUM,
        node=node,
        cwe="CWE-614",
        message=f"{what} is sent without Secure (or readable by scripts without HttpOnly): it leaks over "
        "plain HTTP or to injected scripts. Set secure=True, httponly=True and samesite.",
    )


def _csrf_hit(node: ast.AST) -> Hit:
    return Hit(
        rule="csrf-disabled",
        severity=MEDIUM,
        node=node,
        cwe="CWE-352",
        message="CSRF protection is switched off here: another site can make a signed-in user's browser "
        "send this request. Keep the protection and send the token (or use a non-cookie auth scheme).",
    )


CALL_CHECKS = ((_cookie, Calls(names=frozenset({"set_cookie"}))),)
