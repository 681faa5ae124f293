"""Terminal and file I/O shared by the command modules (reviewkit.commands, the github command): output
written atomically, progress on stderr, colour only on a terminal, and the flags every command reads.

Kept apart from reviewkit.cli so that the command modules and the parser that dispatches to them do not
import each other.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reviewkit.errors import InputError


def blocked_plugins(options: Sequence[str]) -> tuple[str, ...]:
    names = []
    for option in options:
        if not option.startswith("no:") or len(option) == 3:
            raise InputError(f"-p {option}: only '-p no:NAME' (disable a plugin) is supported")
        names.append(option[3:])
    return tuple(names)


def read_goal(value: str | None) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"--goal {value}: cannot read {path}: {exc.strerror}") from exc


def write_output(text: str, output: str | None) -> None:
    """Write to ``output`` atomically (a temporary file renamed into place), or to stdout."""
    text = _encodable(text)
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    if not target.parent.is_dir():
        raise InputError(f"--output {output}: directory {target.parent} does not exist")
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _encodable(text: str) -> str:
    """``text`` as valid UTF-8: a path with bytes that are not UTF-8 is held as lone surrogates, written as
    ``\\udcXX`` (visible in text, and a valid escape inside a JSON string) instead of failing the run."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def use_color(output: str | None) -> bool:
    return output in (None, "-") and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def progress_printer(force: bool = False) -> Any:
    """Progress lines on stderr: on a terminal (unless NO_COLOR), or always with ``--progress``
    (see :mod:`reviewkit.progress`)."""
    from reviewkit.progress import progress_for

    return progress_for(force)


def dump_json(data: Any) -> str:
    from reviewkit.display import json_text

    return json_text(data) + "\n"
