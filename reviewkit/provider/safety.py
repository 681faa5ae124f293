"""What may go into a prompt and what may come out of one.

In: untrusted text (diff, goal, prompt files) has its invisible and format characters made visible,
secrets and environment values redacted, and is fenced with a boundary it cannot contain.
Out: model text that will be posted loses images, HTML and links outside the repository, and any
secret it repeats.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable, Mapping

# A run of four stars: the evidence check reads it as "redacted text", so a finding that quotes a
# redacted line still matches the code it cites.
REDACTED = "****"

# Zero-width and joiner characters, bidi embeddings/overrides/isolates (Trojan Source), soft hyphen,
# word joiners, the BOM, and the Unicode tag block (invisible ASCII look-alikes used to hide prompts).
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_MARKER = re.compile(r"\[U\+([0-9A-F]{4,6})\]")

# Every pattern here runs over untrusted text, so each repetition that could backtrack is bounded:
# a crafted line must not turn redaction into minutes of regex work.
# Formats of credentials that are secrets wherever they appear.
_TOKEN_PATTERNS = (
    r"sk-ant-[A-Za-z0-9_\-]{8,}",
    r"sk-(?:proj-|live-|test-)?[A-Za-z0-9]{20,}",
    r"[rs]k_(?:live|test)_[A-Za-z0-9]{8,}",
    r"(?:AKIA|ASIA)[0-9A-Z]{16}",
    r"gh[pousr]_[A-Za-z0-9]{20,}",
    r"github_pat_[A-Za-z0-9_]{20,}",
    r"glpat-[A-Za-z0-9_\-]{20,}",
    r"xox[abprs]-[A-Za-z0-9\-]{10,}",
    r"AIza[0-9A-Za-z_\-]{35}",
    # A JWT starts a word: tried from every 'eyJ' of a long run, it read the run once per 'eyJ'.
    r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,}+\.eyJ[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}",
)
_TOKENS = re.compile("|".join(f"(?:{p})" for p in _TOKEN_PATTERNS))
_SECRET_WORD = r"(?:passw(?:or)?d|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|credential)"
_SECRET_WORD_RE = re.compile(_SECRET_WORD + "|key|pass|auth|cred|cookie|session", re.I)
_SECRET_NAME = rf"[A-Za-z0-9_.\-]{{0,40}}{_SECRET_WORD}[A-Za-z0-9_.\-]{{0,40}}+"  # '+': what follows is no name
# name = "value" in code and config; NAME=value in .env files.
_QUOTED_ASSIGNMENT = re.compile(
    rf"(?i)(\b{_SECRET_NAME}[\"']?[ \t]{{0,8}}(?::|=|=>)[ \t]{{0,8}})([\"'])([^\"'\s]{{6,}})\2"
)
_ENV_ASSIGNMENT = re.compile(rf"(?im)^([ \t]{{0,16}}(?:export[ \t]+)?{_SECRET_NAME}=)([^\s\"'#]{{6,}})")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,30}://)[^\s/:@]{1,200}:[^\s/@]{1,200}@")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S)

# Environment variables whose values are ordinary words, paths or settings, not secrets; any other
# value long enough to be one is kept out of prompts. CI metadata (GITHUB_REPOSITORY, RUNNER_OS...)
# is not secret and would otherwise blank out the repository's own name wherever the diff mentions it.
_HARMLESS_ENV = frozenset(
    {
        "PATH",
        "HOME",
        "PWD",
        "OLDPWD",
        "SHELL",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TMPDIR",
        "TEMP",
        "TMP",
        "HOSTNAME",
        "SHLVL",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "EDITOR",
        "PAGER",
        "COLUMNS",
        "LINES",
        "DISPLAY",
        "TZ",
        "MAIL",
    }
)
_MIN_ENV_SECRET = 8


def env_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of the environment that must never reach a prompt, longest first."""
    env = os.environ if environ is None else environ
    values = {
        value
        for name, value in env.items()
        if len(value) >= _MIN_ENV_SECRET
        and name not in _HARMLESS_ENV
        and not name.startswith(("LC_", "XDG_", "GIT_AUTHOR_", "GIT_COMMITTER_"))
        and not (name.startswith(("GITHUB_", "RUNNER_")) and not _SECRET_WORD_RE.search(name))
        and not _is_path_list(value)
    }
    return tuple(sorted(values, key=len, reverse=True))


def _is_path_list(value: str) -> bool:
    return all(part.startswith(("/", "~")) or part == "" for part in value.split(os.pathsep))


def redact(text: str, env_values: Iterable[str] = ()) -> str:
    """``text`` with credentials and the given environment values replaced by ``****``."""
    for value in env_values:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _PRIVATE_KEY.sub(lambda m: _redact_lines(m.group(0)), text)
    text = _TOKENS.sub(REDACTED, text)
    text = _QUOTED_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
    text = _ENV_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


def _redact_lines(block: str) -> str:
    # Keep the line structure so that line numbers around a key block stay right.
    return "\n".join(REDACTED for _ in block.split("\n"))


def reveal_invisible(text: str) -> tuple[str, int]:
    """Replace each invisible or format character with a visible ``[U+XXXX]`` marker; return the
    text and how many there were. The model is told what the markers mean, so it can flag them."""
    count = 0

    def mark(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"[U+{ord(match.group(0)):04X}]"

    return _INVISIBLE.sub(mark, text), count


def restore_invisible(evidence: str) -> str:
    """Turn markers in a model's quote back into the characters, so the quote matches the file."""

    def restore(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if _INVISIBLE.fullmatch(char) else match.group(0)

    return _MARKER.sub(restore, evidence)


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def new_boundary(*texts: str, seed: str | None = None) -> str:
    """A fence boundary that none of ``texts`` contains, so fenced data cannot close its fence.

    ``seed``: a secret drawn once per run, so that every reviewer of the run — each in a process of its
    own — fences the same change with the same boundary and their prompts share one cache entry. The
    boundary is still unknown to whoever wrote the texts.
    """
    boundary = seed or secrets.token_hex(12)
    while any(boundary in text for text in texts):
        boundary = hashlib.sha256(boundary.encode()).hexdigest()[:24]
    return boundary


def fence(text: str, *, boundary: str, kind: str) -> str:
    """``text`` as untrusted data between markers it cannot forge (the caller checked the boundary)."""
    if boundary in text:  # never expected: the boundary was drawn against all the run's texts
        text = text.replace(boundary, REDACTED)
    return f'<untrusted-{boundary} kind="{kind}">\n{text}\n</untrusted-{boundary}>'


# --- model output that will be posted -------------------------------------------------------------

_IMAGE = re.compile(r"!\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)|!\[([^\]\n]{0,500})\]\[[^\]\n]{0,500}\]")
# HTML elements by name, so that generics in a message (List<String>, Map<K, V>) survive.
_HTML_ELEMENTS = (
    "a|abbr|audio|b|base|blockquote|body|br|button|canvas|code|dd|del|details|dialog|div|dl|dt|em|embed|"
    "font|form|frame|frameset|h[1-6]|head|hr|html|i|iframe|img|input|ins|kbd|label|li|link|marquee|math|meta|"
    "noscript|object|ol|p|picture|pre|q|s|samp|script|select|small|source|span|strike|strong|style|sub|"
    "summary|sup|svg|table|tbody|td|template|textarea|tfoot|th|thead|title|tr|tt|u|ul|var|video|wbr"
)
_HTML = re.compile(rf"<!--.*?(?:-->|\Z)|</?(?:{_HTML_ELEMENTS})(?:[\s/][^<>]*)?>", re.S | re.I)
_MD_LINK = re.compile(r"\[([^\]\n]{0,500})\]\(([^()\s]{1,2000})(?:[ \t]+\"[^\"\n]{0,200}\")?\)")
_REF_LINK_DEF = re.compile(r"(?m)^[ \t]{0,3}\[[^\]\n]{1,500}\]:[ \t]*\S.*$")
_BARE_URL = re.compile(r"(?i)\b(?:https?|ftp|file|data|javascript):[^\s<>()\]]+")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")


def sanitize_posted(text: str, *, repo_url: str | None = None, env_values: Iterable[str] = ()) -> str:
    """Model text made safe to post: no images, no HTML, no links leaving the repository (their text
    is kept), no secrets, no invisible characters."""
    text = strip_invisible(text)
    text = _IMAGE.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = _AUTOLINK.sub(lambda m: _keep_url(m.group(1), repo_url), text)
    text = _HTML.sub("", text)
    text = _REF_LINK_DEF.sub("", text)
    text = _MD_LINK.sub(lambda m: _link(m.group(1), m.group(2), repo_url), text)
    text = _BARE_URL.sub(lambda m: _keep_url(m.group(0), repo_url), text)
    return redact(text, env_values).strip()


def _link(label: str, target: str, repo_url: str | None) -> str:
    if _is_repo_target(target, repo_url):
        return f"[{label}]({target})"
    return label


def _keep_url(url: str, repo_url: str | None) -> str:
    return url if _is_repo_target(url, repo_url) else "(link removed)"


def _is_repo_target(target: str, repo_url: str | None) -> bool:
    if re.match(r"(?i)^[a-z][a-z0-9+.\-]*:", target) or target.startswith("//"):
        return bool(repo_url) and target.startswith(repo_url.rstrip("/") + "/")  # type: ignore[union-attr]
    return True  # a relative link stays inside the repository
