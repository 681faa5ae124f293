"""The fix: put the base version of each weakened or deleted test back, as one git-style unified diff
against the head (``git apply`` takes it). Only whole tests are restored, never partial edits, so the
result is code the project already ran."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from .pairs import FilePair, Restore

_NO_NEWLINE = "\\ No newline at end of file\n"


def restore_patch(restores: Iterable[Restore], pairs: Sequence[FilePair]) -> str:
    by_path = {p.path: p for p in pairs} | {p.old_path: p for p in pairs if p.head is None}
    bases = {p.old_path: p.base or "" for p in pairs}
    grouped: dict[str, list[Restore]] = {}
    for restore in restores:
        grouped.setdefault(restore.path, [])
        if restore not in grouped[restore.path]:
            grouped[restore.path].append(restore)
    patches = []
    for path, items in sorted(grouped.items()):
        pair = by_path.get(path) or next((p for p in pairs if p.old_path == path), None)
        if pair is None:
            continue
        if pair.head is None or pair.path != path:  # deleted, or renamed to a name no runner collects
            patches.append(_new_file(path, bases[pair.old_path]))
        else:
            patched = _apply(pair.head, items, bases)
            patches.append(_diff(path, pair.head, patched))
    return "".join(p for p in patches if p)


def _apply(head: str, restores: list[Restore], bases: dict[str, str]) -> str:
    lines = head.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += _eol(lines)  # text follows the last line now, so it needs its line ending
        trailing = True
    else:
        trailing = False
    # Bottom-up, so that earlier line numbers stay valid.
    for restore in sorted(restores, key=lambda r: r.head_start or r.anchor + 0.5, reverse=True):
        block = bases[restore.old_path].splitlines(keepends=True)[restore.base_start - 1 : restore.base_end]
        if block and not block[-1].endswith("\n"):
            block[-1] += _eol(lines)
        if restore.head_start is not None and restore.head_end is not None:
            lines[restore.head_start - 1 : restore.head_end] = block
        else:
            indented = bool(block) and block[0][:1] in (" ", "\t")
            gap = [_eol(lines)] * (1 if indented else 2)
            at = max(restore.anchor, 0)
            lines[at:at] = gap + block if at else block + gap
    text = "".join(lines)
    return text[: -len(_eol(lines))] if trailing and text.endswith(_eol(lines)) else text


def _eol(lines: list[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _diff(path: str, old: str, new: str) -> str:
    if old == new:
        return ""
    body = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3
    )
    out = [f"diff --git a/{path} b/{path}\n"]
    for line in body:
        out.append(line if line.endswith("\n") else line + "\n" + _NO_NEWLINE)
    return "".join(out)


def _new_file(path: str, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return ""
    out = [
        f"diff --git a/{path} b/{path}\n",
        "new file mode 100644\n",
        "--- /dev/null\n",
        f"+++ b/{path}\n",
        f"@@ -0,0 +1,{len(lines)} @@\n",
    ]
    for line in lines:
        out.append("+" + line if line.endswith("\n") else "+" + line + "\n" + _NO_NEWLINE)
    return "".join(out)
