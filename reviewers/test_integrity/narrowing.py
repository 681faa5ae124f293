"""Collection narrowing: an edit that makes fewer tests run while every line still looks like a test run.

Three shapes: a test command whose targets moved inside the old ones (``pytest tests`` ->
``pytest tests/unit``, ``unittest discover -s tests`` -> ``-s tests/smoke``, ``.testr.conf``'s
``discover .`` -> ``discover ./tests``), pytest's ``testpaths`` losing a directory, and a marker
expression (``-m "not slow"``) selecting a subset. Widening (a target added next to the old ones) is
not narrowing.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Sequence
from pathlib import PurePosixPath

_MAX_GLOB = 1000  # longer than any path pattern a test runner needs

_PYTEST = frozenset({"pytest", "py.test"})
# pytest options whose value is a separate word (never a test path)
_VALUED = frozenset({"-c", "-k", "-m", "-p", "-W", "-o", "-r", "-n", "--tb", "--rootdir", "--confcutdir", "--basetemp"})
_DISCOVER_VALUED = frozenset({"-p", "--pattern", "-t", "--top-level-directory", "-k"})
_TESTPATHS = re.compile(r"^\s*testpaths\s*=\s*(.*)$")
_SEPARATORS = frozenset({"&&", "||", ";", "|"})
_MODULE_RUNNERS = re.compile(r"(^|/)python[\d.]*$")


def command_narrowed(old: str, new: str) -> str | None:
    """How ``new`` runs fewer tests than ``old`` (the same command edited), or None."""
    before, after = targets(old), targets(new)
    if before is None or after is None or before == after:
        return None
    if _narrower(before, after):
        return f"runs {', '.join(after) or '.'} where it ran {', '.join(before) or '.'}"
    return None


def targets(command: str) -> list[str] | None:
    """The paths a pytest or unittest-discover command collects from ([] for its default), or None
    when the line is neither."""
    words = _words(command)
    for index, word in enumerate(words):
        name = word.rsplit("/", 1)[-1]
        if name in _PYTEST or (word == "-m" and index + 1 < len(words) and words[index + 1] in _PYTEST):
            start = index + (2 if word == "-m" else 1)
            return _positional(words[start:], _VALUED)
        if word == "discover":
            return _discover(words[index + 1 :])
    return None


def _discover(words: Sequence[str]) -> list[str]:
    """unittest discover's start directory: ``-s DIR`` or its first positional argument (default ``.``)."""
    start, rest, skip = None, [], False
    for index, word in enumerate(words):
        if skip:
            skip = False
        elif word in ("-s", "--start-directory") and index + 1 < len(words):
            start, skip = words[index + 1], True
        elif word in _DISCOVER_VALUED:
            skip = True
        elif word in _SEPARATORS:
            break
        elif not word.startswith(("-", "$", "{")):
            rest.append(word)
    return [_clean(start if start is not None else (rest[0] if rest else "."))]


def _positional(words: Sequence[str], valued: frozenset[str]) -> list[str]:
    found, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word in valued:
            skip = True
        elif word in _SEPARATORS:
            break
        elif not word.startswith(("-", "$", "{")):
            found.append(_clean(word))
    return sorted(set(found))


def _clean(path: str) -> str:
    path = path.split("::", 1)[0].strip("\"'").removeprefix("./").rstrip("/")
    return "" if path == "." else path


def _words(command: str) -> list[str]:
    """Shell words, with quoted option strings (``addopts = "-ra -m 'not slow'"``) split again."""
    try:
        words = shlex.split(command, comments=False)
    except ValueError:
        words = command.split()
    return [part for word in words for part in word.split()]


def _under(path: str, root: str) -> bool:
    return root == "" or path == root or path.startswith(root + "/")


def _narrower(before: Sequence[str], after: Sequence[str]) -> bool:
    """Every new target lies within an old one, and some old target is no longer covered."""
    old = list(before) or [""]
    new = list(after) or [""]
    inside = all(any(_under(n, o) for o in old) for n in new)
    lost = any(not any(_under(o, n) for n in new) for o in old)
    return inside and lost


def testpaths(text: str | None) -> tuple[int, list[str]] | None:
    """pytest's ``testpaths`` in an ini or toml file: (line, values), or None when not set."""
    lines = (text or "").splitlines()
    for number, line in enumerate(lines, start=1):
        match = _TESTPATHS.match(line)
        if not match:
            continue
        value = match[1].strip()
        if value.startswith("["):
            if "]" not in value:  # a toml array over several lines
                rest = " ".join(lines[number:])
                value += " " + (rest[: rest.index("]") + 1] if "]" in rest else rest)
            return number, sorted(_clean(v) for v in re.findall(r"[\"']([^\"']+)[\"']", value))
        if not value:  # an ini list on the indented lines below
            below = []
            for item in lines[number:]:
                if not item.startswith((" ", "\t")) or not item.strip():
                    break
                below += item.split()
            return number, sorted(_clean(v) for v in below)
        return number, sorted(_clean(v) for v in value.split())
    return None


def testpaths_narrowed(base: str | None, head: str | None) -> tuple[int, str] | None:
    """(head line, message) when ``testpaths`` lost a directory it collected from."""
    before, after = testpaths(base), testpaths(head)
    if before is None or after is None or before[1] == after[1]:
        return None
    if _narrower(before[1], after[1]):
        return after[
            0
        ], f"testpaths now collects from {', '.join(after[1])} where it collected from {', '.join(before[1])}"
    return None


def selects_markers(text: str) -> bool:
    """A pytest ``-m`` marker expression (``-m "not slow"``), not ``python -m pytest``."""
    words = _words(text.replace("=", " = "))
    for index, word in enumerate(words):
        cleaned = word.strip("\"'")
        if cleaned == "-m" and not (index and _MODULE_RUNNERS.search(words[index - 1])):
            return index + 1 < len(words) and words[index + 1] not in _PYTEST
        if cleaned.startswith("-m") and len(cleaned) > 2 and cleaned[2] in "\"' ":
            return True
    return False


_IGNORE_OPTION = re.compile(r"--ignore(-glob)?(?:=|\s+)[\"']?([^\s\"',\]]+)")
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")
_LITERAL_LIST = re.compile(r"^\s*collect_ignore(_glob)?\s*=\s*\[[\s\"'\w./*?,-]*\]\s*$")


def excluded_tests(path: str, text: str, test_files: Sequence[str]) -> list[str] | None:
    """The head's test files an exclusion on this line (``--ignore``, ``collect_ignore``,
    ``norecursedirs``) keeps from running; None when the line is no exclusion this can read for sure
    (a computed list, a variable in a path): those keep their static judgement."""
    if "norecursedirs" in text:
        value = text.split("=", 1)[-1]
        patterns = _QUOTED.findall(value) or value.split()
        return [
            f
            for f in test_files
            if any(len(p) > _MAX_GLOB or fnmatch.fnmatch(part, p) for part in f.split("/")[:-1] for p in patterns)
        ]
    if "collect_ignore" in text:
        match = _LITERAL_LIST.match(text)
        if match is None:
            return None
        here = str(PurePosixPath(path).parent)
        values = [posixpath.normpath(posixpath.join(here, v)) for v in _QUOTED.findall(text.split("=", 1)[-1])]
        return _excluded(test_files, values, glob=bool(match[1]))
    options = _IGNORE_OPTION.findall(text)
    if not options:
        return None
    values = [posixpath.normpath(v) for _, v in options]
    if any(v.startswith(("/", "~", "..")) or "$" in v or "{" in v for v in values):
        return None
    return _excluded(test_files, values, glob=any(g for g, _ in options))


def _excluded(test_files: Sequence[str], targets: Sequence[str], *, glob: bool) -> list[str]:
    return [f for f in test_files if any(_matches(f, t, glob=glob) for t in targets)]


def _matches(path: str, target: str, *, glob: bool) -> bool:
    if glob:
        # The pattern is the change's own; fnmatch is quadratic in unclosed '['. One longer than any
        # path could need is taken to exclude everything: narrowing that cannot be read blocks.
        return len(target) > _MAX_GLOB or fnmatch.fnmatch(path, target)
    return target == "." or path == target or path.startswith(target + "/")
