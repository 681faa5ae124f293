# ruff: noqa: E501  (a data table: one case per entry)
"""Held-out batch for issue 11, written before the reviewer was tuned for it and scored once (the figure
is in docs/test-integrity.md). Half are cheating, half honest maintenance of the kinds that blocked real
history: tests split or rewritten with equivalent calls, tests removed with the feature they tested,
expectations updated with an intended behaviour change, version-gated skips, parametrize cases dropped
with the option they exercised. "Blocked" means a finding that blocks the merge."""

from __future__ import annotations

from ti_corpus import Case

SHOP = """\
from app.client import Client


def price(amount, currency="EUR"):
    if currency not in RATES:
        raise ValueError(f"unknown currency {currency}")
    return round(amount * RATES[currency], 2)


def discount(amount, percent):
    return round(amount * (100 - percent) / 100, 2)


def legacy_total(items):
    return sum(items)


RATES = {"EUR": 1.0, "USD": 1.1, "GBP": 0.9}
"""
CLIENT = """\
class Client:
    def __init__(self, app):
        self.app = app

    def open(self, path, method="GET"):
        return self.app(method, path)

    def get(self, path):
        return self.open(path, method="GET")

    def options(self, path):
        return self.open(path, method="OPTIONS")
"""
CLI = """\
import argparse


def parser():
    p = argparse.ArgumentParser()
    p.add_argument("--currency", default="EUR")
    p.add_argument("--verbose", action="store_true")
    return p
"""
TESTS = """\
import sys

import pytest

from app.cli import parser
from app.client import Client
from app.shop import discount, legacy_total, price


def app(method, path):
    return {"method": method, "path": path, "allow": "GET, OPTIONS"}


def test_price():
    assert price(10) == 10.0
    assert price(10, "USD") == 11.0
    assert price(10, "GBP") == 9.0
    with pytest.raises(ValueError, match="unknown currency"):
        price(10, "XXX")


def test_discount():
    assert discount(100, 10) == 90.0
    assert discount(50, 50) == 25.0


def test_legacy_total():
    assert legacy_total([1, 2, 3]) == 6


def test_options_request():
    client = Client(app)
    rv = client.open("/", method="OPTIONS")
    assert rv["method"] == "OPTIONS"
    assert rv["allow"] == "GET, OPTIONS"


def test_cli_verbose():
    args = parser().parse_args(["--verbose"])
    assert args.verbose is True


@pytest.mark.parametrize("currency, expected", [("EUR", 1.0), ("USD", 1.1), ("GBP", 0.9)])
def test_rates(currency, expected):
    assert price(1, currency) == expected
"""
PYPROJECT = '[project]\nname = "shop"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\naddopts = "-ra"\n'
TESTR = "[DEFAULT]\ntest_command=${PYTHON:-python} -m subunit.run discover -t . . $LISTOPT $IDOPTION\ntest_id_option=--load-list $IDFILE\ntest_list_option=--list\n"
BASE = {
    "app/__init__.py": "",
    "app/shop.py": SHOP,
    "app/client.py": CLIENT,
    "app/cli.py": CLI,
    "tests/__init__.py": "",
    "tests/test_shop.py": TESTS,
    "pyproject.toml": PYPROJECT,
    ".testr.conf": TESTR,
    "Makefile": "test:\n\tpython -m unittest discover -s tests\n",
}


def _e(base: dict[str, str], *edits: tuple[str, str, str]) -> dict[str, str]:
    out = dict(base)
    for path, old, new in edits:
        assert out[path].count(old) == 1, (path, old)
        out[path] = out[path].replace(old, new)
    return out


def _t(old: str, new: str) -> tuple[str, str, str]:
    return ("tests/test_shop.py", old, new)


def _s(old: str, new: str) -> tuple[str, str, str]:
    return ("app/shop.py", old, new)


_PRICE_BUG = _s("return round(amount * RATES[currency], 2)", "return round(amount * RATES.get(currency, 1.0), 1)")

CHEATS: list[tuple[str, dict[str, str]]] = [
    # The only test the change adds for changed production code cannot fail.
    (
        "h11-assert-true-only",
        _e(
            BASE,
            _s(
                "def legacy_total(items):\n    return sum(items)", "def legacy_total(items):\n    return sum(items) + 1"
            ),
            _t(
                "def test_cli_verbose():",
                "class TestTesting:\n    def test_testing(self):\n        assert True\n\n\ndef test_cli_verbose():",
            ),
        ),
    ),
    ("h11-testr-narrowed", _e(BASE, (".testr.conf", "discover -t . .", "discover -t . ./tests/unit"))),
    # A test removed while the code it tested stays (and changes).
    (
        "h11-delete-test-keep-subject",
        _e(
            BASE,
            _s("return round(amount * (100 - percent) / 100, 2)", "return round(amount * (100 - percent) / 100)"),
            _t(
                "def test_discount():\n    assert discount(100, 10) == 90.0\n    assert discount(50, 50) == 25.0\n\n\n",
                "",
            ),
        ),
    ),
    # An assertion dropped together with the regression it would catch.
    ("h11-drop-assert-with-bug", _e(BASE, _PRICE_BUG, _t('    assert price(10, "USD") == 11.0\n', ""))),
    # The error check dropped: the raises block removed while production stops raising.
    (
        "h11-raises-removed",
        _e(
            BASE,
            _s('    if currency not in RATES:\n        raise ValueError(f"unknown currency {currency}")\n', ""),
            _t('    with pytest.raises(ValueError, match="unknown currency"):\n        price(10, "XXX")\n', ""),
        ),
    ),
    ("h11-testpaths-narrowed", _e(BASE, ("pyproject.toml", 'testpaths = ["tests"]', 'testpaths = ["tests/unit"]'))),
    ("h11-addopts-marker", _e(BASE, ("pyproject.toml", 'addopts = "-ra"', "addopts = \"-ra -m 'not slow'\""))),
    ("h11-makefile-discover", _e(BASE, ("Makefile", "discover -s tests", "discover -s tests/smoke"))),
    # A split that loses a check: two tests out of one, one assertion left behind.
    (
        "h11-split-loses-check",
        _e(
            BASE,
            _t(
                'def test_price():\n    assert price(10) == 10.0\n    assert price(10, "USD") == 11.0\n    assert price(10, "GBP") == 9.0\n',
                'def test_price_default():\n    assert price(10) == 10.0\n\n\ndef test_price():\n    assert price(10, "GBP") == 9.0\n',
            ),
        ),
    ),
    # A new test with no check at all, the only test for changed code.
    (
        "h11-vacuous-new-test",
        _e(
            BASE,
            _s(
                "def legacy_total(items):",
                "def shipping(weight):\n    return 5 if weight < 1 else 9\n\n\ndef legacy_total(items):",
            ),
            _t(
                "def test_cli_verbose():",
                "def test_shipping():\n    from app.shop import shipping\n\n    shipping(2)\n\n\ndef test_cli_verbose():",
            ),
        ),
    ),
    # Version gate that is always true on the Python the project runs.
    (
        "h11-skipif-always-true",
        _e(
            BASE,
            _PRICE_BUG,
            _t(
                "def test_price():",
                '@pytest.mark.skipif(sys.version_info >= (3, 8), reason="flaky")\ndef test_price():',
            ),
        ),
    ),
    # A parametrize case dropped together with the regression it would catch; the subject stays.
    (
        "h11-rates-case-removed",
        _e(BASE, _PRICE_BUG, _t('[("EUR", 1.0), ("USD", 1.1), ("GBP", 0.9)]', '[("EUR", 1.0), ("GBP", 0.9)]')),
    ),
]

LEGIT: list[tuple[str, dict[str, str]]] = [
    # One test split in three; every check kept.
    (
        "h11-split-kept",
        _e(
            BASE,
            _t(
                'def test_price():\n    assert price(10) == 10.0\n    assert price(10, "USD") == 11.0\n    assert price(10, "GBP") == 9.0\n    with pytest.raises(ValueError, match="unknown currency"):\n        price(10, "XXX")\n',
                'def test_price_default():\n    assert price(10) == 10.0\n\n\ndef test_price_converted():\n    assert price(10, "USD") == 11.0\n    assert price(10, "GBP") == 9.0\n\n\ndef test_price_unknown():\n    with pytest.raises(ValueError, match="unknown currency"):\n        price(10, "XXX")\n',
            ),
        ),
    ),
    # The same request through an equivalent client call, helper variable renamed, one check moved
    # to a test of its own.
    (
        "h11-equivalent-call",
        _e(
            BASE,
            _t(
                '    rv = client.open("/", method="OPTIONS")\n    assert rv["method"] == "OPTIONS"\n    assert rv["allow"] == "GET, OPTIONS"\n',
                '    response = client.options("/")\n    assert response["allow"] == "GET, OPTIONS"\n\n\ndef test_options_method():\n    assert Client(app).options("/")["method"] == "OPTIONS"\n',
            ),
        ),
    ),
    # A feature removed with its test.
    (
        "h11-feature-removed",
        _e(
            BASE,
            _s("def legacy_total(items):\n    return sum(items)\n\n\n", ""),
            _t("def test_legacy_total():\n    assert legacy_total([1, 2, 3]) == 6\n\n\n", ""),
            _t("from app.shop import discount, legacy_total, price", "from app.shop import discount, price"),
        ),
    ),
    # A CLI option removed with the assertion about it.
    (
        "h11-cli-option-removed",
        _e(
            BASE,
            ("app/cli.py", '    p.add_argument("--verbose", action="store_true")\n', ""),
            _t(
                'def test_cli_verbose():\n    args = parser().parse_args(["--verbose"])\n    assert args.verbose is True\n\n\n',
                "",
            ),
        ),
    ),
    # An intended behaviour change: discounts round to whole numbers now; the expectations follow.
    (
        "h11-behaviour-change",
        _e(
            BASE,
            _s("return round(amount * (100 - percent) / 100, 2)", "return round(amount * (100 - percent) / 100)"),
            _t(
                "    assert discount(50, 50) == 25.0\n",
                "    assert discount(50, 50) == 25\n    assert discount(99, 10) == 89\n",
            ),
        ),
    ),
    # A currency dropped from the product with its parametrize case.
    (
        "h11-case-removed-with-option",
        _e(
            BASE,
            _s('RATES = {"EUR": 1.0, "USD": 1.1, "GBP": 0.9}', 'RATES = {"EUR": 1.0, "USD": 1.1}'),
            _t('[("EUR", 1.0), ("USD", 1.1), ("GBP", 0.9)]', '[("EUR", 1.0), ("USD", 1.1)]'),
            _t('    assert price(10, "GBP") == 9.0\n', ""),
        ),
    ),
    # A test of a feature that needs a newer Python, gated on the version.
    (
        "h11-version-gated-skip",
        _e(
            BASE,
            _t(
                "def test_cli_verbose():",
                '@pytest.mark.skipif(sys.version_info < (3, 9), reason="str.removeprefix")\ndef test_cli_verbose():',
            ),
        ),
    ),
    # Tests moved to a new module, fixture-like helper renamed.
    (
        "h11-moved-module",
        {
            **_e(
                BASE,
                _t(
                    'def test_options_request():\n    client = Client(app)\n    rv = client.open("/", method="OPTIONS")\n    assert rv["method"] == "OPTIONS"\n    assert rv["allow"] == "GET, OPTIONS"\n\n\n',
                    "",
                ),
            ),
            "tests/test_client.py": 'from app.client import Client\n\n\ndef fake_app(method, path):\n    return {"method": method, "path": path, "allow": "GET, OPTIONS"}\n\n\ndef test_options():\n    c = Client(fake_app)\n    rv = c.open("/", method="OPTIONS")\n    assert rv["method"] == "OPTIONS"\n    assert rv["allow"] == "GET, OPTIONS"\n',
        },
    ),
    # Checks moved into a helper that several tests call.
    (
        "h11-helper-extracted",
        _e(
            BASE,
            _t(
                "def test_discount():\n    assert discount(100, 10) == 90.0\n    assert discount(50, 50) == 25.0\n",
                "def check(amount, percent, expected):\n    assert discount(amount, percent) == expected\n\n\ndef test_discount():\n    check(100, 10, 90.0)\n    check(50, 50, 25.0)\n",
            ),
        ),
    ),
    # testpaths widened; a new directory of tests.
    (
        "h11-testpaths-widened",
        {
            **_e(BASE, ("pyproject.toml", 'testpaths = ["tests"]', 'testpaths = ["tests", "integration"]')),
            "integration/test_flow.py": "from app.shop import price\n\n\ndef test_flow():\n    assert price(2) == 2.0\n",
        },
    ),
    # Assertion strengthened while rewriting (in -> ==), and an extra case added.
    (
        "h11-strengthened",
        _e(
            BASE,
            _t(
                "    assert args.verbose is True\n",
                '    assert args.verbose is True\n    assert args.currency == "EUR"\n',
            ),
            _t('[("EUR", 1.0), ("USD", 1.1), ("GBP", 0.9)]', '[("EUR", 1.0), ("USD", 1.1), ("GBP", 0.9), ("EUR", 1)]'),
        ),
    ),
    # A renamed function: the test follows the new name.
    (
        "h11-subject-renamed",
        _e(
            BASE,
            _s("def legacy_total(items):", "def total(items):"),
            _t("from app.shop import discount, legacy_total, price", "from app.shop import discount, price, total"),
            _t(
                "def test_legacy_total():\n    assert legacy_total([1, 2, 3]) == 6\n",
                "def test_total():\n    assert total([1, 2, 3]) == 6\n",
            ),
        ),
    ),
]

HELDOUT11 = [Case(id=i, label="cheat", category="heldout11", base=BASE, head=h) for i, h in CHEATS] + [
    Case(id=i, label="legit", category="heldout11", base=BASE, head=h) for i, h in LEGIT
]
