"""The built-in output formats, registered as a core plugin through ``register_reporters``.

The Reporter base class is in reviewkit.reporter (public as ``reviewkit.Reporter``); the formats here
import it from there, never from this package, so the package and its modules do not import each other.
"""

from __future__ import annotations

from collections.abc import Callable

from reviewkit.hookspecs import hookimpl
from reviewkit.reporter import Reporter


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
