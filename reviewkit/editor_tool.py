"""Anthropic's text-editor tool (view / create / str_replace / insert) and a run-tests tool, bound to
one workspace.

A model-backed fixer's tool-use loop hands every tool call to :meth:`WorkspaceEditor.call` and sends
back the text it returns as the ``tool_result``. Every file operation goes through the workspace's
confined file API (relative paths only, no ``..``, no NUL, no symbolic links followed, no hardlinked
files, ``.git/`` and ``.agents/`` read-only), so a model steered by a hostile diff cannot write
outside the workspace. Problems come back as text the model can read and act on; nothing raises.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reviewkit.errors import ReviewkitError
from reviewkit.report import TestRun
from reviewkit.sandbox import run_sandboxed
from reviewkit.workspace import ConfinedTree, Workspace, WorkspaceError, check_path

EDITOR_TOOL_NAME = "str_replace_based_edit_tool"
EDITOR_TOOL_TYPE = "text_editor_20250728"
RUN_TESTS_TOOL_NAME = "run_tests"
MAX_VIEW_BYTES = 256 * 1024
MAX_LISTED = 400


class WorkspaceEditor:
    """Executes editor and run-tests tool calls inside one workspace directory.

    :param files: the workspace's confined file API (``workspace.files``).
    :param run_tests: runs the configured ``test_command`` in the workspace; None when there is none.
    :param max_calls: the turn budget: calls beyond it are refused (the model is told to finish).
    """

    def __init__(
        self, files: ConfinedTree, *, run_tests: Callable[[], TestRun] | None = None, max_calls: int | None = None
    ) -> None:
        self.files = files
        self.run_tests = run_tests
        self.max_calls = max_calls
        self.calls = 0

    def tools(self) -> list[dict[str, Any]]:
        """The ``tools`` parameter for the Messages API."""
        tools: list[dict[str, Any]] = [{"type": EDITOR_TOOL_TYPE, "name": EDITOR_TOOL_NAME}]
        if self.run_tests is not None:
            tools.append(
                {
                    "name": RUN_TESTS_TOOL_NAME,
                    "description": "Run the project's test command in your workspace; returns the exit code and "
                    "the end of its output.",
                    "input_schema": {"type": "object", "properties": {}, "additionalProperties": False},
                }
            )
        return tools

    def call(self, name: str, tool_input: Mapping[str, Any]) -> str:
        """Execute one tool call and return its ``tool_result`` text; errors start with ``Error:``."""
        self.calls += 1
        if self.max_calls is not None and self.calls > self.max_calls:
            return f"Error: the budget of {self.max_calls} tool calls is spent; stop editing and finish"
        try:
            if name == RUN_TESTS_TOOL_NAME:
                return self._run_tests()
            if name != EDITOR_TOOL_NAME:
                return f"Error: unknown tool {name!r}"
            if not isinstance(tool_input, Mapping):
                return "Error: the tool input must be an object"
            command = tool_input.get("command")
            handler = _COMMANDS.get(command) if isinstance(command, str) else None
            if handler is None:
                return f"Error: unknown command {command!r}; use one of: {', '.join(_COMMANDS)}"
            return handler(self, tool_input)
        except WorkspaceError as exc:
            return f"Error: {exc}"
        except (FileNotFoundError, NotADirectoryError):
            return f"Error: {tool_input.get('path')!r} does not exist"
        except UnicodeDecodeError:
            return f"Error: {tool_input.get('path')!r} is not UTF-8 text"
        except (OSError, ValueError, TypeError) as exc:
            return f"Error: {type(exc).__name__}: {exc}"

    def _view(self, args: Mapping[str, Any]) -> str:
        path = _text(args, "path")
        parts = check_path(path)
        if not parts:
            return self._listing("")
        if any(part.casefold() == ".git" for part in parts):
            # git's own files hold the checkout's credentials (an auth header in .git/config): never shown.
            raise WorkspaceError(f"{path!r}: .git is not readable through the editor")
        info = self.files.lstat(path)
        if info is None:
            raise FileNotFoundError(path)
        if stat.S_ISDIR(info.st_mode):
            return self._listing(path)
        data = self.files.read(path)
        if len(data) > MAX_VIEW_BYTES:
            return f"Error: {path!r} is {len(data)} bytes; view a range of a smaller file"
        lines = data.decode("utf-8").splitlines()
        first, last = _view_range(args.get("view_range"), len(lines))
        return "\n".join(f"{n:6}\t{lines[n - 1]}" for n in range(first, last + 1))

    def _listing(self, path: str, depth: int = 2) -> str:
        entries: list[str] = []

        def walk(prefix: str, level: int) -> None:
            for name, is_dir in self.files.list_dir(prefix or "."):
                if name == ".git" or len(entries) >= MAX_LISTED:
                    continue
                rel = f"{prefix}/{name}" if prefix else name
                entries.append(rel + ("/" if is_dir else ""))
                if is_dir and level < depth:
                    walk(rel, level + 1)

        walk("" if path in (".", "") else path.strip("/"), 1)
        return "\n".join(entries) or "(empty directory)"

    def _create(self, args: Mapping[str, Any]) -> str:
        path, text = _text(args, "path"), _text(args, "file_text", empty=True)
        self.files.write(path, text.encode("utf-8"))
        return f"Created {path}"

    def _str_replace(self, args: Mapping[str, Any]) -> str:
        path, old = _text(args, "path"), _text(args, "old_str")
        new = _text(args, "new_str", empty=True) if "new_str" in args else ""
        content = self.files.read(path).decode("utf-8")
        count = content.count(old)
        if count != 1:
            where = "no" if count == 0 else f"{count}"
            return f"Error: old_str must occur exactly once in {path}; found {where} occurrences"
        self.files.write(path, content.replace(old, new, 1).encode("utf-8"))
        return f"Edited {path}"

    def _insert(self, args: Mapping[str, Any]) -> str:
        path = _text(args, "path")
        text = _text(args, "insert_text" if "insert_text" in args else "new_str", empty=True)
        line = args.get("insert_line")
        content = self.files.read(path).decode("utf-8")
        lines = content.splitlines(keepends=True)
        if not isinstance(line, int) or isinstance(line, bool) or not 0 <= line <= len(lines):
            return f"Error: insert_line must be a whole number from 0 to {len(lines)}"
        if lines and not lines[-1].endswith("\n") and line == len(lines):
            lines[-1] += "\n"
        lines.insert(line, text if text.endswith("\n") else text + "\n")
        self.files.write(path, "".join(lines).encode("utf-8"))
        return f"Inserted into {path} after line {line}"

    def _run_tests(self) -> str:
        if self.run_tests is None:
            return "Error: no test_command is configured for this repository"
        try:
            result = self.run_tests()
        except ReviewkitError as exc:  # e.g. an untrusted change and no sandbox to run its tests in
            return f"Error: the tests could not run: {exc}"
        state = "passed" if result.passed else "failed"
        code = "timed out" if result.exit_code is None else f"exit code {result.exit_code}"
        return f"tests {state} ({code}, {result.duration_s:.1f}s): {result.command}\n{result.output_tail}"


def editor_for(
    workspace: Workspace,
    *,
    test_command: str | None,
    test_timeout_s: float,
    max_calls: int | None = None,
    untrusted: bool = False,
    test_network: bool = True,
    repo: Path | None = None,
) -> WorkspaceEditor:
    """The editor a model-backed fixer uses on ``context.workspace``; ``run_tests`` runs the configured
    ``test_command`` there in the same sandbox as the merge's test gate (reviewkit.sandbox)."""

    def run_tests() -> TestRun:
        assert test_command is not None
        return run_sandboxed(
            test_command,
            workspace.root,
            timeout_s=test_timeout_s,
            network=test_network,
            untrusted=untrusted,
            repo=repo,
        )

    return WorkspaceEditor(workspace.files, run_tests=run_tests if test_command else None, max_calls=max_calls)


_COMMANDS: dict[str, Callable[[WorkspaceEditor, Mapping[str, Any]], str]] = {
    "view": WorkspaceEditor._view,
    "create": WorkspaceEditor._create,
    "str_replace": WorkspaceEditor._str_replace,
    "insert": WorkspaceEditor._insert,
}


def _text(args: Mapping[str, Any], key: str, *, empty: bool = False) -> str:
    value = args.get(key)
    if not isinstance(value, str) or (not empty and not value):
        raise WorkspaceError(f"{key} is required (a string)")
    return value


def _view_range(spec: Any, total: int) -> tuple[int, int]:
    if spec is None:
        return 1, total
    if not (isinstance(spec, list) and len(spec) == 2 and all(isinstance(n, int) for n in spec)):
        raise WorkspaceError("view_range must be [first_line, last_line] (last_line -1 for the end)")
    first, last = spec[0], total if spec[1] == -1 else spec[1]
    if not 1 <= first <= max(last, 1) or last > total:
        raise WorkspaceError(f"view_range {spec} is outside the file's {total} lines")
    return first, last
