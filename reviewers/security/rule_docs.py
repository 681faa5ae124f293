"""What each security rule means, for ``reviewkit rules``: a summary, an example it flags, the fix."""

from __future__ import annotations

from reviewkit import Rule

_SECRET_FIX = "Remove the value, revoke it where it was issued, and read it from the environment or a secret store."


def _secret(kind: str, example: str) -> Rule:
    return Rule(f"A hard-coded {kind} in a file the change adds to.", example, _SECRET_FIX)


RULES: dict[str, Rule] = {
    "security/archive-path-traversal": Rule(
        "An archive is extracted without checking its member paths (zip slip).",
        "tarfile.open(upload).extractall(dest)",
        "Pass filter='data' (Python 3.12+), or check each member's resolved path stays inside dest.",
    ),
    "security/code-injection": Rule(
        "Request data reaches eval(), exec() or compile().",
        "eval(request.args['expr'])",
        "Never evaluate input: parse it (ast.literal_eval, json) or dispatch to known functions.",
    ),
    "security/command-injection": Rule(
        "Request data reaches a shell command.",
        'os.system("ping -c 1 " + request.args["host"])',
        "Run the program with an argument list and no shell: subprocess.run(['ping', '-c', '1', host]).",
    ),
    "security/cors-credentials": Rule(
        "CORS allows any origin together with credentials.",
        'CORS(app, origins="*", supports_credentials=True)',
        "List the trusted origins explicitly when credentials are allowed.",
    ),
    "security/debug-enabled": Rule(
        "Debug mode is switched on in code that can ship.",
        "DEBUG = True",
        "Read it from the environment and keep it off in production.",
    ),
    "security/django-extra": Rule(
        "QuerySet.extra() with values that may come from the user (SQL injection).",
        "User.objects.extra(where=[f\"name = '{name}'\"])",
        "Use ORM expressions, or params=[...].",
    ),
    "security/django-rawsql": Rule(
        "RawSQL built by formatting.",
        "RawSQL(f\"SELECT id FROM t WHERE name = '{name}'\", [])",
        "Put the values in params: RawSQL('... WHERE name = %s', [name]).",
    ),
    "security/eval": Rule(
        "eval() of a value that is not a literal.", "eval(expression)", "Use ast.literal_eval or a parser."
    ),
    "security/exec": Rule("exec() of code built at run time.", "exec(source)", "Dispatch to known functions instead."),
    "security/flask-debug": Rule(
        "A Flask app runs with debug=True: the debugger runs code sent by anyone who reaches it.",
        "app.run(debug=True)",
        "Drop debug=True; use FLASK_DEBUG locally.",
    ),
    "security/hardcoded-secret": Rule(
        "A secret-named key holds a literal, high-entropy value.",
        'API_TOKEN = "9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c"',
        _SECRET_FIX,
    ),
    "security/hardcoded-tmp": Rule(
        "A fixed path in a shared temporary directory (others can pre-create or read it).",
        'open("/tmp/report.txt", "w")',
        "Use tempfile.mkstemp() or tempfile.TemporaryDirectory().",
    ),
    "security/insecure-random": Rule(
        "random makes a token, password or key (predictable).",
        "token = ''.join(random.choice(letters) for _ in range(32))",
        "Use secrets.token_urlsafe() or secrets.choice().",
    ),
    "security/jinja2-autoescape": Rule(
        "A Jinja2 Environment without autoescaping renders HTML unescaped.",
        "Environment(loader=FileSystemLoader('templates'))",
        "Environment(..., autoescape=select_autoescape()).",
    ),
    "security/jwt-unverified": Rule(
        "A JWT is decoded without verifying its signature.",
        'jwt.decode(token, options={"verify_signature": False})',
        "Verify with the key and pin the algorithms: jwt.decode(token, key, algorithms=['HS256']).",
    ),
    "security/mako-templates": Rule(
        "Mako templates do not escape HTML by default.",
        "Template(text)",
        "Template(text, default_filters=['h']).",
    ),
    "security/mark-safe": Rule(
        "mark_safe() on a value that may hold user input.",
        "mark_safe(comment.body)",
        "Use format_html(), which escapes its arguments.",
    ),
    "security/markup-xss": Rule(
        "markupsafe.Markup() wraps a value that may hold user input.",
        "Markup(user_name)",
        "Use Markup.format() or escape().",
    ),
    "security/marshal": Rule(
        "marshal.loads() of data that may come from outside.",
        "marshal.loads(payload)",
        "Use a data format such as JSON for data from outside.",
    ),
    "security/mktemp": Rule(
        "tempfile.mktemp() is racy: another process can create the file first.",
        "path = tempfile.mktemp()",
        "Use tempfile.mkstemp() or NamedTemporaryFile() (reviewkit proposes the patch).",
    ),
    "security/os-system": Rule(
        "os.system() runs its argument through a shell.",
        'os.system("rm -rf " + path)',
        "Use subprocess.run([...]) with an argument list.",
    ),
    "security/path-traversal": Rule(
        "Request data builds a file path that can leave the intended directory.",
        "open(os.path.join(UPLOADS, request.args['name']))",
        "Resolve the path and check it is inside the directory, or use werkzeug's safe_join.",
    ),
    "security/permissive-chmod": Rule(
        "A file or directory is made world-writable.",
        "os.chmod(path, 0o777)",
        "Grant the least permission needed, e.g. 0o600 or 0o644.",
    ),
    "security/pickle": Rule(
        "pickle (or a pickle-based loader) reads data that may come from outside: it runs code.",
        "pickle.loads(request.data)",
        "Use JSON or another data-only format for anything from outside.",
    ),
    "security/shell-true": Rule(
        "A subprocess runs through a shell (shell=True).",
        'subprocess.run(f"git log {ref}", shell=True)',
        "Pass an argument list without shell=True (reviewkit proposes it for literal commands).",
    ),
    "security/sql-injection": Rule(
        "Request data is formatted into SQL that is executed.",
        "cursor.execute(f\"SELECT * FROM users WHERE name = '{name}'\")",
        "Use placeholders: cursor.execute('SELECT * FROM users WHERE name = %s', (name,)).",
    ),
    "security/ssh-host-key": Rule(
        "Paramiko accepts any SSH host key.",
        "client.set_missing_host_key_policy(paramiko.AutoAddPolicy())",
        "Load known hosts and use RejectPolicy.",
    ),
    "security/ssrf": Rule(
        "Request data chooses the URL of an outgoing request (server-side request forgery).",
        "requests.get(request.args['url'])",
        "Allow only known hosts, or build the URL from a fixed base and validated parts.",
    ),
    "security/tarfile-extractall": Rule(
        "tarfile.extractall() without a filter writes wherever member names point.",
        "tar.extractall(dest)",
        "tar.extractall(dest, filter='data').",
    ),
    "security/template-injection": Rule(
        "Request data becomes a template's source (server-side template injection).",
        "render_template_string(request.args['page'])",
        "Render a fixed template and pass the data as variables.",
    ),
    "security/template-unescaped": Rule(
        "A template turns escaping off ({{ x|safe }}, {% autoescape off %}).",
        "{{ comment|safe }}",
        "Drop |safe for values that can hold user input; sanitise HTML if you must allow it.",
    ),
    "security/tls-verify-disabled": Rule(
        "TLS certificate verification is switched off.",
        "requests.get(url, verify=False)",
        "Drop verify=False (reviewkit proposes the patch); pass a CA bundle for private certificates.",
    ),
    "security/torch-load": Rule(
        "torch.load() unpickles the file: a model file can run code.",
        "torch.load(path)",
        "torch.load(path, weights_only=True), or load safetensors files.",
    ),
    "security/unsafe-deserialization": Rule(
        "Request data is deserialised with a loader that can build arbitrary objects.",
        "pickle.loads(base64.b64decode(request.cookies['session']))",
        "Use JSON, or sign and verify the data before loading it.",
    ),
    "security/unverified-ssl-context": Rule(
        "ssl._create_unverified_context() switches off certificate checks.",
        "urlopen(url, context=ssl._create_unverified_context())",
        "Use ssl.create_default_context() (reviewkit proposes the patch).",
    ),
    "security/url-credentials": Rule(
        "A URL carries a password.",
        'DATABASE_URL = "postgres://app:s3cr3t-pass@db/app"',
        _SECRET_FIX,
    ),
    "security/urlopen-scheme": Rule(
        "urlopen() of a URL whose scheme is not checked (file:// reads local files).",
        "urllib.request.urlopen(url)",
        "Check the scheme is http or https first, or use requests.",
    ),
    "security/weak-cipher": Rule(
        "A broken cipher (DES, RC4, Blowfish, ...).",
        "Cipher(algorithms.TripleDES(key), mode)",
        "Use AES-GCM or ChaCha20-Poly1305.",
    ),
    "security/weak-cipher-mode": Rule("ECB mode leaks patterns of the plaintext.", "modes.ECB()", "Use GCM."),
    "security/weak-hash": Rule(
        "MD5 or SHA-1 protects a secret or a signature.",
        "hashlib.md5(token.encode()).hexdigest()",
        "Use hashlib.sha256 or better (or usedforsecurity=False where it is not security).",
    ),
    "security/weak-password-hash": Rule(
        "A password is stored with a fast hash.",
        "hashlib.sha256(password.encode()).hexdigest()",
        "Use a password hash: argon2, bcrypt, scrypt or hashlib.pbkdf2_hmac with many iterations.",
    ),
    "security/weak-tls-version": Rule(
        "An obsolete SSL/TLS version is allowed.",
        "ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_TLSv1)",
        "ssl.create_default_context() (TLS 1.2 or later).",
    ),
    "security/wildcard-injection": Rule(
        "A shell wildcard in a command: file names become options.",
        'os.system("tar cf backup.tar *")',
        "Expand the wildcard in Python (glob) and pass an argument list.",
    ),
    "security/xml-external-entities": Rule(
        "An XML parser resolves external entities (XXE).",
        "etree.XMLParser(resolve_entities=True)",
        "Use defusedxml, or a parser with entity resolution off.",
    ),
    "security/xml-unsafe-parser": Rule(
        "The standard library's XML parsers are open to entity expansion attacks.",
        "xml.etree.ElementTree.fromstring(body)",
        "Parse untrusted XML with defusedxml.",
    ),
    "security/xss": Rule(
        "Request data is returned as HTML without escaping (cross-site scripting).",
        'return "<p>Hello " + request.args["name"] + "</p>"',
        "Render a template with autoescaping, or escape the value (markupsafe.escape).",
    ),
    "security/yaml-load": Rule(
        "yaml.load() without a safe loader can build arbitrary objects.",
        "yaml.load(fh)",
        "yaml.safe_load(fh) (reviewkit proposes the patch).",
    ),
    "security/aws-access-key": _secret("AWS access key id", 'AWS_KEY = "AKIA................"'),
    "security/aws-secret-key": _secret("AWS secret access key", 'aws_secret_access_key = "wJalr..."'),
    "security/github-token": _secret("GitHub token", 'token = "ghp_...."'),
    "security/slack-token": _secret("Slack token", 'SLACK = "xoxb-...."'),
    "security/slack-webhook": _secret("Slack webhook URL", '"https://hooks.slack.com/services/T.../B.../..."'),
    "security/stripe-key": _secret("Stripe live key", 'stripe.api_key = "sk_live_...."'),
    "security/google-api-key": _secret("Google API key", 'KEY = "AIza...."'),
    "security/google-oauth-secret": _secret("Google OAuth client secret", 'CLIENT_SECRET = "GOCSPX-...."'),
    "security/anthropic-key": _secret("Anthropic API key", 'ANTHROPIC_API_KEY = "sk-ant-api03-...."'),
    "security/openai-key": _secret("OpenAI API key", 'OPENAI_API_KEY = "sk-proj-...."'),
    "security/azure-storage-key": _secret("Azure storage account key", '"...;AccountKey=...=="'),
    "security/sendgrid-key": _secret("SendGrid API key", 'SENDGRID = "SG.....")'),
    "security/private-key": _secret("private key block", "-----BEGIN RSA PRIVATE KEY-----"),
    "security/allowed-hosts-wildcard": Rule(
        "ALLOWED_HOSTS accepts any Host header (host header poisoning of reset links and absolute URLs).",
        'ALLOWED_HOSTS = ["*"]',
        "List the real host names.",
    ),
    "security/cookie-insecure": Rule(
        "A cookie is sent without Secure, or readable by scripts without HttpOnly.",
        'resp.set_cookie("session", token)',
        "resp.set_cookie('session', token, secure=True, httponly=True, samesite='Lax').",
    ),
    "security/csrf-disabled": Rule(
        "CSRF protection is switched off or a view is exempted from it.",
        "@csrf_exempt",
        "Keep the protection and send the token, or authenticate without cookies.",
    ),
    "security/hardcoded-secret-setting": Rule(
        "A secret setting (SECRET_KEY, JWT_SECRET, *_PASSWORD...) is a literal in code, whatever its entropy.",
        'app.config["SECRET_KEY"] = "dev"',
        "Read it from the environment or a secret store, and rotate the committed value.",
    ),
    "security/header-injection": Rule(
        "Request data is written into a response header (response splitting).",
        'resp.headers["Content-Disposition"] = "attachment; filename=" + request.args["fn"]',
        "Validate the value, or quote it (urllib.parse.quote for file names).",
    ),
    "security/insecure-default": Rule(
        "A parameter that decides certificate checking defaults to off.",
        "def fetch(url, verify_ssl=False):",
        "Default to verifying; let callers opt out explicitly.",
    ),
    "security/log-injection": Rule(
        "Request data is formatted into a log message (forged log lines).",
        "log.info(f\"login for {request.form['user']}\")",
        "Pass it as an argument: log.info('login for %r', user).",
    ),
    "security/nan-comparison": Rule(
        "float() of request data is range-checked without a NaN check: 'nan' passes every comparison.",
        'amount = float(request.form["amount"]); if amount > LIMIT: ...',
        "Reject values that are not math.isfinite(), or parse with Decimal or int.",
    ),
    "security/open-redirect": Rule(
        "Request data chooses where the user is redirected.",
        'return redirect(request.args["next"])',
        "Redirect only to relative paths or allow-listed hosts (url_has_allowed_host_and_scheme, url_for).",
    ),
    "security/process-spawn": Rule(
        "A process is started with a program or argument list chosen at run time.",
        "os.execvp(program, args)",
        "Check the program against an allow-list before running it.",
    ),
    "security/regex-injection": Rule(
        "A regular expression is compiled from request data (ReDoS, over-matching).",
        're.compile(request.args["q"])',
        "re.escape() the value, or match it as plain text.",
    ),
    "security/tempdir-name": Rule(
        "TemporaryDirectory().name keeps a path to a directory that is removed when the object is collected.",
        "workdir = tempfile.TemporaryDirectory().name",
        "Use it as a context manager, or tempfile.mkdtemp().",
    ),
    "security/template-locals": Rule(
        "locals() or globals() is handed to a template as its context.",
        'render(request, "page.html", locals())',
        "Pass an explicit context dict.",
    ),
    "security/unparsed-sink": Rule(
        "A dangerous call on a line the parser could not read, so the full analysis did not see it.",
        'cmd = f"{request.args["c"]}"; os.system(cmd)  # 3.12 syntax on Python 3.11',
        "Check it by hand, or review with a Python that reads this syntax.",
    ),
}
