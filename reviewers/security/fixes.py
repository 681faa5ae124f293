"""Mechanical fixes for findings whose fix has exactly one reading, as one git-style patch against head.

Only single-line rewrites that keep the program's meaning apart from the hole they close:
``yaml.load`` -> ``yaml.safe_load``, ``verify=False`` removed, ``tempfile.mktemp`` -> ``mkstemp``,
``shell=True`` with a literal command -> an argument list, ``ssl._create_unverified_context`` ->
``ssl.create_default_context``. Anything less certain is left to the author; the finding says how.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import shlex
from collections.abc import Callable, Iterable

from reviewers.security.common import Source
from reviewkit import Finding

_SHELL_META = re.compile(r"[|&;<>()$`*?\[\]{}~\\'\"\n#=!]")
_VERIFY_FALSE = re.compile(r",\s*verify\s*=\s*False\b|\bverify\s*=\s*False\s*,\s*")
_YAML_LOADER = re.compile(r",\s*Loader\s*=\s*[\w.]*(?:Unsafe|Full)?Loader\b")


def patch_for(findings: Iterable[Finding], sources: dict[str, Source]) -> tuple[str, list[Finding]]:
    """One unified diff fixing every finding that has a mechanical fix ("" when none has), and the
    findings it fixes (declared to the fix stage, so only those can be marked fixed).

    A line that also carries a finding this patch cannot fix is left alone: an SSRF next to
    ``verify=False`` is still there after the rewrite, and the line is better left for the author whole.
    """
    findings = list(findings)
    edited: dict[str, dict[int, str]] = {}
    fixed: list[Finding] = []
    unfixable = {(f.path, n) for f in findings if f.rule not in _FIXERS for n in range(f.line, f.last_line + 1)}
    for finding in findings:
        source = sources.get(finding.path)
        fixer = _FIXERS.get(finding.rule)
        if source is None or fixer is None or (finding.path, finding.line) in unfixable:
            continue
        if "\ufffd" in source.text:
            continue  # bytes that are not UTF-8 were replaced when read: a patch could not reproduce them
        if not _plain_path(finding.path):
            continue  # git would quote this name in a patch header; the finding stays, unfixed
        lines = edited.setdefault(finding.path, {})
        current = lines.get(finding.line, source.line(finding.line).rstrip("\r"))  # _diff restores the ending
        new = fixer(current, source)
        if new is not None and new != current:
            lines[finding.line] = new
            fixed.append(finding)
    patch = "".join(_diff(sources[path], lines) for path, lines in sorted(edited.items()) if lines)
    return patch, fixed if patch else []


def _plain_path(path: str) -> bool:
    return path.isprintable() and not any(c in path for c in '"\\')


def _diff(source: Source, edits: dict[int, str]) -> str:
    old = source.text.splitlines(keepends=True)
    new = []
    for number, line in enumerate(old, 1):
        if number not in edits:
            new.append(line)
            continue
        ending = line[len(line.rstrip("\r\n")) :]
        parts = edits[number].split("\n")  # a fix may turn one line into several
        new.extend(part + (ending or "\n") for part in parts[:-1])
        new.append(parts[-1] + ending)
    body = []
    for line in difflib.unified_diff(old, new, f"a/{source.path}", f"b/{source.path}", n=3):
        body.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return f"diff --git a/{source.path} b/{source.path}\n" + "".join(body) if body else ""


def _fix_yaml(line: str, source: Source) -> str | None:
    match = re.search(r"\b(\w+)\.load(_all)?\(", line)
    if match is None or ("Loader=" in line and not _YAML_LOADER.search(line)):
        return None  # a loader we cannot read on this line: leave it to the author
    fixed = _YAML_LOADER.sub("", line)
    return fixed[: match.start()] + f"{match.group(1)}.safe_load{match.group(2) or ''}(" + fixed[match.end() :]


def _fix_verify(line: str, source: Source) -> str | None:
    return _VERIFY_FALSE.sub("", line, count=1) if _VERIFY_FALSE.search(line) else None


def _fix_unverified_context(line: str, source: Source) -> str | None:
    if "._create_unverified_context(" not in line:
        return None
    return line.replace("._create_unverified_context(", ".create_default_context(")


def _fix_mktemp(line: str, source: Source) -> str | None:
    """``path = tempfile.mktemp(...)`` -> ``fd, path = tempfile.mkstemp(...)`` and ``os.close(fd)``: the
    file is created safely and the name stays usable as before. Only where ``os`` is imported."""
    match = re.fullmatch(r"(\s*)(\w+) = (\w+)\.mktemp\((.*)\)(\s*)", line)
    if match is None or not re.search(r"^import os\b|^import [\w, ]*\bos\b", source.text, re.MULTILINE):
        return None
    indent, name, module, args, _ = match.groups()
    return f"{indent}{name}_fd, {name} = {module}.mkstemp({args})\n{indent}os.close({name}_fd)"


def _fix_shell(line: str, source: Source) -> str | None:
    """``run("ls -l", shell=True)`` -> ``run(["ls", "-l"])`` when the command has nothing a shell interprets."""
    indent = line[: len(line) - len(line.lstrip())]
    code = line.strip()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    call = next(
        (n for n in ast.walk(tree) if isinstance(n, ast.Call) and any(k.arg == "shell" for k in n.keywords)), None
    )
    if call is None or not call.args or not isinstance(call.args[0], ast.Constant):
        return None
    command, shell = call.args[0], next(k for k in call.keywords if k.arg == "shell")
    if not isinstance(command.value, str) or not command.value.strip() or _SHELL_META.search(command.value):
        return None
    if not (isinstance(shell.value, ast.Constant) and shell.value.value is True):
        return None
    ends = [n.end_col_offset or 0 for n in (*call.args, *call.keywords) if isinstance(n, ast.expr | ast.keyword)]
    cut_from = max(end for end in ends if end <= shell.col_offset)  # the comma before shell=True goes too
    code = code[:cut_from] + code[shell.end_col_offset or shell.col_offset :]
    argv = json.dumps(shlex.split(command.value))
    return indent + code[: command.col_offset] + argv + code[command.end_col_offset :]


_FIXERS: dict[str, Callable[[str, Source], str | None]] = {
    "security/yaml-load": _fix_yaml,
    "security/tls-verify-disabled": _fix_verify,
    "security/unverified-ssl-context": _fix_unverified_context,
    "security/mktemp": _fix_mktemp,
    "security/shell-true": _fix_shell,
}
