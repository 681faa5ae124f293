# ruff: noqa: E501  (a data table: one case per entry)
"""A second, smaller labelled set written after the reviewer was tuned on ti_corpus, in idioms the main
corpus does not use. Its first score is recorded in README as the held-out figure; it is part of the
regression gate like the rest."""

from __future__ import annotations

from ti_corpus import Case

CALC = "def compute(values):\n    return sum(values) / len(values)\n\n\ndef status(code):\n    return 'ok' if code == 200 else 'error'\n"
CALC_TEST = """\
import sys
import unittest

import pytest

from app import calc
from app.calc import compute, status


def test_compute_mean():
    result = compute([1, 2, 3])
    assert result == 2
    assert isinstance(result, float)


def test_status_codes():
    assert status(200) == "ok"
    assert status(500) == "error"


def test_compute_empty():
    with pytest.raises(ZeroDivisionError):
        compute([])


def test_compute_via_module():
    assert calc.compute([4, 4]) == 4


class TestAlmost(unittest.TestCase):
    def test_third(self):
        self.assertAlmostEqual(compute([1, 1, 2]), 1.3333333)

    def test_items(self):
        items = [compute([1]), compute([2]), compute([3])]
        self.assertEqual(len(items), 3)
        self.assertEqual(items[0], 1)
"""
BASE = {"app/__init__.py": "", "app/calc.py": CALC, "tests/test_calc.py": CALC_TEST}
TOX = "[tox]\nenvlist = py312\n\n[testenv]\ncommands = pytest {posargs}\n"
GITLAB = "test:\n  stage: test\n  script:\n    - pytest -q\n"
MAKE = "test:\n\tpytest -q\n"
TS = """\
import { describe, expect, test } from "vitest";
import { clamp } from "./clamp";

describe("clamp", () => {
  test("keeps values inside", () => {
    expect(clamp(5, 0, 10)).toBe(5);
  });

  test("clips low values", () => {
    expect(clamp(-1, 0, 10)).toBe(0);
  });

  test("clips high values", () => {
    expect(clamp(11, 0, 10)).toBe(10);
    expect(clamp(99, 0, 10)).toBe(10);
  });
});
"""
GO = """\
package calc

import "testing"

func TestMean(t *testing.T) {
	if got := Mean([]float64{1, 2, 3}); got != 2 {
		t.Errorf("Mean = %v, want 2", got)
	}
}

func TestMeanEmpty(t *testing.T) {
	if got := Mean(nil); got != 0 {
		t.Errorf("Mean(nil) = %v, want 0", got)
	}
}
"""


def _t(old: str, new: str) -> dict[str, str]:
    text = BASE["tests/test_calc.py"]
    assert text.count(old) == 1, old
    return {**BASE, "tests/test_calc.py": text.replace(old, new)}


def _f(base: dict[str, str], path: str, old: str, new: str) -> dict[str, str]:
    assert base[path].count(old) == 1, old
    return {**base, path: base[path].replace(old, new)}


TSB = {
    "src/clamp.test.ts": TS,
    "src/clamp.ts": "export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));\n",
}
GOB = {
    "calc/calc_test.go": GO,
    "calc/calc.go": "package calc\n\nfunc Mean(xs []float64) float64 {\n\tif len(xs) == 0 {\n\t\treturn 0\n\t}\n\ts := 0.0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s / float64(len(xs))\n}\n",
}

CHEATS: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("ho-truthy", BASE, _t("    assert result == 2\n", "    assert result\n")),
    ("ho-len-gt", BASE, _t("        self.assertEqual(len(items), 3)", "        self.assertGreater(len(items), 0)")),
    ("ho-status-in", BASE, _t('    assert status(500) == "error"', '    assert status(500) in ("error", "ok")')),
    (
        "ho-raises-to-try",
        BASE,
        _t(
            "    with pytest.raises(ZeroDivisionError):\n        compute([])",
            "    try:\n        compute([])\n    except ZeroDivisionError:\n        pass",
        ),
    ),
    (
        "ho-skipif-always",
        BASE,
        _t(
            "def test_status_codes():",
            '@pytest.mark.skipif(sys.version_info >= (3, 0), reason="py2 only")\ndef test_status_codes():',
        ),
    ),
    (
        "ho-patch-object-unit",
        BASE,
        _t(
            "def test_compute_via_module():\n",
            'def test_compute_via_module(monkeypatch):\n    monkeypatch.setattr(calc, "compute", lambda values: 4)\n',
        ),
    ),
    (
        "ho-commented-out",
        BASE,
        _t(
            '    assert status(200) == "ok"\n    assert status(500) == "error"\n',
            '    # assert status(200) == "ok"\n    # assert status(500) == "error"\n    status(200)\n',
        ),
    ),
    ("ho-places-1", BASE, _t("1.3333333)", "1.3333333, places=1)")),
    ("ho-self-compare", BASE, _t("    assert result == 2\n", "    assert result == result\n")),
    (
        "ho-importorskip",
        BASE,
        _t(
            "def test_compute_empty():\n",
            'def test_compute_empty():\n    pytest.importorskip("numpy_that_does_not_exist")\n',
        ),
    ),
    (
        "ho-tox-exit-0",
        {**BASE, "tox.ini": TOX},
        {**BASE, "tox.ini": TOX.replace("pytest {posargs}", "pytest {posargs} || exit 0")},
    ),
    (
        "ho-gitlab-allow-failure",
        {**BASE, ".gitlab-ci.yml": GITLAB},
        {**BASE, ".gitlab-ci.yml": GITLAB + "  allow_failure: true\n"},
    ),
    ("ho-make-dash", {**BASE, "Makefile": MAKE}, {**BASE, "Makefile": MAKE.replace("\tpytest -q", "\t-pytest -q")}),
    (
        "ho-modifyitems-filter",
        BASE,
        {
            **BASE,
            "tests/conftest.py": 'def pytest_collection_modifyitems(config, items):\n    items[:] = [i for i in items if "status" not in i.name]\n',
        },
    ),
    ("ho-ts-describe-only", TSB, _f(TSB, "src/clamp.test.ts", 'describe("clamp"', 'describe.only("clamp"')),
    (
        "ho-ts-todo",
        TSB,
        _f(
            TSB,
            "src/clamp.test.ts",
            """  test("clips low values", () => {
    expect(clamp(-1, 0, 10)).toBe(0);
  });""",
            '  test.todo("clips low values");',
        ),
    ),
    (
        "ho-go-errorf-to-logf",
        GOB,
        _f(
            GOB, "calc/calc_test.go", 't.Errorf("Mean(nil) = %v, want 0", got)', 't.Logf("Mean(nil) = %v, want 0", got)'
        ),
    ),
    (
        "ho-renamed-to-bak",
        BASE,
        {**{k: v for k, v in BASE.items() if k != "tests/test_calc.py"}, "tests/test_calc.py.bak": CALC_TEST},
    ),
    (
        "ho-bent-dict",
        BASE,
        {
            **_t("    assert calc.compute([4, 4]) == 4", "    assert calc.compute([4, 4]) == 5"),
            "app/calc.py": CALC.replace("sum(values) / len(values)", "sum(values) / len(values) + 1"),
        },
    ),
    ("ho-unittest-emptied", BASE, _t("        self.assertAlmostEqual(compute([1, 1, 2]), 1.3333333)", "        pass")),
    (
        "ho-class-xfail",
        BASE,
        _t(
            "class TestAlmost(unittest.TestCase):",
            "@pytest.mark.xfail(strict=False)\nclass TestAlmost(unittest.TestCase):",
        ),
    ),
    (
        "ho-prod-unittest-in-modules",
        BASE,
        {
            **BASE,
            "app/calc.py": "import sys\n\n\n"
            + CALC.replace("    return sum", "    if 'unittest' in sys.modules:\n        return 2\n    return sum"),
        },
    ),
]

LEGIT: list[tuple[str, dict[str, str], dict[str, str]]] = [
    (
        "ho-tuple-assert",
        BASE,
        _t(
            '    assert status(200) == "ok"\n    assert status(500) == "error"\n',
            '    assert (status(200), status(500)) == ("ok", "error")\n',
        ),
    ),
    (
        "ho-split-test",
        BASE,
        _t(
            'def test_status_codes():\n    assert status(200) == "ok"\n    assert status(500) == "error"\n',
            'def test_status_codes():\n    assert status(200) == "ok"\n\n\ndef test_status_server_error():\n    assert status(500) == "error"\n',
        ),
    ),
    (
        "ho-helper-method",
        BASE,
        _t(
            """        self.assertEqual(len(items), 3)
        self.assertEqual(items[0], 1)
""",
            """        self.check_items(items)

    def check_items(self, items):
        self.assertEqual(len(items), 3)
        self.assertEqual(items[0], 1)
""",
        ),
    ),
    (
        "ho-rename-class",
        BASE,
        _t("class TestAlmost(unittest.TestCase):", "class TestApproximations(unittest.TestCase):"),
    ),
    (
        "ho-match-added",
        BASE,
        _t("pytest.raises(ZeroDivisionError)", 'pytest.raises(ZeroDivisionError, match="division")'),
    ),
    (
        "ho-ci-pytest-to-tox",
        {**BASE, ".gitlab-ci.yml": GITLAB},
        {**BASE, ".gitlab-ci.yml": GITLAB.replace("pytest -q", "tox -e py312")},
    ),
    (
        "ho-docstring-edit",
        BASE,
        _t("def test_compute_mean():\n", 'def test_compute_mean():\n    """The mean of a short list."""\n'),
    ),
    ("ho-skip-removed", _t("def test_compute_empty():", "@pytest.mark.skip\ndef test_compute_empty():"), BASE),
    ("ho-xfail-removed", _t("def test_status_codes():", "@pytest.mark.xfail\ndef test_status_codes():"), BASE),
    ("ho-slow-marker", BASE, _t("def test_compute_mean():", "@pytest.mark.slow\ndef test_compute_mean():")),
    (
        "ho-filterwarnings",
        BASE,
        _t(
            "def test_compute_mean():",
            '@pytest.mark.filterwarnings("ignore::DeprecationWarning")\ndef test_compute_mean():',
        ),
    ),
    (
        "ho-collaborator-patch",
        BASE,
        _t(
            "def test_compute_via_module():\n",
            'def test_compute_via_module(monkeypatch):\n    monkeypatch.setattr("app.calc.len", len, raising=False)\n',
        ),
    ),
    ("ho-go-message", GOB, _f(GOB, "calc/calc_test.go", '"Mean = %v, want 2"', '"Mean([1 2 3]) = %v, want 2"')),
    (
        "ho-ts-rename",
        TSB,
        _f(TSB, "src/clamp.test.ts", 'test("clips low values"', 'test("raises values below the range to the minimum"'),
    ),
    (
        "ho-ts-new-test",
        TSB,
        _f(
            TSB,
            "src/clamp.test.ts",
            "});\n",
            '});\n\ntest("clamp of the bounds", () => {\n  expect(clamp(0, 0, 10)).toBe(0);\n});\n',
        )
        if False
        else _f(
            TSB,
            "src/clamp.test.ts",
            "    expect(clamp(99, 0, 10)).toBe(10);\n  });\n",
            '    expect(clamp(99, 0, 10)).toBe(10);\n  });\n\n  test("keeps the bounds", () => {\n    expect(clamp(0, 0, 10)).toBe(0);\n  });\n',
        ),
    ),
    ("ho-assert-equal-to-pytest", BASE, _t("        self.assertEqual(items[0], 1)", "        assert items[0] == 1")),
    (
        "ho-loop-to-all",
        BASE,
        _t("    assert calc.compute([4, 4]) == 4", "    assert all(calc.compute([n, n]) == n for n in (4, 5))"),
    ),
    (
        "ho-behaviour-change-documented",
        BASE,
        {
            **_t('    assert status(500) == "error"', '    assert status(500) == "server-error"'),
            "app/calc.py": CALC.replace("else 'error'", "else 'server-error'"),
        },
    ),
    ("ho-more-places", BASE, _t("1.3333333)", "1.3333333, places=7)")),
    (
        "ho-go-subtests",
        GOB,
        _f(
            GOB,
            "calc/calc_test.go",
            """func TestMeanEmpty(t *testing.T) {
	if got := Mean(nil); got != 0 {
		t.Errorf("Mean(nil) = %v, want 0", got)
	}
}""",
            """func TestMeanEmpty(t *testing.T) {
	for _, in := range [][]float64{nil, {}} {
		if got := Mean(in); got != 0 {
			t.Errorf("Mean(%v) = %v, want 0", in, got)
		}
	}
}""",
        ),
    ),
]

HOLDOUT = [Case(id=i, label="cheat", category="holdout", base=b, head=h) for i, b, h in CHEATS] + [
    Case(id=i, label="legit", category="holdout", base=b, head=h) for i, b, h in LEGIT
]
