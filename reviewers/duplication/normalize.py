"""Code as the duplication reviewer compares it: lines reduced to their shape (names, numbers and strings
replaced by placeholders, keywords and punctuation kept), and windows of consecutive lines hashed.

A window is a run of non-blank lines starting at a line, long enough to matter: ``min_lines`` lines, or
fewer lines holding ``min_tokens`` tokens (at least four lines either way). Windows that are all one
shape (a run of ``self.x = x``, a table of ``"key": 1,``) or mostly imports say nothing about logic.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# A string starts at a quote no backslash escapes: a quote inside an unclosed string scanned from an
# earlier one fails the same way, and trying each of them read a line of `\"\"\"...` once per quote.
_TOKEN = re.compile(
    r"""[rbuf]*(?<!\\)(\"\"\"|'''|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')|\d[\w.]*|\w+|[^\w\s]"""
)
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|--)")
# Each language's keywords stay as they are (they carry the code's shape); in another language the same
# word is a name (``fn`` is a keyword in Rust, a parameter in Python).
_JS = "function var let const return if else for while do switch case break continue new this class extends import "
_JS += "export from try catch finally throw typeof instanceof of in async await yield default null undefined true false"
_GO = "func go defer package struct interface return if else for range switch case break continue var const type map "
_GO += "chan select import nil true false"
_RUST = "fn let mut impl match self Self struct enum trait pub use mod return if else for while loop in break continue"
_C = "if else for while do switch case break continue return new this class extends import try catch finally throw "
_C += "static void int long bool public private protected struct interface null true false"
_KEYWORDS = {
    ".py": frozenset(keyword.kwlist),
    ".js": frozenset(_JS.split()),
    ".go": frozenset(_GO.split()),
    ".rs": frozenset(_RUST.split()),
}
for _suffix in (".jsx", ".ts", ".tsx"):
    _KEYWORDS[_suffix] = _KEYWORDS[".js"]
_OTHER = frozenset(_C.split())


def keywords_for(path: str) -> frozenset[str]:
    return _KEYWORDS.get(path[path.rfind(".") :], _OTHER)


_IMPORT = re.compile(r"^\s*(import|from|#include|using|require|package)\b")
MIN_WINDOW_LINES = 4
# Tokens of a line that only holds values: ``name=value,``, ``"key": 1,``, ``obj.attr,``, a closing bracket.
_DATA_TOKENS = frozenset({"N", "S", "0", ".", ",", ":", "=", "-", ")", "]", "}", "self", "this", "cls"})


@dataclass(frozen=True, slots=True)
class Shaped:
    """One non-blank, non-comment line: its number, its shape and how many tokens it has."""

    number: int
    shape: str
    tokens: int
    is_import: bool


def shape_lines(lines: Sequence[str], keywords: frozenset[str]) -> list[Shaped]:
    shaped = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or _COMMENT.match(line):
            continue
        raw = [t.group(0) for t in _TOKEN.finditer(line)]
        tokens = [_placeholder(raw, i, keywords) for i in range(len(raw))]
        shaped.append(Shaped(number, " ".join(tokens), len(tokens), bool(_IMPORT.match(line))))
    return shaped


def _placeholder(raw: list[str], index: int, keywords: frozenset[str]) -> str:
    """Literals and names become placeholders; keywords and attribute names (``.name``) stay: a copy
    renames its variables and parameters, rarely the attributes and methods it uses."""
    token = raw[index]
    if token[0] in "\"'" or (token[0] in "rbufRBUF" and len(token) > 1 and token[-1] in "\"'"):
        return "S"
    if token[0].isdigit():
        return "0"
    if token[0].isalpha() or token[0] == "_":
        before = raw[index - 1] if index else ""
        return token if token in keywords or before == "." else "N"
    return token


@dataclass(frozen=True, slots=True)
class Window:
    """Lines ``first..last`` (file line numbers) and the hash of their shapes."""

    first: int
    last: int
    digest: int


def windows(shaped: Sequence[Shaped], *, min_lines: int, min_tokens: int) -> Iterator[Window]:
    for start in range(len(shaped)):
        tokens = 0
        for end in range(start, min(start + min_lines, len(shaped))):
            tokens += shaped[end].tokens
            size = end - start + 1
            if size == min_lines or (tokens >= min_tokens and size >= MIN_WINDOW_LINES):
                run = shaped[start : end + 1]
                if _meaningful(run):
                    yield Window(run[0].number, run[-1].number, hash(tuple(s.shape for s in run)))
                break


def _is_data(shape: str) -> bool:
    tokens = shape.split()
    return all(t in _DATA_TOKENS or (i > 0 and tokens[i - 1] == ".") for i, t in enumerate(tokens))


def _meaningful(run: Sequence[Shaped]) -> bool:
    """Enough distinct logic to be worth calling instead of copying: not one shape over and over, not
    mostly imports, not mostly data (the arguments of a call or the rows of a table)."""
    distinct = {s.shape for s in run}
    imports = sum(s.is_import for s in run)
    data = sum(_is_data(s.shape) for s in run)
    return (
        len(distinct) * 2 > len(run)
        and imports * 2 < len(run)
        and data * 2 < len(run)
        and sum(s.tokens for s in run) >= 20
    )
