"""The Reporter base class: an output format turns a finished Report into text.

Built-in formats live in reviewkit.reporters; plugins add more through the ``register_reporters`` hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
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
