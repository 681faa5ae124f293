"""ruff as a library of rules: the changed files are written to a scratch directory (with the
repository's ruff configuration when there is one) and checked in one ruff process; diagnostics come
back as plain values, with ruff's own fix edits.

ruff is a dependency of reviewkit: its binary ships in the wheel, so this works offline.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ruff.__main__ import find_ruff_bin

CONFIG_FILES = ("ruff.toml", ".ruff.toml", "pyproject.toml")
TIMEOUT_S = 120


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """Replace the text between two 1-based (row, column) positions with ``content``."""

    content: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    code: str
    path: str
    line: int
    end_line: int
    message: str
    safe_fix: tuple[Edit, ...] = ()


def check(
    files: Mapping[str, str],
    *,
    select: Sequence[str] = (),
    config: tuple[str, str] | None = None,
    ignore: Sequence[str] = (),
    honour_noqa: bool = True,
) -> list[Diagnostic]:
    """ruff's diagnostics on ``files`` (path -> text).

    :param select: rule codes or prefixes; with ``config`` they replace its selection, without it they
        are the whole selection (ruff runs ``--isolated``, ignoring any configuration).
    :param config: ``(file name, text)`` of the repository's ruff configuration (``ruff.toml``,
        ``.ruff.toml`` or a ``pyproject.toml`` with ``[tool.ruff]``), placed at the scratch root.
    :param honour_noqa: False for an untrusted change: a ``# noqa`` it adds is a claim, not an instruction.
    """
    if not files:
        return []
    with tempfile.TemporaryDirectory(prefix="reviewkit-ruff-") as scratch:
        root = Path(scratch)
        for path, text in files.items():
            target = root / PurePosixPath(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", errors="surrogateescape")
        args = [find_ruff_bin(), "check", "--no-cache", "--exit-zero", "--output-format", "json", "--force-exclude"]
        if config is not None:
            (root / config[0]).write_text(config[1], encoding="utf-8")
            args += ["--config", str(root / config[0])]
        else:
            args.append("--isolated")
        if select:
            args += ["--select", ",".join(select)]
        if ignore:
            args += ["--extend-ignore", ",".join(ignore)]
        if not honour_noqa:
            args.append("--ignore-noqa")
        proc = subprocess.run(
            [*args, "--", *sorted(files)], cwd=root, capture_output=True, timeout=TIMEOUT_S, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"ruff failed: {proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
        return [_diagnostic(item, root) for item in json.loads(proc.stdout or b"[]") if item.get("code")]


def _diagnostic(item: dict[str, object], root: Path) -> Diagnostic:
    location, end = item["location"], item["end_location"]
    assert isinstance(location, dict) and isinstance(end, dict)
    fix = item.get("fix")
    edits: tuple[Edit, ...] = ()
    if isinstance(fix, dict) and fix.get("applicability") == "safe":
        edits = tuple(
            Edit(
                content=e["content"],
                start=(e["location"]["row"], e["location"]["column"]),
                end=(e["end_location"]["row"], e["end_location"]["column"]),
            )
            for e in fix.get("edits", [])
        )
    return Diagnostic(
        code=str(item["code"]),
        path=Path(str(item["filename"])).resolve().relative_to(root.resolve()).as_posix(),
        line=int(location["row"]),
        end_line=int(end["row"]),
        message=str(item["message"]),
        safe_fix=edits,
    )


def apply_edits(text: str, edits: Sequence[Edit]) -> str | None:
    """``text`` with non-overlapping ``edits`` applied (last first, so positions stay valid); None when
    two edits overlap (the caller then leaves the file alone)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(position: tuple[int, int]) -> int:
        row, column = position
        return starts[min(row, len(lines)) - 1] + column - 1

    spans = sorted((offset(e.start), offset(e.end), e.content) for e in edits)
    if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
        return None
    for begin, finish, content in reversed(spans):
        text = text[:begin] + content + text[finish:]
    return text
