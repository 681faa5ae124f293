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

from .assertkeys import Keyer, keyer
from .pyfacts import Mark, call_name, cases, dotted, patches, raises, tolerances
from .subjects import words

# How strongly an assertion pins the result: 3 exact, 2 partial (membership, order, a predicate),
# 1 truthiness or type only, 0 cannot fail.
_UNITTEST_STRENGTH = {
    "assertEqual": 3,
    "assertEquals": 3,
    "assertListEqual": 3,
    "assertDictEqual": 3,
    "assertTupleEqual": 3,
    "assertSetEqual": 3,
    "assertSequenceEqual": 3,
    "assertMultiLineEqual": 3,
    "assertCountEqual": 3,
    "assertIs": 3,
    "assertIsNone": 3,
    "assertAlmostEqual": 3,
    "assertRaises": 3,
    "assertRaisesRegex": 3,
    "assertWarns": 3,
    "assertWarnsRegex": 3,
    "assertRegex": 2,
    "assertIn": 2,
    "assertNotIn": 2,
    "assertGreater": 2,
    "assertGreaterEqual": 2,
    "assertLess": 2,
    "assertLessEqual": 2,
    "assertNotEqual": 2,
    "assertNotAlmostEqual": 2,
    "assertDictContainsSubset": 2,
    "assertIsNot": 1,
    "assertTrue": 1,
    "assertFalse": 1,
    "assertIsNotNone": 1,
    "assertIsInstance": 1,
    "assertNotIsInstance": 1,
}
_COMPARE_STRENGTH = {
    ast.Eq: 3,
    ast.Is: 3,
    ast.NotEq: 2,
    ast.In: 2,
    ast.NotIn: 2,
    ast.Lt: 2,
    ast.LtE: 2,
    ast.Gt: 2,
    ast.GtE: 2,
    ast.IsNot: 1,
}
SKIP_NAMES = frozenset({"skip", "skipif", "xfail", "skipIf", "skipUnless", "expectedFailure"})
_SKIP_CALLS = frozenset({"skip", "xfail", "skipTest", "importorskip"})
_TRIVIAL = frozenset({"", "None", "True", "False", "0", "1", "-1", "2", "self", "result"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Assertion:
    line: int
    text: str
    strength: int
    subject: str | None = None  # ast.dump of what is checked, when it is compared to a literal
    expected: str | None = None  # the literal it is compared to
    weight: int = 1  # how many values it checks
    key: str = ""  # what it checks, however spelled (see assertkeys): equal keys are one check
    words: frozenset[str] = frozenset()  # names and string literals it uses


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
            counts[node.name] = sum(1 for _ in _assertions(node.body))
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
        asserts=tuple(_assertions(body, key)),
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


def _walk_body(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of ``body``, not descending into nested functions or classes (their code is theirs)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


# --- assertions --------------------------------------------------------------------------------------


def _assertions(body: list[ast.stmt], key: Keyer | None = None) -> list[Assertion]:
    found: list[Assertion] = []
    # ``with pytest.raises(...)`` / ``deprecated_call()`` checks what its block does: its words are the block's
    blocks = {id(i.context_expr): n for n in _walk_body(body) if isinstance(n, ast.With) for i in n.items}
    for node in _walk_body(body):
        assertion = _assertion(node)
        if assertion is not None:
            about = blocks.get(id(node), node)
            found.append(replace(assertion, key=key(node), words=words(about)) if key else assertion)
    return _weigh_loops(body, found)


def _assertion(node: ast.AST) -> Assertion | None:
    if isinstance(node, ast.Assert):
        return _assert_stmt(node)
    if isinstance(node, ast.Call):
        name = call_name(node)
        if name.startswith("assert") or name in ("raises", "warns", "deprecated_call", "fail"):
            return _assert_call(node, name)
    return None


def _weigh_loops(body: list[ast.stmt], found: list[Assertion]) -> list[Assertion]:
    """An assertion in ``for x in <literal table>`` checks every row: it weighs as many asserts, so
    that turning repeated asserts into a table loop is not taken for removing them."""
    tables = {
        t.id: n.value
        for n in _walk_body(body)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    rows: dict[int, int] = {}
    for loop in (n for n in _walk_body(body) if isinstance(n, ast.For)):
        size = _rows(loop.iter, tables)
        for inner in ast.walk(loop):
            if size > 1 and hasattr(inner, "lineno"):
                rows[inner.lineno] = max(rows.get(inner.lineno, 1), size)
    return [replace(a, weight=a.weight * rows.get(a.line, 1)) for a in found]


def _rows(node: ast.expr, tables: dict[str, ast.expr]) -> int:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("items", "keys", "values")
    ):
        node = node.func.value
    if isinstance(node, ast.Name) and node.id in tables:
        node = tables[node.id]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return len(node.elts)
    if isinstance(node, ast.Dict):
        return len(node.keys)
    return 1


def _assert_stmt(node: ast.Assert) -> Assertion:
    test = node.test
    subject = expected = None
    if _always_true(test):
        strength = 0
    elif isinstance(test, ast.Compare) and len(test.ops) == 1:
        strength = _COMPARE_STRENGTH.get(type(test.ops[0]), 2)
        if isinstance(test.ops[0], ast.IsNot) and not _is_none(test.comparators[0]):
            strength = 2
        subject, expected = _subject_expected(test.left, test.comparators[0])
    elif isinstance(test, ast.Compare):
        strength = 2
    elif isinstance(test, ast.Call) and call_name(test) in ("isinstance", "hasattr", "callable"):
        strength = 1
    elif (
        isinstance(test, ast.Call)
        and call_name(test) == "all"
        and test.args
        and isinstance(test.args[0], ast.GeneratorExp | ast.ListComp)
        and isinstance(test.args[0].elt, ast.Compare)
    ):
        strength = _COMPARE_STRENGTH.get(type(test.args[0].elt.ops[0]), 2)
    elif isinstance(test, ast.BoolOp):
        # ``a and b`` holds only if both do: as strong as its strongest part; ``a or b`` as its weakest.
        parts = [_assert_stmt(ast.Assert(test=value, lineno=node.lineno)).strength for value in test.values]
        strength = max(parts) if isinstance(test.op, ast.And) else min(parts)
    elif isinstance(test, ast.Call):
        strength = 2
    else:
        strength = 1
    return Assertion(
        line=node.lineno,
        text=ast.unparse(node),
        strength=strength,
        subject=subject,
        expected=expected,
        weight=_weight(test),
    )


def _weight(test: ast.expr) -> int:
    """``assert (a, b) == (1, 2)`` and ``assert a and b`` check two things, as two asserts would."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return sum(_weight(value) for value in test.values)
    if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.Eq):
        sides = [test.left, *test.comparators]
        if all(isinstance(side, ast.Tuple | ast.List) for side in sides):
            return max(min(len(side.elts) for side in sides if isinstance(side, ast.Tuple | ast.List)), 1)
    return 1


def _assert_call(node: ast.Call, name: str) -> Assertion:
    strength = _UNITTEST_STRENGTH.get(name, 3)
    subject = expected = None
    if name in ("assertTrue",) and node.args and _always_true(node.args[0]):
        strength = 0
    if name in ("assertEqual", "assertEquals", "assertListEqual", "assertDictEqual") and len(node.args) >= 2:
        subject, expected = _subject_expected(node.args[0], node.args[1])
    return Assertion(line=node.lineno, text=ast.unparse(node), strength=strength, subject=subject, expected=expected)


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_always_true(value) for value in test.values)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.Is):
        return ast.dump(test.left) == ast.dump(test.comparators[0])
    return False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return not _is_none(node)


def _is_value(node: ast.expr) -> bool:
    """A literal, or a constructor of literals (``Decimal("4.00")``, ``date(2024, 1, 31)``)."""
    if isinstance(node, ast.Call):
        return bool(node.args or node.keywords) and all(
            _is_literal(a) for a in [*node.args, *(k.value for k in node.keywords)]
        )
    return _is_literal(node)


def _subject_expected(left: ast.expr, right: ast.expr) -> tuple[str | None, str | None]:
    """What is checked and the value it must equal; by convention ``actual == expected``."""
    if _is_literal(right) and not _is_literal(left):
        return ast.dump(left), ast.unparse(right)
    if _is_literal(left) and not _is_literal(right):
        return ast.dump(right), ast.unparse(left)
    if _is_value(right):
        return ast.dump(left), ast.unparse(right)
    return None, None


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
        for node in _walk_body(body)
        if isinstance(node, ast.If)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    marks = []
    for node in _walk_body(body):
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
            isinstance(stmt, ast.If) and _always_true(stmt.test) and any(isinstance(s, ast.Return) for s in stmt.body)
        )
        if returns and body[index + 1 :]:
            return Mark(line=stmt.lineno, text=ast.unparse(stmt).splitlines()[0], key="return")
    return None


def _swallows(body: list[ast.stmt]) -> list[Mark]:
    marks = []
    for node in _walk_body(body):
        if isinstance(node, ast.Try) and any(True for _ in _assertions(node.body)):
            for handler in node.handlers:
                if _broad(handler.type) and not _reraises(handler.body):
                    text = "except" + (f" {ast.unparse(handler.type)}" if handler.type else "")
                    marks.append(Mark(line=handler.lineno, text=text, key="except"))
        elif isinstance(node, ast.With | ast.AsyncWith) and any(True for _ in _assertions(node.body)):
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
    for node in _walk_body(body):
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
