"""The security reviewer's labelled corpus: loading it, reviewing it as one real change, and scoring it.

Corpus files (``corpus/*.txt``) hold snippets::

    === vuln NAME [path=relative/file.ext]
    code...
    risky_call(x)  #!
    === safe NAME
    code...

Each snippet becomes its own file (``app.py`` unless ``[path=...]`` says otherwise) in a directory of its
own, added by one commit on top of an empty base. A line ending in ``#!`` must be flagged (the marker is
removed). Lines above a ``---- added below ----`` line are committed in the base, so they are old code that
must not be flagged. A ``---- head ----`` line instead separates a whole base file from a whole head file:
the change edits the file (a reverted security fix puts the flaw back into fixed code). ``<<>>`` is removed
on load: it splits fake keys so that secret scanners and push protection do not flag the corpus files
themselves.

Used by tests/reviewers/security/test_security_corpus.py and bench/security_corpus_eval.py.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewkit.findings import Finding
from reviewkit.pipeline import ReviewRequest, review
from reviewkit.report import Report

CORPUS = Path(__file__).resolve().parent / "corpus"
_HEADER = re.compile(r"^=== (vuln|safe) (\S+)(?: \[path=([^\]]+)\])?\s*$")
_MARK = re.compile(r"\s*#!\s*$")
_SPLIT = "<<>>"
_BASE_SEPARATOR = "---- added below ----"
_HEAD_SEPARATOR = "---- head ----"


@dataclass(frozen=True, slots=True, kw_only=True)
class Snippet:
    kind: str  # "vuln" or "safe"
    name: str
    category: str
    path: str  # inside the repository
    base: str | None  # text committed before the change, or None when the change adds the file
    head: str
    flagged: frozenset[int]  # head line numbers that must be flagged


@dataclass(kw_only=True)
class Score:
    """Recall on labelled lines and findings on safe snippets, for one tool."""

    tool: str
    vulnerable_lines: int = 0
    caught_lines: int = 0
    safe_snippets: int = 0
    safe_snippets_flagged: int = 0
    findings_on_safe: int = 0
    extra_findings_in_vulnerable: int = 0
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught_lines / self.vulnerable_lines if self.vulnerable_lines else 0.0

    def row(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "recall": round(self.recall, 3),
            "caught": f"{self.caught_lines}/{self.vulnerable_lines}",
            "findings_on_safe_snippets": self.findings_on_safe,
            "safe_snippets_flagged": f"{self.safe_snippets_flagged}/{self.safe_snippets}",
            "extra_findings_on_unlabelled_lines": self.extra_findings_in_vulnerable,
        }


def load(directory: Path = CORPUS) -> list[Snippet]:
    snippets: list[Snippet] = []
    for file in sorted(directory.glob("*.txt")):
        snippets.extend(_parse(file))
    names = [s.name for s in snippets]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate snippet names in the corpus: {sorted(duplicates)}")
    return snippets


def _parse(file: Path) -> Iterable[Snippet]:
    header: re.Match[str] | None = None
    body: list[str] = []
    for line in [*file.read_text(encoding="utf-8").split("\n"), "=== end"]:
        match = _HEADER.match(line)
        if match is None and not line.startswith("=== end"):
            if header is not None:
                body.append(line)
            continue
        if header is not None:
            yield _snippet(header, body, category=file.stem)
        header, body = match, []


def _snippet(header: re.Match[str], body: list[str], *, category: str) -> Snippet:
    while body and not body[-1].strip():
        body.pop()
    base_lines: list[str] | None = None
    if _HEAD_SEPARATOR in body:
        cut = body.index(_HEAD_SEPARATOR)
        base_lines, body = body[:cut], body[cut + 1 :]
    elif _BASE_SEPARATOR in body:
        cut = body.index(_BASE_SEPARATOR)
        base_lines, body = body[:cut], body[:cut] + body[cut + 1 :]
    flagged = frozenset(n for n, text in enumerate(body, 1) if _MARK.search(text))
    head = "\n".join(_MARK.sub("", text) for text in body).replace(_SPLIT, "") + "\n"
    kind, name, path = header.group(1), header.group(2), header.group(3) or "app.py"
    base = None if base_lines is None else "\n".join(base_lines).replace(_SPLIT, "") + "\n"
    return Snippet(
        kind=kind,
        name=name,
        category=category,
        path=f"corpus/{kind}-{name}/{path}",
        base=base,
        head=head,
        flagged=flagged,
    )


def write(snippets: Sequence[Snippet], root: Path, *, side: str) -> None:
    """Write every snippet's ``base`` or ``head`` text under ``root``."""
    for snippet in snippets:
        text = snippet.base if side == "base" else snippet.head
        if text is None:
            continue
        target = root / snippet.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def score(tool: str, snippets: Sequence[Snippet], hits: dict[str, list[tuple[int, int, str]]]) -> Score:
    """Score ``hits`` ({path: [(line, end_line, label)]}) against the labels."""
    result = Score(tool=tool)
    for snippet in snippets:
        found = hits.get(snippet.path, [])
        if snippet.kind == "safe":
            result.safe_snippets += 1
            result.findings_on_safe += len(found)
            result.safe_snippets_flagged += bool(found)
            result.false_positives += [f"{snippet.name}:{line} {label}" for line, _, label in found]
            continue
        result.vulnerable_lines += len(snippet.flagged)
        for number in sorted(snippet.flagged):
            if any(line <= number <= end for line, end, _ in found):
                result.caught_lines += 1
            else:
                result.missed.append(f"{snippet.name}:{number}")
        result.extra_findings_in_vulnerable += sum(
            1 for line, end, _ in found if not any(line <= n <= end for n in snippet.flagged)
        )
    return result


def reviewkit_hits(findings: Iterable[Finding]) -> dict[str, list[tuple[int, int, str]]]:
    hits: dict[str, list[tuple[int, int, str]]] = {}
    for finding in findings:
        hits.setdefault(finding.path, []).append((finding.line, finding.last_line, finding.rule))
    return hits


def bandit_hits(results: Iterable[Any], root: Path) -> dict[str, list[tuple[int, int, str]]]:
    hits: dict[str, list[tuple[int, int, str]]] = {}
    for result in results:
        path = Path(result.fname).resolve().relative_to(root.resolve()).as_posix()
        lines = [int(n) for n in (result.linerange or [result.lineno])]
        hits.setdefault(path, []).append((min(lines), max(lines), f"{result.test_id} {result.test}"))
    return hits


def review_corpus(snippets: Sequence[Snippet], root: Path) -> Report:
    """Commit the snippets' base and head in a new repository at ``root`` and review base..head with the
    installed ``security`` reviewer (the entry point, as a user runs it), offline."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "corpus",
        "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
        "GIT_COMMITTER_NAME": "corpus",
        "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    root.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", "main")
    (root / "README.md").write_text("corpus\n", encoding="utf-8")
    write(snippets, root, side="base")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    write(snippets, root, side="head")
    git("add", "-A")
    git("commit", "-q", "-m", "head")
    return review(ReviewRequest(repo=root, base="HEAD~1", head="HEAD", reviewers=("security",), offline=True))
