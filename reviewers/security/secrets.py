"""Hard-coded secrets in any changed text file: provider key formats, private keys, credentials in URLs,
and high-entropy values assigned to secret-like names.

A secret is never repeated whole: the evidence and message show a redacted form (a public prefix at
most, then ``****``), which the pipeline's evidence check reads as a wildcard.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from reviewers.security.common import Source, cite
from reviewkit import Finding, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyFormat:
    rule: str
    label: str
    pattern: re.Pattern[str]
    keep: int  # characters of the public, non-secret prefix the redacted form may show
    hints: tuple[str, ...]  # literal text every match contains (lower-case): a cheap test before the regex


def _fmt(rule: str, label: str, pattern: str, keep: int, *hints: str) -> KeyFormat:
    return KeyFormat(rule=rule, label=label, pattern=re.compile(pattern), keep=keep, hints=hints)


KEY_FORMATS = (
    _fmt(
        "aws-access-key",
        "AWS access key id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        4,
        "akia",
        "asia",
        "abia",
        "acca",
    ),
    _fmt(
        "aws-secret-key",
        "AWS secret access key",
        r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]+\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
        0,
        "aws",
    ),
    _fmt(
        "github-token",
        "GitHub token",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b",
        4,
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
    ),
    _fmt("github-token", "GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9_]{60,}\b", 11, "github_pat_"),
    _fmt("slack-token", "Slack token", r"\bxox[abposr]-[0-9A-Za-z-]{10,}", 5, "xox"),
    _fmt(
        "slack-webhook",
        "Slack webhook URL",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,}",
        31,
        "hooks.slack.com",
    ),
    _fmt("stripe-key", "Stripe live key", r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b", 8, "_live_"),
    _fmt("google-api-key", "Google API key", r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", 4, "aiza"),
    _fmt("google-oauth-secret", "Google OAuth client secret", r"\bGOCSPX-[A-Za-z0-9_\-]{28}\b", 7, "gocspx-"),
    _fmt("anthropic-key", "Anthropic API key", r"\bsk-ant-[a-z]+\d*-[A-Za-z0-9_\-]{32,}", 7, "sk-ant-"),
    _fmt(
        "openai-key",
        "OpenAI API key",
        r"\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
        3,
        "sk-",
    ),
    _fmt("azure-storage-key", "Azure storage account key", r"AccountKey=([A-Za-z0-9+/]{80,}={0,2})", 0, "accountkey="),
    _fmt("sendgrid-key", "SendGrid API key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b", 3, "sg."),
    _fmt(
        "private-key",
        "private key block",
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----",
        0,
        "private key",
    ),
)

# A name that says its value is secret, assigned in Python, JS, YAML, JSON, .env, shell or a Dockerfile.
_SECRET_NAME = (
    r"(?:secret[_-]?key|master[_-]?key|secret|passw(?:or)?d|passwd|pwd|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|auth[_-]?key|credentials?|client[_-]?secret|signing[_-]?key|encryption[_-]?key)"
)
# Every _SECRET_NAME alternative contains one of these (lower-case).
_SECRET_WORDS = ("secret", "passw", "pwd", "token", "api", "access", "private", "auth", "credential", "key")
# An attempt starts only where a run of name characters starts (stepping over a leading '-' or '.' to the
# first word boundary, where the leftmost match begins) and settles once on the run's last dotted segment:
# every other start or split of the same run ends at the same place, and retrying them all made one
# 4,000-character `-token-token...` line take minutes. The name carries no leading quote (nothing reads it).
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?:\B[A-Za-z0-9_.\-])*+"
    r"(?P<name>\b(?>(?:[A-Za-z0-9_.\-]*\.)?)(?=[A-Za-z0-9_\-]*?" + _SECRET_NAME + r")[A-Za-z0-9_\-]*+[\"']?)"
    r"\s*(?::=|=>|=|:)\s*"
    r"(?:(?P<quote>[\"'`])(?P<quoted>[^\"'`]{1,512}?)(?P=quote)|(?P<bare>[^\"'`\s,;)]+))",
    re.IGNORECASE,
)
# The secret word ends the name (allowing an encoding suffix): the name says what the value *is*.
_SECRET_LAST = re.compile(_SECRET_NAME + r"(?:[_-]?(?:value|str|b64|hex|base|raw|plain|s))?[\"']?$", re.I)
# Names that merely talk about a secret: where it lives, what it is called, how long it is.
_NOT_A_VALUE_NAME = re.compile(
    r"(?:_|-)(?:id|ids|name|names|url|uri|path|file|dir|field|type|header|env|var|length|len|prefix"
    r"|endpoint|format|pattern|regex|label|key_id|hint|policy|count|size|ttl|expiry|expires|timeout"
    r"|template|class|mode|param|scope|scopes)[\"']?$|^[\"']?(?:is|has|use|get|set|require|no)_",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"example|sample|dummy|fake|placeholder|changeme|change_me|your[_-]|redacted|xxxx|\*\*\*|<|>|\{\{|\$\{"
    r"|\$\(|%\(|%s|^\$|secret_here|insert|replace|todo|test|none|null|true|false|undefined|password\d?$"
    r"|(.)\1{5,}",
    re.IGNORECASE,
)
_CODE_SUFFIXES = (".py", ".pyi", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".rb", ".go", ".java", ".kt")
_URL_CREDENTIALS = re.compile(
    r"\b[a-z][a-z0-9+.\-]{1,20}://(?P<user>[^\s:/@\"']{1,64}):(?P<password>[^\s@/\"']{3,128})@[\w.\-]+"
)
_DOCKER_ENV = re.compile(r"^(\s*(?:ENV|ARG)\s+[A-Za-z_][A-Za-z0-9_]*)\s+(?=\S)")
_DOC_SUFFIXES = (".md", ".rst", ".txt", ".adoc")
_CHARACTER_CLASSES = tuple(re.compile(p) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))


def scan(source: Source, docs: frozenset[int] = frozenset()) -> Iterator[Finding]:
    """Secrets on the lines the change added to ``source`` (any text file type).

    On documentation (``docs``: docstring and comment lines; whole Markdown/reST files) only real key
    formats are reported: passwords there are examples (``postgresql://scott:tiger@localhost``).
    """
    code = source.path.endswith(_CODE_SUFFIXES)
    prose = source.path.lower().endswith(_DOC_SUFFIXES)
    # Literal hints over the whole text first: most files hold no key at all, and running every pattern on
    # every line is the scanner's whole cost. A format whose hint is nowhere in the file cannot match.
    lower = source.text.lower()
    formats = tuple(fmt for fmt in KEY_FORMATS if any(hint in lower for hint in fmt.hints))
    urls = "://" in source.text
    named = "dockerfile" in source.path.lower() or any(word in lower for word in _SECRET_WORDS)
    for number in sorted(source.added):
        text = source.line(number)
        if not text.strip():
            continue
        found = list(_provider_keys(source, number, text, formats)) if formats else []
        yield from found
        if found or prose or number in docs or text.lstrip().startswith("#"):
            continue
        if urls:
            yield from _url_credentials(source, number, text)
        if named and not source.is_test and any(word in text.lower() for word in _SECRET_WORDS):
            yield from _named_secrets(source, number, text, code=code)


def redact(text: str, secret: str, keep: int = 0) -> str:
    """``text`` with every occurrence of ``secret`` shown as its first ``keep`` characters and ``****``."""
    return text.replace(secret, secret[:keep] + "****")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _provider_keys(
    source: Source, number: int, text: str, formats: tuple[KeyFormat, ...] = KEY_FORMATS
) -> Iterator[Finding]:
    for fmt in formats:
        for match in fmt.pattern.finditer(text):
            secret = match.group(match.lastindex or 0)
            if fmt.rule != "private-key" and _PLACEHOLDER.search(secret):
                continue
            severity = Severity.MEDIUM if source.is_test else Severity.CRITICAL
            where = " (in test code: if this is a real key, it is leaked all the same)" if source.is_test else ""
            finding = cite(
                source,
                rule=f"security/{fmt.rule}",
                severity=severity,
                start=number,
                message=f"Hard-coded {fmt.label}{where}. Revoke it, remove it from the history, and read it "
                "from the environment or a secret manager at run time.",
                cwe="CWE-798",
                confidence=0.95,
                evidence=_redacted_line(text, fmt, secret),
            )
            if finding is not None:
                yield finding


def _redacted_line(text: str, fmt: KeyFormat, secret: str) -> str:
    if fmt.rule == "private-key":
        return text.strip()  # the header line itself holds no key material
    return redact(text, secret, fmt.keep).strip()


def _url_credentials(source: Source, number: int, text: str) -> Iterator[Finding]:
    for match in _URL_CREDENTIALS.finditer(text):
        password = match.group("password")
        if _PLACEHOLDER.search(password) or password.startswith(("$", "{", "%")) or entropy(password) < 2.0:
            continue
        finding = cite(
            source,
            rule="security/url-credentials",
            severity=Severity.HIGH,
            start=number,
            message="A password is written into this URL. Build the URL from configuration or the "
            "environment at run time, and rotate the password.",
            cwe="CWE-798",
            confidence=0.8,
            evidence=redact(text, password).strip(),
        )
        if finding is not None:
            yield finding


def _named_secrets(source: Source, number: int, text: str, *, code: bool) -> Iterator[Finding]:
    assignments = _DOCKER_ENV.sub(r"\1=", text) if "dockerfile" in source.path.lower() else text
    for match in _ASSIGNMENT.finditer(assignments):
        name, quote = match.group("name"), match.group("quote")
        value = match.group("quoted") if quote else match.group("bare")
        if code and not quote:
            continue  # in code an unquoted value is an expression (a call, a variable), not a literal
        if not _looks_secret(name, value):
            continue
        finding = cite(
            source,
            rule="security/hardcoded-secret",
            severity=Severity.HIGH,
            start=number,
            message=f"{name.strip(chr(34) + chr(39))} is assigned a hard-coded secret. Read it from the "
            "environment or a secret manager, and rotate the value that was committed.",
            cwe="CWE-798",
            confidence=0.7,
            evidence=redact(text, value).strip(),
        )
        if finding is not None:
            yield finding
            return  # one finding per line is enough


def _looks_secret(name: str, value: str) -> bool:
    if _NOT_A_VALUE_NAME.search(name) or not _SECRET_LAST.search(name) or _PLACEHOLDER.search(value):
        return False  # TOKEN_COMMENT_BEGIN names a kind of token; DB_PASSWORD holds one
    if any(c.isspace() for c in value):
        return False  # prose and messages, not credentials
    if len(value) < 8 or len(value) > 512 or ("/" in value and "://" in value):
        return False
    if re.fullmatch(r"[A-Z0-9_]+|[a-z_][a-z0-9_.]*|[\d.]+|[A-Za-z]+(?:[-.][A-Za-z]+)*", value):
        return False  # env-var names, identifiers, numbers, plain words
    classes = sum(bool(p.search(value)) for p in _CHARACTER_CLASSES)
    return classes >= 2 and entropy(value) >= (3.0 if len(value) < 20 else 3.5)
