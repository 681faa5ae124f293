"""Output formats. A Reporter turns a Report into text; plugins add more through ``register_reporters``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from reviewkit.hookspecs import hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from reviewkit.report import Report


class Reporter:
    """Base class of output formats.

    :cvar name: the ``--format`` value.
    :cvar description: one line for ``--help``.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def render(self, report: Report, *, color: bool = False) -> str:
        """The whole output for ``report``; ``color`` is True only for a terminal without NO_COLOR."""
        raise NotImplementedError


def builtin_reporters() -> list[Reporter]:
    """reviewkit's own formats: text, json, sarif, markdown, github, rdjson."""
    from reviewkit.reporters.github import GithubReporter
    from reviewkit.reporters.json import JsonReporter
    from reviewkit.reporters.markdown import MarkdownReporter
    from reviewkit.reporters.rdjson import RdjsonReporter
    from reviewkit.reporters.sarif import SarifReporter
    from reviewkit.reporters.text import TextReporter

    return [TextReporter(), JsonReporter(), SarifReporter(), MarkdownReporter(), GithubReporter(), RdjsonReporter()]


@hookimpl
def register_reporters(register: Callable[[Reporter], None]) -> None:
    for reporter in builtin_reporters():
        register(reporter)
