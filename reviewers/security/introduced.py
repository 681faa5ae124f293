"""Flaws a change introduces on lines it did not write.

A change can make old code vulnerable without touching it: it deletes the check before an old sink, swaps
``defusedxml`` for ``xml.etree`` in the imports above an old ``fromstring`` call, or removes a sanitiser
from the line that feeds an old ``open()``. So the code analysis (reviewkit's rules and bandit) runs over
every line of a modified file; a finding on a line the diff did not add counts only when the same analysis
of the base revision does not have it (same rule, same code), and it carries a note saying so.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

from reviewers.security import parsing
from reviewers.security.common import Source
from reviewkit import FileChange, FileStatus, Finding, ReviewContext

Analysis = Callable[[Sequence[tuple[Source, ast.Module]]], list[Finding]]
NOTE = "introduced by this change on a line it did not edit (for example, a check before it was removed)"


def widened(python: Sequence[tuple[Source, ast.Module]]) -> list[tuple[Source, ast.Module]]:
    """The parsed files with every line of a modified file citable (new files are all added already)."""
    return [(replace(source, citable=frozenset(range(1, len(source.lines) + 1))), tree) for source, tree in python]


def split(findings: list[Finding], python: Sequence[tuple[Source, ast.Module]]) -> tuple[list[Finding], list[Finding]]:
    """(findings on added lines, findings on old lines)."""
    added = {source.path: source.added for source, _ in python}
    new = [
        f for f in findings if f.path not in added or any(n in added[f.path] for n in range(f.line, f.last_line + 1))
    ]
    old = [f for f in findings if f not in set(new)]
    return new, old


def introduced(
    context: ReviewContext, old: list[Finding], python: Sequence[tuple[Source, ast.Module]], analyse: Analysis
) -> list[Finding]:
    """The findings among ``old`` that the base revision does not have, each with a note."""
    if not old:
        return []
    base = _base(context, python)
    seen = Counter(_key(f) for f in analyse(base))
    result = []
    for finding in old:
        if seen[_key(finding)] > 0:
            seen[_key(finding)] -= 1
            continue
        result.append(finding.with_note(NOTE))
    return result


def _base(context: ReviewContext, python: Sequence[tuple[Source, ast.Module]]) -> list[tuple[Source, ast.Module]]:
    """Every changed Python file as the base revision had it, under its head path (the whole program, so
    that calls between the files are followed as in the head)."""
    changed = {file.path: file for file in context.files}
    result = []
    for source, _ in python:
        file = changed.get(source.path)
        text = None if file is None else base_text(context, file)
        if text is None:
            continue
        tree = parsing.parse(text, source.path).tree
        if tree is not None:
            everything = frozenset(range(1, text.count("\n") + 2))
            result.append((Source(path=source.path, text=text, added=everything), tree))
    return result


def base_text(context: ReviewContext, file: FileChange) -> str | None:
    """The file as the base revision had it; None for a file the change adds or copies (nothing to ask)."""
    if file.status in (FileStatus.ADDED, FileStatus.COPIED):
        return None
    return context.read(file.old_path or file.path, side="base")


def _key(finding: Finding) -> tuple[str, str, str]:
    return finding.rule, finding.path, " ".join(finding.evidence.split())
