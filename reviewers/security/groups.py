"""The changed Python modules in groups that reach only each other, so that a big change is analysed a group
at a time and no more syntax trees are alive than one group needs.

The rules follow a call into another changed module only through the caller's imports
(:meth:`program.Program.resolve`): the callee's module name, or its last part, is spelt in the caller's
text (``import app.db``, ``from app import db``, ``db.run()``), except a function of a package's
``__init__`` reached by a relative import (``from . import run``). So two modules are put together when
the last part of one's name is a word of the other's text (head or base), and a module with a relative
import is put with the ``__init__`` modules of its packages. This errs towards larger groups: a word in a
comment joins too, which costs memory, never a finding. Within a group the modules keep the change's
order, so a name several modules answer to resolves as it would in the whole program.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from reviewers.security.program import module_name

T = TypeVar("T")

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+\.", re.MULTILINE)


def grouped(items: Sequence[T], paths: Sequence[str], texts: Sequence[str]) -> list[list[T]]:
    """``items`` (one per module, with its repository path and its head and base text joined) in groups
    closed under the imports that can resolve between them, each in the original order."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    by_last: dict[str, list[int]] = {}
    packages: dict[str, list[int]] = {}  # a package's folder -> its __init__ modules
    for index, path in enumerate(paths):
        by_last.setdefault(module_name(path).rpartition(".")[2], []).append(index)
        if path.rpartition("/")[2] in ("__init__.py", "__init__.pyw"):
            packages.setdefault(path.rpartition("/")[0], []).append(index)
    for index, text in enumerate(texts):
        for word in set(_WORD.findall(text)) & by_last.keys():
            for other in by_last[word]:
                join(index, other)
        if _RELATIVE_IMPORT.search(text):
            for folder in _ancestors(paths[index]):
                for other in packages.get(folder, ()):
                    join(index, other)
    groups: dict[int, list[T]] = {}
    for index, item in enumerate(items):
        groups.setdefault(root(index), []).append(item)
    return list(groups.values())


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:end]) for end in range(len(parts), -1, -1)]
