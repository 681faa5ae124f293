"""What a Python test file holds, read with ``ast``: its tests and, for each, the facts that decide
whether a later version of it checks less (assertions and their strength, skips, early returns,
swallowed failures, mocks, tolerances, expected exceptions, parametrize cases).

pytest's collection rules decide what a test is: ``test*`` functions at module level and ``test*``
methods of ``Test*`` classes or ``unittest.TestCase`` subclasses. A test renamed so that it is no
longer collected therefore disappears here, as it does for pytest.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from .assertkeys import keyer
from .pyasserts import Assertion, always_true, assertions, walk_body
from .pyfacts import Mark, call_name, cases, dotted, patches, raises, tolerances
from .subjects import words

SKIP_NAMES = frozenset({"skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"})
_SKIP_CALLS = frozenset({"skip", "xfail", "skipTest", "importorskip"})
_TRIVIAL = frozenset({"", "None", "True", "False", "0", "1", "-1", "2", "self", "result"})


@dataclass(frozen=True, slots=True, kw_only=True)
class TestFunc:
    qualname: str
    start: int  # first decorator line
    def_line: int
    end: int
    fingerprint: str  # the body without the name: equal bodies mean a move or a rename
    body_source: str
    asserts: tuple[Assertion, ...]
    helper_asserts: int
    skips: tuple[Mark, ...]
    early_return: Mark | None
    swallows: tuple[Mark, ...]
    patches: tuple[Mark, ...]
    raises: tuple[Mark, ...]
    tolerances: tuple[Mark, ...]
    cases: tuple[Mark, ...]
    calls: frozenset[str]
    constants: frozenset[str]
    trivial_body: bool
    words: frozenset[str] = frozenset()  # names and string literals it uses (its subjects)

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


def tests_in(tree: ast.Module) -> TestModule:
    """The tests in a parsed module."""
    module = TestModule()
    module.imported, module.modules = _imports(tree)
    module.optional = _optional_names(tree)
    module.helpers = frozenset(_defined_here(tree))
    helpers = _helper_counts(tree)
    module.module_skips = tuple(_module_skips(tree))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            module.tests[node.name] = _test(node, node.name, module, helpers)
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            module.classes[node.name] = TestClass(
                qualname=node.name,
                line=_start(node),
                end=node.end_lineno or node.lineno,
                skips=tuple(_skip_marks(node.decorator_list)),
            )
            methods = {**helpers, **{f"self.{k}": v for k, v in _helper_counts(node).items()}}
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    qualname = f"{node.name}::{item.name}"
                    module.tests[qualname] = _test(item, qualname, module, methods)
    return module


def _is_test_class(node: ast.ClassDef) -> bool:
    bases = {dotted(base).rsplit(".", 1)[-1] for base in node.bases}
    if any(name.endswith("TestCase") or name == "IsolatedAsyncioTestCase" for name in bases):
        return True
    has_init = any(isinstance(i, ast.FunctionDef) and i.name == "__init__" for i in node.body)
    return node.name.startswith("Test") and not has_init


def _start(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _imports(tree: ast.Module) -> tuple[dict[str, str], frozenset[str]]:
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
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
            counts[node.name] = sum(1 for _ in assertions(node.body))
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
    node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, module: TestModule, helpers: dict[str, int]
) -> TestFunc:
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    calls = _calls(node, module)
    params = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]} - {"self", "cls"}
    key = keyer(body, module.helpers | params)
    return TestFunc(
        qualname=qualname,
        start=_start(node),
        def_line=node.lineno,
        end=node.end_lineno or node.lineno,
        fingerprint=ast.dump(ast.Module(body=node.body, type_ignores=[])) + ast.dump(node.args),
        body_source="\n".join(ast.unparse(stmt) for stmt in body),
        asserts=tuple(assertions(body, key)),
        helper_asserts=sum(helpers.get(name, 0) for name in _called_names(node)),
        skips=tuple(_skip_marks(node.decorator_list)) + tuple(_skip_calls(body)),
        early_return=_early_return(body),
        swallows=tuple(_swallows(body)),
        patches=tuple(patches(node)),
        raises=tuple(raises(node)),
        tolerances=tuple(tolerances(node)),
        cases=tuple(cases(node.decorator_list)),
        calls=calls,
        constants=frozenset(_constants(node)),
        trivial_body=all(isinstance(s, ast.Pass) or _is_ellipsis(s) for s in body),
        words=words(node),
    )


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


def _skip_calls(body: list[ast.stmt]) -> list[Mark]:
    """Skips called in the body; one under ``if CONDITION:`` is read as ``skipif(CONDITION)``."""
    guarded = {
        id(inner): node.test
        for node in walk_body(body)
        if isinstance(node, ast.If)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    marks = []
    for node in walk_body(body):
        if isinstance(node, ast.Call) and call_name(node) in _SKIP_CALLS and dotted(node.func) != "skip":
            condition = guarded.get(id(node))
            if condition is not None and call_name(node) != "importorskip":
                text = f"pytest.mark.skipif({ast.unparse(condition)}) -> {ast.unparse(node)}"
                marks.append(Mark(line=node.lineno, text=text, key="skipif"))
            else:
                marks.append(Mark(line=node.lineno, text=ast.unparse(node), key=call_name(node)))
        elif isinstance(node, ast.Raise) and node.exc is not None and "SkipTest" in dotted(node.exc):
            marks.append(Mark(line=node.lineno, text=ast.unparse(node), key="SkipTest"))
    return marks


def _early_return(body: list[ast.stmt]) -> Mark | None:
    """A ``return`` (or ``if True: return``) with test code after it: the rest never runs."""
    for index, stmt in enumerate(body[:-1]):
        returns = isinstance(stmt, ast.Return) or (
            isinstance(stmt, ast.If) and always_true(stmt.test) and any(isinstance(s, ast.Return) for s in stmt.body)
        )
        if returns and body[index + 1 :]:
            return Mark(line=stmt.lineno, text=ast.unparse(stmt).splitlines()[0], key="return")
    return None


def _swallows(body: list[ast.stmt]) -> list[Mark]:
    marks = []
    for node in walk_body(body):
        if isinstance(node, ast.Try) and any(True for _ in assertions(node.body)):
            for handler in node.handlers:
                if _broad(handler.type) and not _reraises(handler.body):
                    text = "except" + (f" {ast.unparse(handler.type)}" if handler.type else "")
                    marks.append(Mark(line=handler.lineno, text=text, key="except"))
        elif isinstance(node, ast.With | ast.AsyncWith) and any(True for _ in assertions(node.body)):
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and call_name(expr) == "suppress":
                    marks.append(Mark(line=node.lineno, text=ast.unparse(expr), key="suppress"))
    return marks


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


def _calls(node: ast.FunctionDef | ast.AsyncFunctionDef, module: TestModule) -> frozenset[str]:
    """The imported names the test calls: its units under test."""
    names = set()
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Name) and func.id in module.imported:
            names.add(func.id)
        elif isinstance(func, ast.Attribute) and dotted(func.value).split(".")[0] in module.imported:
            names.add(func.attr)
    return frozenset(names)


def _called_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Helper calls: ``check(...)`` and ``self.check(...)``."""
    calls = [c.func for c in ast.walk(node) if isinstance(c, ast.Call)]
    return [
        dotted(f)
        for f in calls
        if isinstance(f, ast.Name)
        or (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self")
    ]


def _constants(node: ast.AST) -> set[str]:
    found = set()
    for item in ast.walk(node):
        if isinstance(item, ast.Constant) and not isinstance(item.value, bool) and item.value is not None:
            text = repr(item.value)
            if text.strip("'\"") not in _TRIVIAL and repr(item.value) not in _TRIVIAL:
                found.add(text)
    return found
