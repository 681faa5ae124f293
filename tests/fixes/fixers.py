"""Small reviewers that find a real problem and propose a real fix, for the fix-stage tests.

They stand in for the security and test-integrity reviewers' mechanical fixes: a finding quoting the
head, and a git-style unified diff against the head (or edits in the reviewer's own workspace).
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reviewkit import Finding, ReviewContext, Reviewer

APP = 'def double(x):\n    return eval(str(x) + " * 2")\n\n\ndef half(x):\n    return eval(str(x) + " / 2")\n'
CHECK = (
    "import app\n\nassert app.double(4) == 8, 'double(4) should be 8'\n"
    "assert app.half(4) == 2\nprint('checks passed')\n"
)
TEST_COMMAND = f"{shlex.quote(sys.executable)} check.py"


def config(*, test_command: str | None = TEST_COMMAND, parallel: bool = True, extra: str = "") -> str:
    lines = ["[code_review]", f"parallel = {str(parallel).lower()}"]
    if test_command is not None:
        lines.append(f"test_command = '''{test_command}'''")  # a TOML literal string: no escapes
    return "\n".join(lines) + "\n" + extra


def make_patch(path: str, old: str, new: str) -> str:
    """A git-style unified diff turning ``old`` into ``new`` at ``path``."""
    body = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}")
    return f"diff --git a/{path} b/{path}\n" + "".join(body)


class Replacer(Reviewer):
    """Flags ``needle`` in added lines of .py files; fixes it by replacing it with ``replacement``.

    ``fix``: "patch" (propose_fix), "workspace" (edit context.workspace), or None (unfixable).
    """

    description = "test reviewer that replaces text"

    def __init__(
        self,
        name: str,
        needle: str,
        replacement: str = "",
        *,
        fix: str | None = "patch",
        blocking: bool = True,
        fail_when: str | None = None,
    ) -> None:
        self.name = name  # type: ignore[misc]
        self.blocking = blocking  # type: ignore[misc]
        self.needle = needle
        self.replacement = replacement
        self.fix = fix
        self.fail_when = fail_when
        # What each review saw, kept in a file: reviewers run in processes of their own.
        handle, self._seen_file = tempfile.mkstemp(prefix="reviewkit-seen-", suffix=".jsonl", dir=Path.home())
        os.close(handle)

    @property
    def seen(self) -> list[dict[str, Any]]:
        with open(self._seen_file, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle]

    def review(self, context: ReviewContext) -> Iterator[Finding]:
        if self.fail_when and any(self.fail_when in (context.read(p) or "") for p in context.change.paths):
            raise RuntimeError(f"{self.name} crashed on purpose")
        seen = {
            "app": context.workspace.read_text("app.py") if context.workspace else None,
            "head": context.read("app.py"),
        }
        with open(self._seen_file, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(seen) + "\n")
        for line in context.change.added_lines():
            if self.needle in line.text and line.path.endswith(".py"):
                yield Finding(
                    rule=f"{self.name}/found",
                    severity="high",
                    path=line.path,
                    line=line.number,
                    message=f"replace {self.needle!r}",
                    evidence=line.text,
                )
        for path in context.change.paths:
            old = context.read(path) if path.endswith(".py") else None
            if self.fix is None or old is None or self.needle not in old:
                continue
            if self.fix == "workspace":
                current = context.workspace.read_text(path) or old
                context.workspace.files.write(path, current.replace(self.needle, self.replacement).encode())
            else:
                context.propose_fix(make_patch(path, old, old.replace(self.needle, self.replacement)))


def install_plugin(tmp_path: Path, monkeypatch: Any, needle: str, replacement: str) -> Path:
    """Install a Replacer named 'fixer' as a real entry-point plugin (a dist-info on sys.path and in
    PYTHONPATH, so a ``python -m reviewkit`` child finds it too)."""
    site = tmp_path / "site"
    dist = site / "fixer_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fixer-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[reviewkit]\nfixer = fixer_plugin\n")
    (site / "fixer_plugin.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from fixers import Replacer\nfrom reviewkit import hookimpl\n\n"
        "@hookimpl\ndef register_reviewers(register):\n"
        f"    register(Replacer('fixer', {needle!r}, {replacement!r}))\n"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    importlib.invalidate_caches()
    return site / "fixer_plugin.py"
