"""How text from a change is shown to people: every character a reader could not see is escaped visibly.

A file name, a message or quoted code can come from the change under review, and so from an attacker:
a newline in a name forges a new log line or workflow command, a bidi override (U+202E) makes
``evil.py`` read as something else, an escape sequence repaints a terminal, and invalid UTF-8 (kept as
surrogate escapes, U+DC80..U+DCFF) cannot even be encoded for output. Every reporter and everything
reviewkit posts runs such text through :func:`visible` first.

The rule is Python's own idea of printable (``str.isprintable``, a fast C check): control characters,
format characters (bidi controls, zero-width and tag characters), line and paragraph separators,
surrogates, private-use and unassigned code points, and spaces other than U+0020 are written as the
escapes Python uses in ``repr``: ``\\n``, ``\\x1b``, ``\\u202e``, ``\\U000e0041``; a surrogate escape of an
invalid byte is written as that byte, ``\\xff``. Backslashes are left alone, so a name that is itself
written with a backslash escape reads the same as the name it imitates; it cannot hide anything.

Machine formats that carry the real path (``--format json``) use :func:`json_text` instead, which keeps
every name exactly and still produces valid UTF-8 JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATES = re.compile("[\ud800-\udfff]")


def visible(text: str, *, keep: str = "") -> str:
    """``text`` with every character a reader could not see escaped; characters in ``keep`` (e.g. newlines
    and tabs inside a code block) are left as they are."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


def is_visible(text: str) -> bool:
    """Whether ``text`` shows as itself (nothing in it needs escaping)."""
    return text.isprintable()


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by the surrogateescape handler
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON text that always encodes as UTF-8: non-ASCII text stays readable, and a lone
    surrogate (a name holding bytes that are not UTF-8) becomes a ``\\udcXX`` escape, which a JSON parser
    reads back as the same string (``os.fsencode`` then gives the original bytes)."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
