"""What the rules added for issues 10 and 13 mean, for ``reviewkit rules``: (summary, an example it flags,
the fix) per rule id. Main's ``rule_docs.RULES`` table (which this branch predates) takes them in with
``RULES.update({rule: Rule(*text) for rule, text in MORE_RULES.items()})``.
"""

from __future__ import annotations

MORE_RULES: dict[str, tuple[str, str, str]] = {
    "security/allowed-hosts-wildcard": (
        "ALLOWED_HOSTS accepts any Host header (host header poisoning of reset links and absolute URLs).",
        'ALLOWED_HOSTS = ["*"]',
        "List the real host names.",
    ),
    "security/cookie-insecure": (
        "A cookie is sent without Secure, or readable by scripts without HttpOnly.",
        'resp.set_cookie("session", token)',
        "resp.set_cookie('session', token, secure=True, httponly=True, samesite='Lax').",
    ),
    "security/csrf-disabled": (
        "CSRF protection is switched off or a view is exempted from it.",
        "@csrf_exempt",
        "Keep the protection and send the token, or authenticate without cookies.",
    ),
    "security/hardcoded-secret-setting": (
        "A secret setting (SECRET_KEY, JWT_SECRET, *_PASSWORD...) is a literal in code, whatever its entropy.",
        'app.config["SECRET_KEY"] = "dev"',
        "Read it from the environment or a secret store, and rotate the committed value.",
    ),
    "security/header-injection": (
        "Request data is written into a response header (response splitting).",
        'resp.headers["Content-Disposition"] = "attachment; filename=" + request.args["fn"]',
        "Validate the value, or quote it (urllib.parse.quote for file names).",
    ),
    "security/insecure-default": (
        "A parameter that decides certificate checking defaults to off.",
        "def fetch(url, verify_ssl=False):",
        "Default to verifying; let callers opt out explicitly.",
    ),
    "security/log-injection": (
        "Request data is formatted into a log message (forged log lines).",
        "log.info(f\"login for {request.form['user']}\")",
        "Pass it as an argument: log.info('login for %r', user).",
    ),
    "security/nan-comparison": (
        "float() of request data is range-checked without a NaN check: 'nan' passes every comparison.",
        'amount = float(request.form["amount"]); if amount > LIMIT: ...',
        "Reject values that are not math.isfinite(), or parse with Decimal or int.",
    ),
    "security/open-redirect": (
        "Request data chooses where the user is redirected.",
        'return redirect(request.args["next"])',
        "Redirect only to relative paths or allow-listed hosts (url_has_allowed_host_and_scheme, url_for).",
    ),
    "security/process-spawn": (
        "A process is started with a program or argument list chosen at run time.",
        "os.execvp(program, args)",
        "Check the program against an allow-list before running it.",
    ),
    "security/regex-injection": (
        "A regular expression is compiled from request data (ReDoS, over-matching).",
        're.compile(request.args["q"])',
        "re.escape() the value, or match it as plain text.",
    ),
    "security/tempdir-name": (
        "TemporaryDirectory().name keeps a path to a directory that is removed when the object is collected.",
        "workdir = tempfile.TemporaryDirectory().name",
        "Use it as a context manager, or tempfile.mkdtemp().",
    ),
    "security/template-locals": (
        "locals() or globals() is handed to a template as its context.",
        'render(request, "page.html", locals())',
        "Pass an explicit context dict.",
    ),
    "security/unparsed-sink": (
        "A dangerous call on a line the parser could not read, so the full analysis did not see it.",
        'cmd = f"{request.args["c"]}"; os.system(cmd)  # 3.12 syntax on Python 3.11',
        "Check it by hand, or review with a Python that reads this syntax.",
    ),
}
