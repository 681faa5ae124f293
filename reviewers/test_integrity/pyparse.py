"""What a Python test file holds, read with ``ast``: its tests and, for each, the facts that decide
whether a later version of it checks less (assertions and their strength, skips, early returns,
swallowed failures, mocks, tolerances, expected exceptions, parametrize cases).

pytest's collection rules decide what a test is: ``test*`` functions at module level and ``test*``
methods of ``Test*`` classes or ``unittest.TestCase`` subclasses. A test renamed so that it is no
longer collected therefore disappears here, as it does for pytest.

What only a comparison with another test needs (its body as text and as a fingerprint, each assertion's
key, text and subject, its constants and words: the costly part, see :class:`Details`) is computed from
the tree for the tests the change edits or removes, and for the others (new tests, tests left as they
were) only if a comparison asks, from their own lines parsed again: a change adding thousands of tests
does not pay for comparisons it never makes, and no syntax tree is kept.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from .assertkeys import keyer
from .pyasserts import Assertion, always_true, assertions, children, is_assertion, strengths, walk_body
from .pyfacts import Mark, call_name, cases, dotted, patches, raises, tolerances
from .pynames import words_in

SKIP_NAMES = frozenset({"skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"})
_SKIP_CALLS = frozenset({"skip", "xfail", "skipTest", "importorskip"})
_TRIVIAL = frozenset({"", "None", "True", "False", "0", "1", "-1", "2", "self", "result"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Details:
    """The facts of a test that only a comparison with another test needs."""

    fingerprint: str  # the body without the name: equal bodies mean a move or a rename
    body_source: str
    asserts: tuple[Assertion, ...]
    constants: frozenset[str]
    words: frozenset[str]  # names and string literals it uses (its subjects)


class Later:
    """A test's :class:`Details`, computed once, when first asked for (or given at once)."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], Details] | None = None, value: Details | None = None) -> None:
        self._make, self._value = make, value

    def get(self) -> Details:
        if self._value is None:
            assert self._make is not None
            self._value, self._make = self._make(), None
        return self._value


@dataclass(frozen=True, slots=True, kw_only=True)
class TestFunc:
    qualname: str
    start: int  # first decorator line
    def_line: int
    end: int
    strengths: tuple[int, ...]  # each assertion's strength, in order (its other facts: ``asserts``)
    helper_asserts: int
    skips: tuple[Mark, ...]
    early_return: Mark | None
    swallows: tuple[Mark, ...]
    patches: tuple[Mark, ...]
    raises: tuple[Mark, ...]
    tolerances: tuple[Mark, ...]
    cases: tuple[Mark, ...]
    calls: frozenset[str]
    trivial_body: bool
    unchanged: bool = False  # the other side of the file has this test with the very same lines
    details: Later = field(default_factory=Later, compare=False, repr=False)

    @property
    def asserts(self) -> tuple[Assertion, ...]:
        return self.details.get().asserts

    @property
    def fingerprint(self) -> str:
        return self.details.get().fingerprint

    @property
    def body_source(self) -> str:
        return self.details.get().body_source

    @property
    def constants(self) -> frozenset[str]:
        return self.details.get().constants

    @property
    def words(self) -> frozenset[str]:
        return self.details.get().words

    @property
    def total_asserts(self) -> int:
        return sum(a.weight for a in self.asserts) + self.helper_asserts


@dataclass(frozen=True, slots=True, kw_only=True)
class TestClass:
    qualname: str
    line: int
    end: int
    skips: tuple[Mark, ...]


@dataclass(kw_only=True)
class TestModule:
    tests: dict[str, TestFunc] = field(default_factory=dict)
    classes: dict[str, TestClass] = field(default_factory=dict)
    module_skips: tuple[Mark, ...] = ()
    imported: dict[str, str] = field(default_factory=dict)  # local name -> module it came from
    modules: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()  # names bound in ``try: import ... except ImportError``
    helpers: frozenset[str] = frozenset()  # what the module itself defines besides tests


def parse_tests(source: str) -> TestModule:
    """The tests in ``source``. Raises SyntaxError (or ValueError for NUL bytes) when it does not parse."""
    return tests_in(ast.parse(source))


Function = ast.FunctionDef | ast.AsyncFunctionDef


def test_functions(tree: ast.Module) -> dict[str, tuple[Function, ast.ClassDef | None]]:
    """The functions pytest collects as tests, by qualname (``test_x``, ``TestY::test_z``), with their class."""
    found: dict[str, tuple[Function, ast.ClassDef | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            found[node.name] = (node, None)
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    found[f"{node.name}::{item.name}"] = (item, node)
    return found


def tests_in(
    tree: ast.Module,
    *,
    lines: Sequence[str] | None = None,
    imports: Iterable[ast.Import | ast.ImportFrom] | None = None,
    detailed: Callable[[str], bool] = lambda _qualname: True,
    unchanged: frozenset[str] = frozenset(),
) -> TestModule:
    """The tests in a parsed module.

    :param lines: the lines ``tree`` was parsed from; without them every test's details are computed now.
    :param imports: every import statement of the tree, when the caller has walked it already.
    :param detailed: which tests (by qualname) get their details now; the others when first asked for.
    :param unchanged: the tests whose lines are the same on the other side of the change.
    """
    module = TestModule()
    module.imported, module.modules = _imports(_import_nodes(tree) if imports is None else imports)
    module.optional = _optional_names(tree)
    module.helpers = frozenset(_defined_here(tree))
    helpers = _helper_counts(tree)
    module.module_skips = tuple(_module_skips(tree))
    methods: dict[str, dict[str, int]] = {}
    for qualname, (node, owner) in test_functions(tree).items():
        if owner is not None and owner.name not in module.classes:
            module.classes[owner.name] = TestClass(
                qualname=owner.name,
                line=_start(owner),
                end=owner.end_lineno or owner.lineno,
                skips=tuple(_skip_marks(owner.decorator_list)),
            )
            methods[owner.name] = {**helpers, **{f"self.{k}": v for k, v in _helper_counts(owner).items()}}
        counts = helpers if owner is None else methods[owner.name]
        later = _later(node, module.helpers, lines) if lines is not None and not detailed(qualname) else None
        module.tests[qualname] = _test(node, qualname, module, counts, later, qualname in unchanged)
    return module


def _import_nodes(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def _is_test_class(node: ast.ClassDef) -> bool:
    bases = {dotted(base).rsplit(".", 1)[-1] for base in node.bases}
    if any(name.endswith("TestCase") or name == "IsolatedAsyncioTestCase" for name in bases):
        return True
    has_init = any(isinstance(i, ast.FunctionDef) and i.name == "__init__" for i in node.body)
    return node.name.startswith("Test") and not has_init


def _start(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _imports(nodes: Iterable[ast.Import | ast.ImportFrom]) -> tuple[dict[str, str], frozenset[str]]:
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            modules.add(base)
            for alias in node.names:
                names[alias.asname or alias.name] = base
                modules.add(f"{base}.{alias.name}" if node.module else f"{base}{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.name)
                names[alias.asname or alias.name.split(".")[0]] = alias.name
    return names, frozenset(modules)


def _defined_here(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not node.name.startswith(
            ("test", "Test")
        ):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _optional_names(tree: ast.Module) -> frozenset[str]:
    """Names a module binds in ``try: from x import Y except ImportError: Y = None`` (or ``HAS_X``
    flags): conditions on them gate a test on an optional dependency."""
    names: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.Try):
            continue
        caught = {dotted(h.type).rsplit(".", 1)[-1] for h in node.handlers if h.type is not None}
        if not caught & {"ImportError", "ModuleNotFoundError"}:
            continue
        for inner in [*node.body, *(s for h in node.handlers for s in h.body)]:
            if isinstance(inner, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in inner.names)
            elif isinstance(inner, ast.Assign):
                names.update(t.id for t in inner.targets if isinstance(t, ast.Name))
    return frozenset(names)


def _helper_counts(tree: ast.Module | ast.ClassDef) -> dict[str, int]:
    """Assertions inside helpers (``def check_result``, ``def assert_valid(self, ...)``): a test calling
    one keeps them."""
    counts: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("test"):
            counts[node.name] = sum(map(is_assertion, walk_body(node.body)))
    return {name: count for name, count in counts.items() if count}


def _module_skips(tree: ast.Module) -> list[Mark]:
    marks: list[Mark] = []
    for node in tree.body:
        first, last = node.lineno, node.end_lineno or node.lineno
        targets = node.targets if isinstance(node, ast.Assign) else []
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if "pytestmark" in names and isinstance(node, ast.Assign):
            marks += [replace(mark, first=first, last=last) for mark in _skip_marks([node.value])]
        if "__test__" in names and isinstance(node, ast.Assign):
            marks.append(Mark(line=node.lineno, text=ast.unparse(node), key="__test__", first=first, last=last))
        call = node.value if isinstance(node, ast.Expr) else None
        if isinstance(call, ast.Call) and call_name(call) in ("skip", "SkipTest"):
            marks.append(Mark(line=node.lineno, text=ast.unparse(call), key="skip", first=first, last=last))
        if isinstance(node, ast.Raise) and node.exc is not None and "SkipTest" in ast.unparse(node.exc):
            marks.append(Mark(line=node.lineno, text=ast.unparse(node), key="skip", first=first, last=last))
    return marks


def _test(
    node: Function, qualname: str, module: TestModule, helpers: dict[str, int], later: Later | None, unchanged: bool
) -> TestFunc:
    body = _without_docstring(node.body)
    own = walk_body(body)
    every = walk_all(node)
    calls = [n for n in every if isinstance(n, ast.Call)]
    return TestFunc(
        qualname=qualname,
        start=_start(node),
        def_line=node.lineno,
        end=node.end_lineno or node.lineno,
        strengths=strengths(own),
        helper_asserts=sum(helpers.get(name, 0) for name in _called_names(calls)),
        skips=tuple(_skip_marks(node.decorator_list)) + tuple(_skip_calls(own)),
        early_return=_early_return(body),
        swallows=tuple(_swallows(own)),
        patches=tuple(patches(calls)),
        raises=tuple(raises(calls)),
        tolerances=tuple(tolerances(calls)),
        cases=tuple(cases(node.decorator_list)),
        calls=_calls(calls, module),
        trivial_body=all(isinstance(s, ast.Pass) or _is_ellipsis(s) for s in body),
        unchanged=unchanged,
        details=later or Later(value=_details(node, module.helpers, own, every)),
    )


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[1:]
    return body


def walk_all(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))``, in the same (breadth-first) order, faster, less the shared nodes (see
    :func:`children`)."""
    found = [node]
    index = 0
    while index < len(found):
        found.extend(children(found[index]))
        index += 1
    return found


def _details(node: Function, helpers: frozenset[str], own: list[ast.AST], every: list[ast.AST]) -> Details:
    body = _without_docstring(node.body)
    params = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]} - {"self", "cls"}
    return Details(
        fingerprint=ast.dump(ast.Module(body=node.body, type_ignores=[])) + ast.dump(node.args),
        body_source="\n".join(ast.unparse(stmt) for stmt in body),
        asserts=tuple(assertions(body, keyer(body, helpers | params), own)),
        constants=frozenset(_constants(every)),
        words=words_in(every),
    )


def _later(node: Function, helpers: frozenset[str], lines: Sequence[str]) -> Later:
    """The test's details from its own lines, parsed again when first asked for (no tree is kept)."""
    start, end, def_line = _start(node), node.end_lineno or node.lineno, node.lineno

    def make() -> Details:
        again = reparse(lines, start, end, def_line)
        body = _without_docstring(again.body)
        return _details(again, helpers, walk_body(body), walk_all(again))

    return Later(make)


def reparse(lines: Sequence[str], start: int, end: int, def_line: int) -> Function:
    """The function defined on ``lines[start - 1 : end]``, parsed on its own at its own line numbers (a
    method's lines, indented, under an ``if 1:``)."""
    segment = lines[start - 1 : end]
    indented = segment[0][:1] in (" ", "\t")
    prefix = "\n" * (start - 2) + "if 1:\n" if indented else "\n" * (start - 1)
    tree = ast.parse(prefix + "\n".join(segment))
    scope = tree.body[0].body if indented and isinstance(tree.body[0], ast.If) else tree.body
    for found in scope:
        if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef) and found.lineno == def_line:
            return found
    raise ValueError(f"no function at line {def_line} in lines {start}-{end}")  # the lines were the tree's own


def _is_ellipsis(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is ...


# --- skips, early returns, swallowed failures ----------------------------------------------------------


def _skip_marks(decorators: list[ast.expr]) -> list[Mark]:
    marks = []
    for decorator in decorators:
        for node in ast.walk(decorator):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
            if name in SKIP_NAMES:
                marks.append(
                    Mark(
                        line=getattr(node, "lineno", decorator.lineno),
                        text=ast.unparse(decorator),
                        key=name,
                        first=decorator.lineno,
                        last=decorator.end_lineno or decorator.lineno,
                    )
                )
                break
    return marks


def _skip_calls(own: list[ast.AST]) -> list[Mark]:
    """Skips called in the body (``own``: its nodes); one under ``if CONDITION:`` is read as
    ``skipif(CONDITION)``."""
    found = [node for node in own if _skip_call(node) or _raises_skip(node)]
    if not found:
        return []
    guarded = {
        id(inner): node.test
        for node in own
        if isinstance(node, ast.If)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    marks = []
    for node in found:
        if isinstance(node, ast.Call):
            condition = guarded.get(id(node))
            if condition is not None and call_name(node) != "importorskip":
                text = f"pytest.mark.skipif({ast.unparse(condition)}) -> {ast.unparse(node)}"
                marks.append(Mark(line=node.lineno, text=text, key="skipif"))
            else:
                marks.append(Mark(line=node.lineno, text=ast.unparse(node), key=call_name(node)))
        elif isinstance(node, ast.Raise):
            marks.append(Mark(line=node.lineno, text=ast.unparse(node), key="SkipTest"))
    return marks


def _skip_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and call_name(node) in _SKIP_CALLS and dotted(node.func) != "skip"


def _raises_skip(node: ast.AST) -> bool:
    return isinstance(node, ast.Raise) and node.exc is not None and "SkipTest" in dotted(node.exc)


def _early_return(body: list[ast.stmt]) -> Mark | None:
    """A ``return`` (or ``if True: return``) with test code after it: the rest never runs."""
    for index, stmt in enumerate(body[:-1]):
        returns = isinstance(stmt, ast.Return) or (
            isinstance(stmt, ast.If) and always_true(stmt.test) and any(isinstance(s, ast.Return) for s in stmt.body)
        )
        if returns and body[index + 1 :]:
            return Mark(line=stmt.lineno, text=ast.unparse(stmt).splitlines()[0], key="return")
    return None


def _swallows(own: list[ast.AST]) -> list[Mark]:
    marks = []
    for node in own:
        if isinstance(node, ast.Try) and _asserts_in(node.body):
            for handler in node.handlers:
                if _broad(handler.type) and not _reraises(handler.body):
                    text = "except" + (f" {ast.unparse(handler.type)}" if handler.type else "")
                    marks.append(Mark(line=handler.lineno, text=text, key="except"))
        elif isinstance(node, ast.With | ast.AsyncWith) and _asserts_in(node.body):
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and call_name(expr) == "suppress":
                    marks.append(Mark(line=node.lineno, text=ast.unparse(expr), key="suppress"))
    return marks


def _asserts_in(body: list[ast.stmt]) -> bool:
    return any(map(is_assertion, walk_body(body)))


def _broad(exc: ast.expr | None) -> bool:
    if exc is None:
        return True
    names = [dotted(e) for e in exc.elts] if isinstance(exc, ast.Tuple) else [dotted(exc)]
    return any(n.rsplit(".", 1)[-1] in ("Exception", "BaseException", "AssertionError") for n in names)


def _reraises(body: list[ast.stmt]) -> bool:
    for node in walk_body(body):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call) and call_name(node) in ("fail", "skipTest", "skip", "xfail"):
            return True
    return False


def _calls(calls: list[ast.Call], module: TestModule) -> frozenset[str]:
    """The imported names the test calls (``calls``: every call in it): its units under test."""
    names = set()
    for call in calls:
        func = call.func
        if isinstance(func, ast.Name) and func.id in module.imported:
            names.add(func.id)
        elif isinstance(func, ast.Attribute) and dotted(func.value).split(".")[0] in module.imported:
            names.add(func.attr)
    return frozenset(names)


def _called_names(calls: list[ast.Call]) -> list[str]:
    """Helper calls: ``check(...)`` and ``self.check(...)``."""
    return [
        dotted(f)
        for f in (c.func for c in calls)
        if isinstance(f, ast.Name)
        or (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self")
    ]


def _constants(nodes: list[ast.AST]) -> set[str]:
    found = set()
    for item in nodes:
        if isinstance(item, ast.Constant) and not isinstance(item.value, bool) and item.value is not None:
            text = repr(item.value)
            if text.strip("'\"") not in _TRIVIAL and repr(item.value) not in _TRIVIAL:
                found.add(text)
    return found
