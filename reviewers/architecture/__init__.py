"""architecture: import cycles a change creates, declared import contracts it breaks, and private
modules of other packages it reaches into. Evidence is always an import line the change added.

The import graphs of the packages the change touches are built by grimp at the base and at the head; a
cycle is reported only when the head has it and the base had not (inherited cycles are not this change's
doing), with the cycle's path. Contracts come from the repository (import-linter, tach; read from the
base revision when the change is untrusted, so it cannot rewrite them) or from ``contracts`` in the
options. A private module is one with a name starting with ``_`` (``pkg._internal``); importing it from
outside its parent package, where the importer did not before, is reported. Warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePosixPath

from reviewkit import FileStatus, Finding, ProviderError, ReviewContext, Reviewer, Severity, Side, hookimpl

from . import contracts as contract_rules
from .graph import Graph, Import, Package, build, module_of, package_of

_TEST = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")
_IMPORTED = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))")
_CONTRACT_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "name": {"type": "string"},
        "type": {"enum": ["layers", "forbidden", "independence"]},
        "layers": {"type": "array", "items": {"type": "string"}},
        "containers": {"type": "array", "items": {"type": "string"}},
        "source_modules": {"type": "array", "items": {"type": "string"}},
        "forbidden_modules": {"type": "array", "items": {"type": "string"}},
        "modules": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
MODEL_INSTRUCTIONS = """\
You are the architecture reviewer. Cycles and declared contracts were already checked. Look in the added
lines only for module-boundary problems the repository's own structure makes evident: a low-level module
importing a high-level one, business logic added to an entry point or adapter, a new dependency between
packages that had none. Quote the added import or call; name the boundary. Severity low.
Rule ids: architecture/<kebab-case-name>.
"""


class Architecture(Reviewer):
    name = "architecture"
    description = "Import cycles the change creates, import contracts it breaks, private modules it reaches into."
    blocking = False
    trigger = "path:**/*.py"
    options_schema = {
        "properties": {
            "contracts": {"type": "array", "items": _CONTRACT_SCHEMA, "default": []},
            "private_modules": {"type": "boolean", "default": True},
            "model_review": {"type": "boolean", "default": True},
        }
    }

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        changed = _changed_modules(context)
        if not changed or context.repo is None or not (context.change.base and context.change.head):
            if changed and context.repo is None:
                context.note("a patch without a repository: import graphs need both revisions; not checked")
            return []
        packages = sorted({package for package, _, _ in changed.values()}, key=lambda p: (p.root, p.name))
        timeout = min(max(context.remaining_s(), 1.0), 600.0)
        head = build(context.repo, context.change.head, packages, timeout)
        base = build(context.repo, context.change.base, packages, timeout)
        new = [i for i in head.imports if _added(i, changed)]
        findings = _cycles(new, head, base, changed)
        findings += _contracts(context, new, changed)
        if context.options["private_modules"]:
            findings += _private(new, base, changed)
        if context.model is not None and context.options["model_review"]:
            findings += _model_findings(context, changed)
        return findings


Changed = dict[str, tuple[Package, str, frozenset[int]]]  # module -> (package, path, added lines)


def _changed_modules(context: ReviewContext) -> Changed:
    changed: Changed = {}
    for file in context.files:
        if file.status is FileStatus.DELETED or not file.path.endswith(".py"):
            continue
        added = file.added_line_numbers()
        if not added:
            continue
        parents = [str(p) for p in PurePosixPath(file.path).parents if str(p) != "."]
        inits = [f"{d}/__init__.py" for d in parents if context.read(f"{d}/__init__.py") is not None]
        package = package_of(file.path, inits)
        if package is not None:
            changed[module_of(file.path, package)] = (package, file.path, added)
    return changed


def _added(imp: Import, changed: Changed) -> bool:
    entry = changed.get(imp.importer)
    return entry is not None and imp.line in entry[2]


def _cite(imp: Import, changed: Changed, rule: str, message: str) -> Finding:
    _, path, _ = changed[imp.importer]
    return Finding(rule=rule, severity=Severity.LOW, path=path, line=imp.line, message=message, evidence=imp.text)


def _cycles(new: Sequence[Import], head: Graph, base: Graph, changed: Changed) -> list[Finding]:
    found, seen, covered = [], set(), set()
    # A cycle with several new imports is reported once: on the import an existing module gained (a new
    # module importing its neighbours is natural; the old module reaching back is what closes the loop).
    # The order is fixed (the graph's own order follows the hash seed) and a cycle counts as reported once
    # any module on it has been reported: grimp may record ``from app import helpers`` as importing both
    # ``app`` and ``app.helpers``, and the shortest chain back may run through either.
    for imp in sorted(new, key=lambda i: (i.importer not in base.modules, i.importer, i.line, i.imported)):
        back = head.chain(imp.imported, imp.importer)
        if not back or (imp.importer, imp.line) in seen or covered & {imp.importer, *back} - {imp.importer}:
            continue  # no cycle, or one already reported through another of its new imports
        if base.chain(imp.importer, imp.imported) and base.chain(imp.imported, imp.importer):
            continue  # the base had this cycle already
        seen.add((imp.importer, imp.line))
        covered.add(imp.importer)
        cycle = " -> ".join((imp.importer, *back))
        found.append(_cite(imp, changed, "architecture/import-cycle", f"this import closes a cycle: {cycle}"))
    return found


def _contracts(context: ReviewContext, new: Sequence[Import], changed: Changed) -> list[Finding]:
    side = Side.BASE if context.untrusted else Side.HEAD
    declared = contract_rules.read(lambda path: context.read(path, side), context.options["contracts"])
    found = []
    for imp in new:
        for contract in declared:
            why = contract_rules.broken(contract, imp.importer, imp.imported)
            if why:
                message = f"breaks the import contract {contract.name!r}: {why}"
                found.append(_cite(imp, changed, "architecture/contract", message))
                break
    return found


def _private(new: Sequence[Import], base: Graph, changed: Changed) -> list[Finding]:
    before = {(i.importer, _target(i)) for i in base.imports}
    found = []
    for imp in new:
        if _TEST.search(changed[imp.importer][1]):
            continue  # a package's tests may test its internals
        target = _target(imp)
        parts = target.split(".")
        private = next((i for i, part in enumerate(parts) if part.startswith("_") and not part.startswith("__")), None)
        if private is None or private == 0:
            continue
        owner = ".".join(parts[:private])
        if imp.importer == owner or imp.importer.startswith(owner + ".") or (imp.importer, target) in before:
            continue
        message = f"reaches into {target}, a private module of {owner}: use what {owner} exports"
        found.append(_cite(imp, changed, "architecture/private-module", message))
    return found


def _target(imp: Import) -> str:
    """The module the import line names (grimp squashes third-party modules to their package)."""
    match = _IMPORTED.match(imp.text)
    named = (match.group(1) or match.group(2)) if match else ""
    return named if len(named) > len(imp.imported) else imp.imported


def _model_findings(context: ReviewContext, changed: Changed) -> list[Finding]:
    try:
        found = context.model.review_with_prompt(context, instructions=MODEL_INSTRUCTIONS) if context.model else []
    except ProviderError as exc:
        context.note(f"model pass not completed ({exc}); deterministic findings stand")
        return []
    added = {path: lines for _, path, lines in changed.values()}
    return [f for f in found if f.line in added.get(f.path, ())]


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(Architecture())
