"""What the change removes from production code: the names it defines (functions, classes, methods,
module constants) and the literals it holds (routes, configuration keys, CLI options, enum values).

A test deleted, or a check dropped, in the same change that removes what the test exercised is
maintenance, not a weakening: the test could not run any more. Such findings are notes. Only what no
production file of the change still defines counts as removed (a function moved to another module is
still there), and names too short or too generic to identify a subject (dunders, builtins) never count.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .pairs import FilePair, is_python_source

if TYPE_CHECKING:
    from .pyread import PythonFiles, PythonSide

_GENERIC = frozenset(dir(builtins)) | {"self", "cls", "main", "run", "get", "set", "test", "setup", "teardown"}
_MIN_NAME = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Removed:
    names: frozenset[str] = frozenset()
    literals: frozenset[str] = frozenset()
    definitions: Mapping[str, str] = field(default_factory=dict)  # changed files' module-level names -> source

    def hit(self, words: Iterable[str]) -> str | None:
        """The first of ``words`` (names and string literals a test uses) that the change removed."""
        return next((w for w in sorted(words) if w in self.names or w in self.literals), None)


def removed_subjects(pairs: Sequence[FilePair], files: PythonFiles) -> Removed:
    sources = [p for p in pairs if is_python_source(p.path) or is_python_source(p.old_path)]
    before_names, before_literals = _defined([files.sides(p)[0] for p in sources])
    after_names, after_literals = _defined([files.sides(p)[1] for p in sources])
    names = {n for n in before_names - after_names if len(n) >= _MIN_NAME and not n.startswith("__")}
    definitions: dict[str, str] = {}
    # every changed Python file, tests too: a flag a test helper redefines is not read by its name
    for pair in pairs:
        head = files.sides(pair)[1] if pair.path.endswith(".py") else None
        definitions.update(head.definitions if head is not None else {})
    return Removed(
        names=frozenset(names - _GENERIC),
        literals=frozenset(before_literals - after_literals),
        definitions=definitions,
    )


def _defined(sides: Iterable[PythonSide | None]) -> tuple[set[str], set[str]]:
    names: set[str] = set()
    literals: set[str] = set()
    for side in sides:
        if side is not None:
            names |= side.names
            literals |= side.literals
    return names, literals
