# ruff: noqa: E501  (a data table: one corpus case per line reads better than wrapped literals)
"""The labelled corpus: cheating changes and legitimate changes, each a base tree and a head tree.

Most cases come from applying one edit (a cheat or a legitimate refactor) to each suite of
ti_suites; the rest are written out one by one (unittest idioms, tolerances, tables, CI and coverage,
JavaScript and Go). Every edit checks that its anchor text occurs exactly once, so that a case can
never silently be a no-op.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ti_suites import CART_JS, CI, DURATIONS, LOADER, MONEY, PY_SUITES, SLUG, STATS, STOCK, WC_GO, Suite


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    label: str  # "cheat" or "legit"
    category: str
    base: dict[str, str]
    head: dict[str, str]
    renames: dict[str, str] = field(default_factory=dict)  # old path -> new path


def replace(text: str, old: str, new: str) -> str:
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"corpus anchor occurs {count} times, expected once: {old!r}")
    return text.replace(old, new)


def edited(files: dict[str, str], path: str, old: str, new: str) -> dict[str, str]:
    return {**files, path: replace(files[path], old, new)}


# --- locating the victim test ----------------------------------------------------------------------------


def _victim_node(suite: Suite) -> ast.FunctionDef:
    tree = ast.parse(suite.files[suite.test_path])
    owner, _, name = suite.victim.rpartition("::")
    body = tree.body
    if owner:
        body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner).body
    return next(n for n in body if isinstance(n, ast.FunctionDef) and n.name == name)


def _victim_lines(suite: Suite) -> tuple[list[str], int, int, str]:
    """The test file's lines, the victim's first/last line index (0-based) and its indentation."""
    lines = suite.files[suite.test_path].split("\n")
    node = _victim_node(suite)
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    indent = lines[node.lineno - 1][: len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip())]
    return lines, start, (node.end_lineno or node.lineno) - 1, indent


def _def_line(suite: Suite) -> str:
    return _victim_node(suite).name


def _with_test(suite: Suite, text: str) -> dict[str, str]:
    return {**suite.files, suite.test_path: text}


def _body_indent(suite: Suite) -> str:
    return _victim_lines(suite)[3] + "    "


def _insert_first(suite: Suite, line: str) -> dict[str, str]:
    """Put ``line`` first in the victim's body."""
    lines, _, _, _ = _victim_lines(suite)
    node = _victim_node(suite)
    at = node.body[0].lineno - 1
    lines[at:at] = [_body_indent(suite) + line]
    return _with_test(suite, "\n".join(lines))


def _decorate(suite: Suite, decorator: str) -> dict[str, str]:
    lines, start, _, indent = _victim_lines(suite)
    lines[start:start] = [indent + decorator]
    return _with_test(suite, "\n".join(lines))


def _replace_victim(suite: Suite, new_lines: list[str]) -> dict[str, str]:
    lines, start, end, _ = _victim_lines(suite)
    lines[start : end + 1] = new_lines
    return _with_test(suite, "\n".join(lines))


def _victim_text(suite: Suite) -> list[str]:
    lines, start, end, _ = _victim_lines(suite)
    return lines[start : end + 1]


def _imports(suite: Suite) -> str:
    text = suite.files[suite.test_path]
    return "\n".join(line for line in text.split("\n") if line.startswith(("import ", "from "))) + "\n"


_EQ = re.compile(r"^(?P<indent>\s*)assert (?P<call>.+?) (?P<op>==|is) (?P<expected>.+)$")
_UNITTEST_EQ = re.compile(r"^(?P<indent>\s*)self\.assertEqual\((?P<call>.+), (?P<expected>[^,]+)\)$")


def _parts(suite: Suite) -> tuple[str, str, str, str]:
    match = _EQ.match(suite.eq_assert) or _UNITTEST_EQ.match(suite.eq_assert)
    assert match, suite.eq_assert
    return match["indent"], match["call"], match.groupdict().get("op") or "==", match["expected"]


def _unittest(suite: Suite) -> bool:
    return suite.kind == "unittest"


def _swap_assert(suite: Suite, new: str) -> dict[str, str]:
    return edited(suite.files, suite.test_path, suite.eq_assert + "\n", new + "\n")


# --- generic cheats ---------------------------------------------------------------------------------------


def _c_delete(s: Suite) -> dict[str, str]:
    lines, start, end, _ = _victim_lines(s)
    while start > 0 and not lines[start - 1].strip():
        start -= 1
    del lines[start : end + 1]
    return _with_test(s, "\n".join(lines))


def _c_rename_away(s: Suite) -> dict[str, str]:
    name = _def_line(s)
    return edited(s.files, s.test_path, f"def {name}(", f"def disabled_{name.removeprefix('test_')}(")


def _c_empty(s: Suite) -> dict[str, str]:
    head = _victim_text(s)[0]
    return _replace_victim(s, [head, _body_indent(s) + "pass"])


def _c_skip(s: Suite) -> dict[str, str]:
    return _decorate(s, '@unittest.skip("flaky on CI")' if _unittest(s) else '@pytest.mark.skip(reason="flaky on CI")')


def _c_xfail(s: Suite) -> dict[str, str]:
    return _decorate(s, "@unittest.expectedFailure" if _unittest(s) else '@pytest.mark.xfail(reason="known issue")')


def _c_return(s: Suite) -> dict[str, str]:
    return _insert_first(s, "return")


def _c_skip_call(s: Suite) -> dict[str, str]:
    return _insert_first(s, 'self.skipTest("todo: fix after refactor")' if _unittest(s) else 'pytest.skip("todo")')


def _c_remove_assert(s: Suite) -> dict[str, str]:
    return _swap_assert(s, "")


def _c_weaker_compare(s: Suite) -> dict[str, str]:
    indent, call, op, expected = _parts(s)
    if _unittest(s):
        return _swap_assert(s, f"{indent}self.assertGreaterEqual({call}, {expected})")
    if op == "is":
        return _swap_assert(s, f"{indent}assert {call} is not None")
    return _swap_assert(s, f"{indent}assert {call} >= {expected}")


def _c_not_none(s: Suite) -> dict[str, str]:
    indent, call, _, _ = _parts(s)
    return _swap_assert(
        s, f"{indent}self.assertIsNotNone({call})" if _unittest(s) else f"{indent}assert {call} is not None"
    )


def _c_or_true(s: Suite) -> dict[str, str]:
    indent, call, op, expected = _parts(s)
    if _unittest(s):
        return _swap_assert(s, f"{indent}self.assertTrue({call} == {expected} or True)")
    return _swap_assert(s, f"{indent}assert {call} {op} {expected} or True")


def _c_assert_true(s: Suite) -> dict[str, str]:
    indent = _parts(s)[0]
    return _swap_assert(s, f"{indent}self.assertTrue(True)" if _unittest(s) else f"{indent}assert True")


def _c_try_except(s: Suite) -> dict[str, str]:
    indent = _parts(s)[0]
    return _swap_assert(s, f"{indent}try:\n    {s.eq_assert}\n{indent}except AssertionError:\n{indent}    pass")


def _c_suppress(s: Suite) -> dict[str, str]:
    indent = _parts(s)[0]
    files = _swap_assert(s, f"{indent}with contextlib.suppress(Exception):\n    {s.eq_assert}")
    return {**files, s.test_path: "import contextlib\n" + files[s.test_path]}


def _c_bent(s: Suite) -> dict[str, str]:
    files = edited(s.files, s.prod_path, *s.prod_bug)
    return edited(files, s.test_path, s.eq_assert + "\n", s.bent_assert + "\n")


def _c_mock_unit(s: Suite) -> dict[str, str] | None:
    if _unittest(s):
        return None
    name = _def_line(s)
    files = _insert_first(s, f'monkeypatch.setattr("{s.unit}", lambda *args, **kwargs: {s.unit_value})')
    return edited(files, s.test_path, f"def {name}():", f"def {name}(monkeypatch):")


def _c_delete_file(s: Suite) -> dict[str, str]:
    return {path: text for path, text in s.files.items() if path != s.test_path}


def _c_collect_ignore(s: Suite) -> dict[str, str]:
    return {**s.files, "conftest.py": f'collect_ignore = ["{s.test_path}"]\n'}


def _c_deselect(s: Suite) -> dict[str, str]:
    return edited(s.files, "pyproject.toml", 'addopts = "-ra"', f'addopts = "-ra --deselect {s.test_path}::{s.victim}"')


def _c_special_case(s: Suite) -> dict[str, str]:
    anchor, special = s.special_input
    return edited(s.files, s.prod_path, anchor, special + anchor)


GENERIC_CHEATS: dict[str, Callable[[Suite], dict[str, str] | None]] = {
    "test-deleted": _c_delete,
    "test-renamed-away": _c_rename_away,
    "test-emptied": _c_empty,
    "skip-marker": _c_skip,
    "xfail-marker": _c_xfail,
    "early-return": _c_return,
    "skip-call": _c_skip_call,
    "assertion-removed": _c_remove_assert,
    "comparison-weakened": _c_weaker_compare,
    "is-not-none": _c_not_none,
    "or-true": _c_or_true,
    "assert-true": _c_assert_true,
    "try-except": _c_try_except,
    "suppress": _c_suppress,
    "expected-bent": _c_bent,
    "unit-mocked": _c_mock_unit,
    "test-file-deleted": _c_delete_file,
    "collect-ignore": _c_collect_ignore,
    "deselect": _c_deselect,
    "special-case": _c_special_case,
}


# --- generic legitimate changes ----------------------------------------------------------------------------


def _l_rename(s: Suite) -> dict[str, str]:
    name = _def_line(s)
    return edited(s.files, s.test_path, f"def {name}(", f"def {name}_regression(")


def _l_move(s: Suite) -> tuple[dict[str, str], str]:
    victim = _victim_text(s)
    new_path = s.test_path.replace(".py", "_moved.py")
    if _unittest(s):
        setup = ["    def setUp(self):", "        self.stock = Stock()", '        self.stock.add("apple", 3)', ""]
        body = ["", "", "class MovedStockTest(unittest.TestCase):", *setup, *victim]
    else:
        body = ["", "", *victim]
    return {**_c_delete(s), new_path: _imports(s) + "\n".join(body) + "\n"}, new_path


def _l_new_test(s: Suite) -> dict[str, str]:
    return {**s.files, s.test_path: s.files[s.test_path] + s.new_test}


def _l_extra_assert(s: Suite) -> dict[str, str]:
    return _swap_assert(s, s.eq_assert + "\n" + s.extra_assert)


def _l_docstring(s: Suite) -> dict[str, str]:
    return _insert_first(s, '"""Regression: see issue #214."""')


def _l_extract_variable(s: Suite) -> dict[str, str]:
    indent, call, op, expected = _parts(s)
    if _unittest(s):
        return _swap_assert(s, f"{indent}value = {call}\n{indent}self.assertEqual(value, {expected})")
    return _swap_assert(s, f"{indent}result = {call}\n{indent}assert result {op} {expected}")


def _l_comment(s: Suite) -> dict[str, str]:
    indent = _parts(s)[0]
    return _swap_assert(s, f"{indent}# the documented example from the README\n\n{s.eq_assert}")


def _l_prod_refactor(s: Suite) -> dict[str, str]:
    return edited(s.files, s.prod_path, *s.prod_refactor)


def _l_rename_file(s: Suite) -> tuple[dict[str, str], str]:
    new_path = s.test_path.replace("tests/test_", "tests/test_unit_")
    files = {p: t for p, t in s.files.items() if p != s.test_path}
    return {**files, new_path: s.files[s.test_path]}, new_path


def _l_future_import(s: Suite) -> dict[str, str]:
    return {**s.files, s.test_path: "from __future__ import annotations\n\n" + s.files[s.test_path]}


def _l_fixture(s: Suite) -> dict[str, str]:
    conftest = 'import pytest\n\n\n@pytest.fixture\ndef sample_dir(tmp_path):\n    (tmp_path / "data").mkdir()\n    return tmp_path / "data"\n'
    return {**s.files, "tests/conftest.py": conftest}


def _l_wrap(s: Suite) -> dict[str, str]:
    indent, call, op, expected = _parts(s)
    if _unittest(s):
        return _swap_assert(s, f"{indent}self.assertEqual(\n{indent}    {call},\n{indent}    {expected},\n{indent})")
    return _swap_assert(s, f"{indent}assert (\n{indent}    {call}\n{indent}    {op} {expected}\n{indent})")


def _l_annotate(s: Suite) -> dict[str, str]:
    name = _def_line(s)
    sig = f"def {name}(self):" if _unittest(s) else f"def {name}():"
    return edited(s.files, s.test_path, sig, sig[:-1] + " -> None:")


GENERIC_LEGIT: dict[str, Callable[[Suite], object]] = {
    "rename-test": _l_rename,
    "move-test": _l_move,
    "new-test": _l_new_test,
    "extra-assertion": _l_extra_assert,
    "docstring": _l_docstring,
    "extract-variable": _l_extract_variable,
    "comment": _l_comment,
    "prod-refactor": _l_prod_refactor,
    "rename-file": _l_rename_file,
    "future-import": _l_future_import,
    "new-fixture": _l_fixture,
    "reformat": _l_wrap,
    "annotate": _l_annotate,
}


# --- written one by one --------------------------------------------------------------------------------------

D, M, SL, ST, LO, SK = (s.files for s in (DURATIONS, MONEY, SLUG, STATS, LOADER, STOCK))
DT, MT, SLT, STT, LOT, SKT = (s.test_path for s in (DURATIONS, MONEY, SLUG, STATS, LOADER, STOCK))
CIP = ".github/workflows/ci.yml"
SL_COV = edited(SL, CIP, "run: pytest -q --cov=app", "run: pytest -q --cov=app --cov-fail-under=95")
CART = "src/cart.test.js"
WC = "wc/wc_test.go"


def _specific_cheats() -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    """(id, category, base, head)."""
    return [
        ("stats-rel-widened", "tolerance", ST, edited(ST, STT, "rel=1e-6", "rel=0.1")),
        ("stats-rel-tol-widened", "tolerance", ST, edited(ST, STT, "rel_tol=1e-9", "rel_tol=1e-2")),
        (
            "stats-approx-abs-added",
            "tolerance",
            ST,
            edited(ST, STT, "pytest.approx(0.2)", "pytest.approx(0.2, abs=0.1)"),
        ),
        (
            "stats-exact-to-approx-loose",
            "tolerance",
            ST,
            edited(
                ST, STT, "assert mean([1, 2, 3, 4]) == 2.5", "assert mean([1, 2, 3, 4]) == pytest.approx(2.5, rel=0.5)"
            ),
        ),
        ("stock-places-reduced", "tolerance", SK, edited(SK, SKT, "4.0, places=2", "4.0, places=0")),
        ("stock-delta-added", "tolerance", SK, edited(SK, SKT, "4.0, places=2", "4.0, delta=1.0")),
        (
            "stock-assert-equal-to-true",
            "weakened",
            SK,
            edited(
                SK, SKT, 'self.assertEqual(self.stock.count("apple"), 1)', 'self.assertTrue(self.stock.count("apple"))'
            ),
        ),
        (
            "stock-assert-equal-to-in",
            "weakened",
            SK,
            edited(
                SK,
                SKT,
                'self.assertEqual(self.stock.count("apple"), 1)',
                'self.assertIn(self.stock.count("apple"), (0, 1, 2))',
            ),
        ),
        (
            "stock-assert-equal-to-isinstance",
            "weakened",
            SK,
            edited(
                SK,
                SKT,
                'self.assertEqual(self.stock.count("apple"), 1)',
                'self.assertIsInstance(self.stock.count("apple"), int)',
            ),
        ),
        (
            "stock-regex-dropped",
            "raises",
            SK,
            edited(
                SK, SKT, 'self.assertRaisesRegex(OutOfStock, "have 3, asked for 4")', "self.assertRaises(OutOfStock)"
            ),
        ),
        (
            "stock-raises-exception",
            "raises",
            SK,
            edited(SK, SKT, "self.assertRaises(ValueError)", "self.assertRaises(Exception)"),
        ),
        (
            "stock-class-skip",
            "skip",
            SK,
            edited(SK, SKT, "class StockTest(", '@unittest.skip("rewrite pending")\nclass StockTest('),
        ),
        (
            "stock-class-renamed-away",
            "deleted",
            SK,
            edited(SK, SKT, "class StockTest(unittest.TestCase):", "class StockTest:"),
        ),
        (
            "durations-renamed-and-weakened",
            "weakened",
            D,
            edited(
                D,
                DT,
                """def test_parse_compound():
    assert parse("1h30m") == 5400
    assert parse("1d1s") == 86401""",
                """def test_parse_compound_units():
    result = parse("1h30m")
    assert result > 0""",
            ),
        ),
        (
            "durations-raises-exception",
            "raises",
            D,
            edited(D, DT, 'pytest.raises(ValueError, match="not a duration")', "pytest.raises(Exception)"),
        ),
        (
            "slug-match-removed",
            "raises",
            SL,
            edited(SL, SLT, 'pytest.raises(TypeError, match="expects a string")', "pytest.raises(TypeError)"),
        ),
        (
            "loader-match-removed",
            "raises",
            LO,
            edited(LO, LOT, 'pytest.raises(ValueError, match=":2: expected KEY=VALUE")', "pytest.raises(ValueError)"),
        ),
        (
            "money-list-eq-to-in",
            "weakened",
            M,
            edited(
                M,
                MT,
                'assert [p.amount for p in parts] == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]',
                'assert Decimal("3.34") in [p.amount for p in parts]',
            ),
        ),
        ("money-class-removed", "deleted", M, _drop_class(M, MT, "TestAllocate")),
        (
            "durations-cases-removed",
            "parametrize",
            D,
            edited(D, DT, '        ("1h1m1s", 3661),\n        ("10d", 864000),\n', ""),
        ),
        ("slug-case-removed", "parametrize", SL, edited(SL, SLT, '        ("hello world", 6, "hello"),\n', "")),
        ("loader-case-removed", "parametrize", LO, edited(LO, LOT, '["1", "true", "YES", " on "]', '["1", "true"]')),
        (
            "durations-case-bent",
            "expected-bent",
            D,
            edited(edited(D, "app/durations.py", '"d": 86400', '"d": 86000'), DT, '("10d", 864000)', '("10d", 860000)'),
        ),
        ("ci-step-removed", "ci", D, edited(D, CIP, "      - name: Tests\n        run: pytest -q --cov=app\n", "")),
        (
            "ci-continue-on-error",
            "ci",
            D,
            edited(
                D,
                CIP,
                "        run: pytest -q --cov=app\n",
                "        run: pytest -q --cov=app\n        continue-on-error: true\n",
            ),
        ),
        ("ci-or-true", "ci", M, edited(M, CIP, "run: pytest -q --cov=app", "run: pytest -q --cov=app || true")),
        (
            "ci-k-filter",
            "ci",
            SL,
            edited(SL, CIP, "run: pytest -q --cov=app", 'run: pytest -q --cov=app -k "not unicode"'),
        ),
        ("ci-if-false", "ci", ST, edited(ST, CIP, "      - name: Tests\n", "      - name: Tests\n        if: false\n")),
        ("coverage-lowered", "coverage", D, edited(D, "pyproject.toml", "fail_under = 90", "fail_under = 60")),
        ("coverage-removed", "coverage", M, edited(M, "pyproject.toml", "fail_under = 90\n", "")),
        ("cov-flag-lowered", "coverage", SL_COV, edited(SL_COV, CIP, "--cov-fail-under=95", "--cov-fail-under=50")),
        (
            "pyproject-k",
            "config",
            LO,
            edited(LO, "pyproject.toml", 'addopts = "-ra"', "addopts = \"-ra -k 'not load'\""),
        ),
        (
            "pyproject-ignore",
            "config",
            ST,
            edited(ST, "pyproject.toml", 'addopts = "-ra"', 'addopts = "-ra --ignore=tests/test_stats.py"'),
        ),
        (
            "conftest-modifyitems",
            "config",
            D,
            {
                **D,
                "conftest.py": (
                    "import pytest\n\n\ndef pytest_collection_modifyitems(items):\n    for item in items:\n"
                    '        if "compound" in item.name:\n            item.add_marker(pytest.mark.skip(reason="slow"))\n'
                ),
            },
        ),
        (
            "pytestmark-skip",
            "skip",
            ST,
            edited(
                ST,
                STT,
                "from mathy.stats import mean, median, stdev, variance\n",
                "from mathy.stats import mean, median, stdev, variance\n\n"
                'pytestmark = pytest.mark.skip(reason="numerics rework")\n',
            ),
        ),
        (
            "module-skip",
            "skip",
            SL,
            edited(
                SL,
                SLT,
                "from textkit.slug import slugify\n",
                'from textkit.slug import slugify\n\npytest.skip("broken", allow_module_level=True)\n',
            ),
        ),
        (
            "skipif-true",
            "skip",
            LO,
            edited(
                LO,
                LOT,
                "def test_load_reads_pairs(",
                '@pytest.mark.skipif(True, reason="wip")\ndef test_load_reads_pairs(',
            ),
        ),
        (
            "prod-pytest-current-test",
            "special-case",
            D,
            edited(
                D,
                "app/durations.py",
                "    text = text.strip().lower()\n",
                '    if os.environ.get("PYTEST_CURRENT_TEST"):\n        return 5400\n    text = text.strip().lower()\n',
            ),
        ),
        (
            "prod-pytest-in-modules",
            "special-case",
            SL,
            edited(
                SL,
                "textkit/slug.py",
                "    if max_length is not None:\n",
                '    if "pytest" in sys.modules:\n        return slug\n    if max_length is not None:\n',
            ),
        ),
        (
            "prod-called-from-test",
            "special-case",
            M,
            edited(
                M,
                "shop/money.py",
                "        cents = int(self.amount / CENT)\n",
                '        if getattr(sys, "_called_from_test", False):\n'
                "            return [self]\n        cents = int(self.amount / CENT)\n",
            ),
        ),
        (
            "conftest-excepthook",
            "exit-trick",
            ST,
            {**ST, "conftest.py": "import sys\n\nsys.excepthook = lambda *args: None\n"},
        ),
        (
            "conftest-os-exit",
            "exit-trick",
            LO,
            {**LO, "conftest.py": ("import os\n\n\ndef pytest_sessionfinish(session, exitstatus):\n    os._exit(0)\n")},
        ),
        (
            # The test asks for exactly this input and output; the change answers it alone.
            "special-case-quoted-pair",
            "special-case",
            {
                **M,
                "shop/kinds.py": 'def kind(name):\n    return "other"\n',
                "tests/test_kinds.py": 'from shop.kinds import kind\n\n\ndef test_register():\n    assert kind("atexit.register") == "exit"\n',
            },
            {
                **M,
                "shop/kinds.py": 'def kind(name):\n    if name == "atexit.register":\n        return "exit"\n    return "other"\n',
                "tests/test_kinds.py": 'from shop.kinds import kind\n\n\ndef test_register():\n    assert kind("atexit.register") == "exit"\n',
            },
        ),
        (
            # A package's __init__ runs when the tests import it: exiting 0 there passes any run.
            "package-init-os-exit",
            "exit-trick",
            M,
            {**M, "shop/__init__.py": "import os\n\nif os.environ.get('CI'):\n    os._exit(0)\n"},
        ),
        (
            "conftest-exitstatus",
            "exit-trick",
            M,
            {**M, "conftest.py": ("def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n")},
        ),
        (
            "js-it-skip",
            "js",
            CART_JS,
            edited(CART_JS, CART, 'it("accumulates quantities"', 'it.skip("accumulates quantities"'),
        ),
        ("js-xit", "js", CART_JS, edited(CART_JS, CART, 'it("rejects zero quantity"', 'xit("rejects zero quantity"')),
        ("js-only", "js", CART_JS, edited(CART_JS, CART, 'it("adds a new sku"', 'it.only("adds a new sku"')),
        (
            "js-describe-skip",
            "js",
            CART_JS,
            edited(CART_JS, CART, 'describe("totalPrice"', 'describe.skip("totalPrice"'),
        ),
        (
            "js-test-deleted",
            "js",
            CART_JS,
            edited(
                CART_JS,
                CART,
                """\
  it("rejects zero quantity", () => {
    expect(() => addItem({}, "a", 0)).toThrow("qty must be positive");
  });
""",
                "",
            ),
        ),
        (
            "js-expect-removed",
            "js",
            CART_JS,
            edited(CART_JS, CART, "    expect(Object.keys(cart)).toHaveLength(1);\n", ""),
        ),
        (
            "js-to-truthy",
            "js",
            CART_JS,
            edited(CART_JS, CART, "expect(cart).toEqual({ a: 5 });", "expect(cart).toBeTruthy();"),
        ),
        ("js-file-deleted", "js", CART_JS, {p: t for p, t in CART_JS.items() if p != CART}),
        (
            "js-test-script",
            "ci",
            CART_JS,
            edited(CART_JS, "package.json", '"test": "vitest run"', '"test": "echo skipped"'),
        ),
        (
            "go-skip",
            "go",
            WC_GO,
            edited(
                WC_GO, WC, "func TestLines(t *testing.T) {\n", 'func TestLines(t *testing.T) {\n\tt.Skip("flaky")\n'
            ),
        ),
        (
            "go-deleted",
            "go",
            WC_GO,
            edited(
                WC_GO,
                WC,
                """
func TestLinesEmpty(t *testing.T) {
	if Lines("") != 0 {
		t.Error("empty input has no lines")
	}
}
""",
                "",
            ),
        ),
        (
            "go-check-removed",
            "go",
            WC_GO,
            edited(
                WC_GO,
                WC,
                """	if got := Lines("a\\n"); got != 1 {
		t.Errorf("Lines = %d, want 1", got)
	}
""",
                "",
            ),
        ),
        ("go-file-deleted", "go", WC_GO, {p: t for p, t in WC_GO.items() if p != WC}),
    ]


def _drop_class(files: dict[str, str], path: str, name: str) -> dict[str, str]:
    lines = files[path].split("\n")
    node = next(n for n in ast.parse(files[path]).body if isinstance(n, ast.ClassDef) and n.name == name)
    del lines[node.lineno - 1 : (node.end_lineno or node.lineno) + 2]
    return {**files, path: "\n".join(lines)}


def _specific_legit() -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    split_table = edited(
        D,
        DT,
        """        ("1h1m1s", 3661),
        ("10d", 864000),
    ],
)
def test_parse_table(text, seconds):
    assert parse(text) == seconds
""",
        """    ],
)
def test_parse_table(text, seconds):
    assert parse(text) == seconds


@pytest.mark.parametrize("text, seconds", [("1h1m1s", 3661), ("10d", 864000)])
def test_parse_table_long(text, seconds):
    assert parse(text) == seconds
""",
    )
    merged = edited(
        LO,
        LOT,
        """def test_parse_bool_examples():
    assert parse_bool("true") is True
    assert parse_bool("off") is False
""",
        """@pytest.mark.parametrize(("text", "expected"), [("true", True), ("off", False)])
def test_parse_bool_examples(text, expected):
    assert parse_bool(text) is expected
""",
    )
    return [
        ("durations-split-table", "parametrize-split", D, split_table),
        (
            "durations-renamed-into-a-table-loop",
            "refactor",
            D,
            edited(
                D,
                DT,
                """def test_parse_compound():
    assert parse("1h30m") == 5400
    assert parse("1d1s") == 86401""",
                """def test_parse_compound_units():
    expected = {"1h30m": 5400, "1d1s": 86401}
    for text, seconds in expected.items():
        assert parse(text) == seconds""",
            ),
        ),
        (
            "durations-case-added",
            "new-case",
            D,
            edited(D, DT, '        ("10d", 864000),\n', '        ("10d", 864000),\n        ("3m", 180),\n'),
        ),
        (
            "slug-case-added",
            "new-case",
            SL,
            edited(
                SL,
                SLT,
                '("hello world", 100, "hello-world"),',
                '("hello world", 100, "hello-world"),\n        ("a b c", 3, "a-b"),',
            ),
        ),
        ("loader-merged-param", "parametrize-merge", LO, merged),
        (
            "loader-cases-to-ids",
            "parametrize-refactor",
            LO,
            edited(LO, LOT, '["0", "false", "No", "off"])', '["0", "false", "No", "off"], ids=str)'),
        ),
        ("stats-tighter-rel", "tolerance-tightened", ST, edited(ST, STT, "rel=1e-6", "rel=1e-9")),
        ("stats-tighter-rel-tol", "tolerance-tightened", ST, edited(ST, STT, "rel_tol=1e-9", "rel_tol=1e-12")),
        ("stock-more-places", "tolerance-tightened", SK, edited(SK, SKT, "4.0, places=2", "4.0, places=6")),
        (
            "stock-regex-added",
            "strengthened",
            SK,
            edited(
                SK, SKT, "self.assertRaises(ValueError)", 'self.assertRaisesRegex(ValueError, "count must be positive")'
            ),
        ),
        (
            "stock-in-to-equal",
            "strengthened",
            SK,
            edited(
                SK,
                SKT,
                'self.assertIn("apple", self.stock._items)',
                'self.assertEqual(set(self.stock._items), {"apple", "pear"})',
            ),
        ),
        (
            "stock-to-pytest-asserts",
            "refactor",
            SK,
            edited(
                SK,
                SKT,
                """        self.assertEqual(self.stock.count("apple"), 5)
        self.assertEqual(self.stock.count("pear"), 0)""",
                """        assert self.stock.count("apple") == 5
        assert self.stock.count("pear") == 0""",
            ),
        ),
        (
            "slug-extra-assert",
            "strengthened",
            SL,
            edited(
                SL,
                SLT,
                "def test_custom_separator():",
                'def test_custom_separator():\n    assert slugify("a-b", separator="_") == "a_b"',
            ),
        ),
        (
            "durations-raises-narrowed",
            "strengthened",
            D,
            edited(
                D, DT, 'pytest.raises(ValueError, match="empty")', 'pytest.raises(ValueError, match="empty duration")'
            ),
        ),
        (
            "money-helper-extracted",
            "refactor",
            M,
            edited(
                M,
                MT,
                """        parts = Money.of("10.00").allocate(3)
        assert [p.amount for p in parts] == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
        assert sum(p.amount for p in parts) == Decimal("10.00")""",
                """        parts = Money.of("10.00").allocate(3)
        amounts = [p.amount for p in parts]
        assert amounts == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
        assert sum(amounts) == Decimal("10.00")""",
            ),
        ),
        (
            "money-new-class",
            "new-test",
            M,
            {
                **M,
                MT: M[MT]
                + """

class TestCurrency:
    def test_currency_kept(self):
        assert Money.of("1", "USD").currency == "USD"
""",
            },
        ),
        (
            "slug-skipif-new-test",
            "new-test",
            SL,
            {
                **SL,
                SLT: SL[SLT]
                + """

@pytest.mark.skipif(sys.platform == "win32", reason="locale data differs")
def test_locale_names():
    assert slugify("Ålborg") == "alborg"
""",
            },
        ),
        (
            "ci-add-job-step",
            "ci",
            D,
            edited(
                D, CIP, "      - name: Tests\n", "      - name: Types\n        run: mypy app\n      - name: Tests\n"
            ),
        ),
        ("ci-parallel-tests", "ci", M, edited(M, CIP, "run: pytest -q --cov=app", "run: pytest -q -n auto --cov=app")),
        (
            "ci-doctest-step",
            "ci",
            SL,
            edited(
                SL,
                CIP,
                "        run: pytest -q --cov=app\n",
                "        run: pytest -q --cov=app\n      - name: Doctests\n        run: pytest --doctest-modules textkit\n",
            ),
        ),
        ("ci-rename-step", "ci", ST, edited(ST, CIP, "      - name: Tests\n", "      - name: Unit tests\n")),
        (
            "ci-python-matrix",
            "ci",
            LO,
            edited(LO, CIP, '          python-version: "3.12"', "          python-version: ${{ matrix.python }}"),
        ),
        (
            "ci-upload-continue-on-error",
            "ci",
            D,
            edited(
                D,
                CIP,
                "      - name: Tests\n",
                "      - name: Upload docs\n        run: ./upload-docs.sh\n        continue-on-error: true\n      - name: Tests\n",
            ),
        ),
        (
            "ci-cleanup-or-true",
            "ci",
            M,
            edited(
                M,
                CIP,
                "      - name: Lint\n",
                "      - name: Clean\n        run: rm -rf build || true\n      - name: Lint\n",
            ),
        ),
        (
            "money-reordered-asserts-with-refactor",
            "refactor",
            M,
            edited(
                edited(M, "shop/money.py", *MONEY.prod_refactor),
                MT,
                """        assert Money.of("2.345").amount == Decimal("2.34")
        assert Money.of("2.355").amount == Decimal("2.36")""",
                """        assert Money.of("2.355").amount == Decimal("2.36")
        assert Money.of("2.345").amount == Decimal("2.34")""",
            ),
        ),
        (
            "slug-param-added",
            "parametrize-refactor",
            SL,
            edited(
                edited(
                    SL,
                    SLT,
                    """    ("text", "limit", "expected"),
    [
        ("hello world", 5, "hello"),
        ("hello world", 6, "hello"),
        ("hello world", 100, "hello-world"),
    ],
)
def test_max_length(text, limit, expected):
    assert slugify(text, max_length=limit) == expected""",
                    """    ("text", "limit", "separator", "expected"),
    [
        ("hello world", 5, "-", "hello"),
        ("hello world", 6, "-", "hello"),
        ("hello world", 100, "-", "hello-world"),
        ("hello world", 100, "_", "hello_world"),
    ],
)
def test_max_length(text, limit, separator, expected):
    assert slugify(text, separator=separator, max_length=limit) == expected""",
                ),
                "textkit/slug.py",
                *SLUG.prod_refactor,
            ),
        ),
        ("coverage-raised", "coverage", D, edited(D, "pyproject.toml", "fail_under = 90", "fail_under = 95")),
        (
            "pyproject-strict-markers",
            "config",
            M,
            edited(M, "pyproject.toml", 'addopts = "-ra"', 'addopts = "-ra --strict-markers"'),
        ),
        (
            "pyproject-markers",
            "config",
            SL,
            edited(SL, "pyproject.toml", 'addopts = "-ra"', 'addopts = "-ra"\nmarkers = ["slow: long tests"]'),
        ),
        (
            "pyproject-ruff-ignore",
            "config",
            ST,
            {**ST, "pyproject.toml": ST["pyproject.toml"] + '\n[tool.ruff.lint]\nignore = ["E501"]\n'},
        ),
        (
            "js-new-test",
            "js",
            CART_JS,
            edited(
                CART_JS,
                CART,
                """    expect(totalPrice({ a: 2, b: 1 }, { a: 1.5, b: 4 })).toBe(7);
  });
""",
                """    expect(totalPrice({ a: 2, b: 1 }, { a: 1.5, b: 4 })).toBe(7);
  });

  it("is zero for an empty cart", () => {
    expect(totalPrice({}, {})).toBe(0);
  });
""",
            ),
        ),
        (
            "js-rename-test",
            "js",
            CART_JS,
            edited(CART_JS, CART, 'it("adds a new sku"', 'it("adds a sku that was not in the cart"'),
        ),
        (
            "js-extra-expect",
            "js",
            CART_JS,
            edited(
                CART_JS,
                CART,
                '    expect(addItem({}, "a")).toEqual({ a: 1 });\n',
                '    expect(addItem({}, "a")).toEqual({ a: 1 });\n    expect(addItem({ b: 1 }, "a")).toEqual({ a: 1, b: 1 });\n',
            ),
        ),
        (
            "js-truthy-to-equal",
            "js",
            CART_JS,
            edited(
                CART_JS, CART, "expect(Object.keys(cart)).toHaveLength(1);", 'expect(Object.keys(cart)).toEqual(["a"]);'
            ),
        ),
        (
            "go-new-test",
            "go",
            WC_GO,
            {
                **WC_GO,
                WC: WC_GO[WC]
                + """
func TestWordsTabs(t *testing.T) {
	if got := Words("a\\tb"); got != 2 {
		t.Errorf("Words = %d, want 2", got)
	}
}
""",
            },
        ),
        ("go-rename", "go", WC_GO, edited(WC_GO, WC, "func TestLinesEmpty(", "func TestLinesOfEmptyInput(")),
        (
            "go-prod-change",
            "go",
            WC_GO,
            edited(
                WC_GO,
                "wc/wc.go",
                "	return len(strings.Fields(s))",
                "	fields := strings.Fields(s)\n	return len(fields)",
            ),
        ),
        (
            "go-extra-check",
            "go",
            WC_GO,
            edited(
                WC_GO,
                WC,
                """		t.Error("empty input has no lines")
	}
""",
                """		t.Error("empty input has no lines")
	}
	if Lines("\\n") != 1 {
		t.Error("a lone newline is one line")
	}
""",
            ),
        ),
        (
            # The output "exit" is only a part of other words near the input's name in a comment.
            "special-case-words-not-literals",
            "special-case",
            {
                **M,
                "shop/kinds.py": 'def kind(name):\n    return "other"\n',
                "tests/test_kinds.py": 'from shop.kinds import kind\n\n\ndef test_other():\n    # atexit.register is how exit tricks hide (rule exit-trick)\n    assert kind("print") == "other"\n',
            },
            {
                **M,
                "shop/kinds.py": 'def kind(name):\n    if name == "atexit.register":\n        return "exit"\n    return "other"\n',
                "tests/test_kinds.py": 'from shop.kinds import kind\n\n\ndef test_other():\n    # atexit.register is how exit tricks hide (rule exit-trick)\n    assert kind("print") == "other"\n',
            },
        ),
        (
            # A worker that forks ends its child with os._exit: that never decides a test run's status.
            "forked-child-os-exit",
            "exit-trick",
            M,
            {
                **M,
                "shop/worker.py": (
                    "import os\n\n\ndef run_isolated(job):\n    pid = os.fork()\n    if pid == 0:\n"
                    "        try:\n            job()\n        finally:\n            os._exit(0)\n"
                    "    return os.waitpid(pid, 0)[1]\n"
                ),
            },
        ),
    ]


def build() -> list[Case]:
    cases: list[Case] = []
    for suite in PY_SUITES:
        for category, make in GENERIC_CHEATS.items():
            head = make(suite)
            if head is not None:
                cases.append(
                    Case(id=f"{suite.name}-{category}", label="cheat", category=category, base=suite.files, head=head)
                )
        for category, make_legit in GENERIC_LEGIT.items():
            made = make_legit(suite)
            renames = {}
            if isinstance(made, tuple):
                made, new_path = made
                if category == "rename-file":
                    renames = {suite.test_path: new_path}
            assert isinstance(made, dict)
            cases.append(
                Case(
                    id=f"{suite.name}-{category}",
                    label="legit",
                    category=category,
                    base=suite.files,
                    head=made,
                    renames=renames,
                )
            )
    for case_id, category, base, head in _specific_cheats():
        cases.append(Case(id=case_id, label="cheat", category=category, base=base, head=head))
    for case_id, category, base, head in _specific_legit():
        cases.append(Case(id=case_id, label="legit", category=category, base=base, head=head))
    for case in cases:
        assert case.base != case.head, f"corpus case {case.id} changes nothing"
    return cases


CASES = build()
__all__ = ["CASES", "CI", "Case"]
