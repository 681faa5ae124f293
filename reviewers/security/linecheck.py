"""Line-level checks for Python lines the parser could not read (see :mod:`parsing`).

They are a net, not the analysis: a dangerous call on an unparsed added line is reported (high when the
same line reads request data, medium otherwise), and the file is listed as not fully reviewed anyway.
Every pattern is a plain alternation without nested repetition, so each line costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from reviewers.security.common import Source, cite
from reviewkit import Finding, Severity

_SINKS = (
    ("CWE-78", "runs a shell command", re.compile(r"\b(?:os\.(?:system|popen|exec\w*|spawn\w*)|subprocess\.\w+)\s*\(")),
    (
        "CWE-95",
        "runs code",
        re.compile(r"(?<![\w.])(?:eval|exec|compile|__import__|import_module)\s*\(|^\s*exec\s+[\w\"']"),
    ),
    (
        "CWE-502",
        "deserialises data that can run code",
        re.compile(r"\b(?:pickle|cPickle|marshal|dill|jsonpickle|shelve)\.\w+\s*\(|\byaml\.(?:unsafe_)?load\w*\s*\("),
    ),
    ("CWE-89", "runs SQL built from strings", re.compile(r"\.(?:execute|executemany|raw|extra)\s*\(\s*f?[\"']")),
    (
        "CWE-79",
        "renders or marks HTML unescaped",
        re.compile(r"\b(?:render_template_string|mark_safe|Markup|SafeString|format_html)\s*\("),
    ),
)
_SOURCE = re.compile(r"\brequest\b|\binput\s*\(|\bsys\.argv\b|\bevent\s*\[|\bos\.environ\b")


def scan(source: Source, lines: Iterable[int]) -> Iterator[Finding]:
    """Findings on the given (unparsed, added) lines of ``source``."""
    for number in lines:
        code = source.line(number).split("#", 1)[0]
        for cwe, what, pattern in _SINKS:
            if pattern.search(code) is None:
                continue
            sourced = _SOURCE.search(code) is not None
            finding = cite(
                source,
                rule="security/unparsed-sink",
                severity=Severity.HIGH if sourced else Severity.MEDIUM,
                start=number,
                cwe=cwe,
                confidence=0.5,
                message=f"This line {what}{', with request data' if sourced else ''}, and it could not be "
                "parsed, so the full analysis did not see it. Check it by hand, or review with a Python "
                "that reads this syntax.",
            )
            if finding is not None:
                yield finding
            break
