"""Reading Python that the running interpreter's grammar cannot fully parse.

A change may use syntax newer than the Python reviewkit runs on (``type T = int``, PEP 701 f-strings,
``except A, B:``), or syntax no Python accepts. Skipping such a file would let one unreadable line
hide a weakened test next to it, so the statements that do not parse are neutralised instead (a
simple statement becomes ``pass``, a compound statement's header becomes ``if True:`` and its suite
is kept) and the rest is parsed again, line numbers unchanged. What was neutralised is returned: the
caller decides whether the change touched it (and so could not be reviewed) or not.

ast.parse with the running interpreter's own grammar is the newest grammar available: running
reviewkit on the newest Python leaves the fewest statements unreadable.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from collections.abc import Collection
from dataclasses import dataclass

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

_MAX_ROUNDS = 200  # statements neutralised per file before giving up on the syntax tree
_CLAUSES = {"elif": "elif True:", "else": "else:", "except": "except ():", "finally": "finally:", "case": "case 0:"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Readable:
    """``tree`` of the source with ``unreadable`` line ranges (1-based, inclusive) neutralised; None
    when no tree could be made at all (or once the tree is no longer needed: ``parsed`` says whether one
    was made). ``reason`` says what the grammar could not read, and where; ``source`` is the text the
    tree was parsed from (the statements it could not read neutralised)."""

    tree: ast.Module | None
    unreadable: tuple[tuple[int, int], ...] = ()
    reason: str = ""
    source: str = ""
    parsed: bool = True

    def touches(self, lines: set[int]) -> bool:
        """Whether any of ``lines`` lies in an unreadable statement (everything, when there is no tree)."""
        if not self.parsed:
            return True
        return any(start <= n <= end for start, end in self.unreadable for n in lines)


def unreadable_reason(side: str, readable: Readable) -> str:
    """Why a file the change touched where its grammar cannot read it is not fully reviewed."""
    how = "read line by line" if not readable.parsed else "the rest was compared"
    return (
        f"the {side} does not parse on Python {PYTHON} ({readable.reason}) where the change touches it; {how}; "
        "newer syntax is read fully when reviewkit runs on a newer Python"
    )


def read_python(source: str) -> Readable:
    """The syntax tree of ``source``, neutralising the statements the grammar cannot read."""
    text = source.removeprefix("\ufeff")  # Python reads a UTF-8 BOM as an encoding mark, ast.parse does not
    lines = text.split("\n")
    spans: dict[int, tuple[int, int, bool]] | None = None
    unreadable: list[tuple[int, int]] = []
    reason = ""
    for _ in range(_MAX_ROUNDS):
        source = "\n".join(lines) if unreadable else text
        try:
            return Readable(tree=ast.parse(source), unreadable=tuple(unreadable), reason=reason, source=source)
        except SyntaxError as exc:
            reason = reason or f"{exc.msg} (line {exc.lineno})"
            if not exc.lineno or not 0 < exc.lineno <= len(lines):
                break
            spans = spans if spans is not None else _logical_lines(text)
            start, end = _neutralise(lines, exc.lineno, spans)
            if (start, end) in unreadable:
                break  # no progress: the error is not in the statement that was neutralised
            unreadable.append((start, end))
        except (ValueError, RecursionError, MemoryError) as exc:
            reason = reason or f"{type(exc).__name__}: {exc}"
            break
    return Readable(
        tree=None, unreadable=tuple(unreadable), reason=reason or "too many unreadable statements", parsed=False
    )


def _neutralise(lines: list[str], number: int, spans: dict[int, tuple[int, int, bool]]) -> tuple[int, int]:
    """Replace the statement holding line ``number`` in place; return the lines it covered (with the
    suite of a compound statement, whose lines are kept but no longer read as what they were)."""
    start, end, header = spans.get(number) or (number, number, lines[number - 1].rstrip().endswith(":"))
    first = lines[start - 1]
    indent = first[: len(first) - len(first.lstrip())]
    keyword = first.strip().split(" ", 1)[0].rstrip(":")
    replacement = _CLAUSES.get(keyword, "if True:") if header else "pass"
    lines[start - 1 : end] = [indent + replacement] + [""] * (end - start)
    last = _suite_end(lines, end, len(indent)) if header else end
    return start, last


def _suite_end(lines: list[str], header_end: int, indent: int) -> int:
    last = header_end
    for number in range(header_end + 1, len(lines) + 1):
        line = lines[number - 1]
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        if line.strip():
            last = number
    return last


def _logical_lines(text: str) -> dict[int, tuple[int, int, bool]]:
    """For each physical line inside a logical line: (first line, last line, ends with ':'). Lines
    after a point the tokenizer cannot pass are left out (the caller takes them one by one)."""
    spans: dict[int, tuple[int, int, bool]] = {}
    start: int | None = None
    last = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                continue
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if start is not None:
                    end = token.start[0]
                    for number in range(start, end + 1):
                        spans[number] = (start, end, last == ":")
                start, last = None, ""
                continue
            start = token.start[0] if start is None else start
            last = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return spans


def replaced_characters(source: str, lines: Collection[int]) -> int | None:
    """The first of ``lines`` whose code (not a comment) holds U+FFFD: bytes that were not UTF-8 and were
    replaced on reading, so that two different values can read the same. None when there is none."""
    if "\ufffd" not in source:
        return None
    text = source.split("\n")
    suspects = sorted(n for n in lines if 0 < n <= len(text) and "\ufffd" in text[n - 1])
    comments = _comment_starts(source) if suspects else {}
    for number in suspects:
        code = text[number - 1][: comments.get(number)]
        if "\ufffd" in code:
            return number
    return None


def _comment_starts(source: str) -> dict[int, int]:
    """Line -> column where its comment starts (tokenized, so a ``#`` inside a string is not one)."""
    starts: dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                starts[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError):
        pass
    return starts
