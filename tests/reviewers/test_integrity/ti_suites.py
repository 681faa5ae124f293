"""Small but realistic projects (production code, its tests, config and CI) that the labelled corpus
edits. Each suite names the anchors its generic edits use: a victim test, one exact assertion, the unit
the tests call, a literal input/output pair, and a production change to pair with edited expectations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PYPROJECT = """\
[project]
name = "demo"
version = "1.0"

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-ra"

[tool.coverage.report]
fail_under = 90
show_missing = true
"""

CI = """\
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -e '.[test]'
      - name: Lint
        run: ruff check .
      - name: Tests
        run: pytest -q --cov=app
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Suite:
    name: str
    files: dict[str, str]
    test_path: str
    prod_path: str
    victim: str  # a test function (module level, no parameters) with at least two assertions
    eq_assert: str  # one line of the victim: "    assert CALL == EXPECTED"
    unit: str  # dotted target of the function the victim calls
    unit_value: str  # what a mock of it would return
    special_input: tuple[str, str]  # (a production line, the special case to put before it)
    prod_bug: tuple[str, str]  # a production edit that changes the victim's result ...
    bent_assert: str  # ... and the victim's eq_assert bent to that new result
    prod_refactor: tuple[str, str]  # a behaviour-preserving production edit
    new_test: str  # a legitimate new test to append
    extra_assert: str  # a legitimate extra line of checks for the victim (after eq_assert)
    kind: str = "pytest"
    extra: dict[str, str] = field(default_factory=dict)


DURATIONS = Suite(
    name="durations",
    files={
        "app/__init__.py": "",
        "app/durations.py": '''\
"""Parse human durations such as "1h30m" into seconds."""

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\\d+)([smhd])")


def parse(text: str) -> int:
    """Seconds in ``text``; raises ValueError when it is not a duration."""
    text = text.strip().lower()
    if not text:
        raise ValueError("empty duration")
    parts = _PART.findall(text)
    if "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def format_seconds(seconds: int) -> str:
    if seconds < 0:
        raise ValueError("negative duration")
    out = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNITS[unit])
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"
''',
        "tests/test_durations.py": """\
import pytest

from app.durations import format_seconds, parse


def test_parse_minutes():
    assert parse("5m") == 300
    assert parse(" 5M ") == 300


def test_parse_compound():
    assert parse("1h30m") == 5400
    assert parse("1d1s") == 86401


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("1s", 1),
        ("2h", 7200),
        ("1h1m1s", 3661),
        ("10d", 864000),
    ],
)
def test_parse_table(text, seconds):
    assert parse(text) == seconds


def test_parse_rejects_garbage():
    with pytest.raises(ValueError, match="not a duration"):
        parse("5 minutes")


def test_parse_rejects_empty():
    with pytest.raises(ValueError, match="empty"):
        parse("   ")


def test_format_round_trip():
    for seconds in (1, 59, 61, 3600, 90061):
        assert parse(format_seconds(seconds)) == seconds


def test_format_zero():
    assert format_seconds(0) == "0s"
""",
        "pyproject.toml": PYPROJECT,
        ".github/workflows/ci.yml": CI,
    },
    test_path="tests/test_durations.py",
    prod_path="app/durations.py",
    victim="test_parse_compound",
    eq_assert='    assert parse("1h30m") == 5400',
    unit="app.durations.parse",
    unit_value="5400",
    special_input=("    text = text.strip().lower()\n", '    if text == "1h30m":\n        return 5400\n'),
    prod_bug=('"h": 3600', '"h": 3000'),
    bent_assert='    assert parse("1h30m") == 4800',
    prod_refactor=(
        "    return sum(int(n) * _UNITS[u] for n, u in parts)",
        "    total = sum(int(n) * _UNITS[u] for n, u in parts)\n    return total",
    ),
    new_test='\n\ndef test_parse_days_and_hours():\n    assert parse("1d2h") == 93600\n',
    extra_assert='    assert parse("90m") == parse("1h30m")',
)

MONEY = Suite(
    name="money",
    files={
        "shop/__init__.py": "",
        "shop/money.py": """\
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: str, currency: str = "EUR") -> Money:
        return cls(Decimal(amount).quantize(CENT, ROUND_HALF_EVEN), currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

    def allocate(self, parts: int) -> list[Money]:
        if parts <= 0:
            raise ValueError("parts must be positive")
        cents = int(self.amount / CENT)
        share, extra = divmod(cents, parts)
        return [Money(CENT * (share + (1 if i < extra else 0)), self.currency) for i in range(parts)]


def total(prices: list[Money]) -> Money:
    if not prices:
        return Money.of("0")
    result = prices[0]
    for price in prices[1:]:
        result = result + price
    return result
""",
        "tests/test_money.py": """\
from decimal import Decimal

import pytest

from shop.money import Money, total


class TestMoney:
    def test_of_rounds_half_even(self):
        assert Money.of("2.345").amount == Decimal("2.34")
        assert Money.of("2.355").amount == Decimal("2.36")

    def test_add_same_currency(self):
        assert (Money.of("1.10") + Money.of("2.20")).amount == Decimal("3.30")

    def test_add_other_currency_fails(self):
        with pytest.raises(ValueError, match="cannot add USD"):
            Money.of("1") + Money.of("1", "USD")


class TestAllocate:
    def test_allocate_spreads_cents(self):
        parts = Money.of("10.00").allocate(3)
        assert [p.amount for p in parts] == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
        assert sum(p.amount for p in parts) == Decimal("10.00")

    def test_allocate_rejects_zero(self):
        with pytest.raises(ValueError):
            Money.of("1").allocate(0)


def test_total_of_prices():
    prices = [Money.of("1.25"), Money.of("2.50"), Money.of("0.25")]
    assert total(prices).amount == Decimal("4.00")
    assert total(prices).currency == "EUR"


def test_total_of_nothing():
    assert total([]) == Money.of("0")
""",
        "pyproject.toml": PYPROJECT,
        ".github/workflows/ci.yml": CI,
    },
    test_path="tests/test_money.py",
    prod_path="shop/money.py",
    victim="test_total_of_prices",
    eq_assert='    assert total(prices).amount == Decimal("4.00")',
    unit="shop.money.total",
    unit_value='Money.of("4.00")',
    special_input=(
        "    if not prices:\n",
        '    if len(prices) == 3 and prices[0].amount == Decimal("1.25"):\n        return Money.of("4.00")\n',
    ),
    prod_bug=(
        "    result = prices[0]\n    for price in prices[1:]:",
        "    result = prices[0]\n    for price in prices[2:]:",
    ),
    bent_assert='    assert total(prices).amount == Decimal("2.75")',
    prod_refactor=('        return Money.of("0")', '        return Money.of("0.00")'),
    new_test='\n\ndef test_total_single_price():\n    assert total([Money.of("9.99")]).amount == Decimal("9.99")\n',
    extra_assert="    assert len(prices) == 3",
)

SLUG = Suite(
    name="slug",
    files={
        "textkit/__init__.py": "",
        "textkit/slug.py": '''\
import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str, separator: str = "-", max_length: int | None = None) -> str:
    """A URL-safe slug: ASCII, lowercase, words joined by ``separator``."""
    if not isinstance(text, str):
        raise TypeError("slugify expects a string")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_WORD.sub(separator, ascii_text.lower()).strip(separator)
    if max_length is not None:
        slug = slug[:max_length].rstrip(separator)
    return slug
''',
        "tests/test_slug.py": """\
import pytest

from textkit.slug import slugify


def test_basic_words():
    assert slugify("Hello World") == "hello-world"
    assert slugify("  many   spaces  ") == "many-spaces"


def test_unicode_is_transliterated():
    assert slugify("Crème brûlée") == "creme-brulee"
    assert slugify("Ærøskøbing") == "rskbing"


def test_custom_separator():
    assert slugify("a b c", separator="_") == "a_b_c"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("hello world", 5, "hello"),
        ("hello world", 6, "hello"),
        ("hello world", 100, "hello-world"),
    ],
)
def test_max_length(text, limit, expected):
    assert slugify(text, max_length=limit) == expected


def test_rejects_bytes():
    with pytest.raises(TypeError, match="expects a string"):
        slugify(b"bytes")
""",
        "pyproject.toml": PYPROJECT,
        ".github/workflows/ci.yml": CI,
    },
    test_path="tests/test_slug.py",
    prod_path="textkit/slug.py",
    victim="test_unicode_is_transliterated",
    eq_assert='    assert slugify("Crème brûlée") == "creme-brulee"',
    unit="textkit.slug.slugify",
    unit_value='"creme-brulee"',
    special_input=(
        '    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()\n',
        '    if text == "Crème brûlée":\n        return "creme-brulee"\n',
    ),
    prod_bug=("ascii_text.lower()", "ascii_text"),
    bent_assert='    assert slugify("Crème brûlée") == "Creme-brulee"',
    prod_refactor=("    return slug\n", "    return str(slug)\n"),
    new_test='\n\ndef test_digits_survive():\n    assert slugify("Route 66") == "route-66"\n',
    extra_assert='    assert slugify("Crème") == "creme"',
)

STATS = Suite(
    name="stats",
    files={
        "mathy/__init__.py": "",
        "mathy/stats.py": """\
import math
from collections.abc import Sequence


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def variance(values: Sequence[float]) -> float:
    if len(values) < 2:
        raise ValueError("variance needs two values")
    centre = mean(values)
    return math.fsum((v - centre) ** 2 for v in values) / (len(values) - 1)


def stdev(values: Sequence[float]) -> float:
    return math.sqrt(variance(values))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
""",
        "tests/test_stats.py": """\
import math

import pytest

from mathy.stats import mean, median, stdev, variance


def test_mean_of_floats():
    assert mean([0.1, 0.2, 0.3]) == pytest.approx(0.2)
    assert mean([1, 2, 3, 4]) == 2.5


def test_variance_sample():
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(4.571428, rel=1e-6)
    assert math.isclose(stdev([2, 4, 4, 4, 5, 5, 7, 9]), 2.138089935, rel_tol=1e-9)


def test_median_even_and_odd():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_mean_rejects_empty():
    with pytest.raises(ValueError, match="no values"):
        mean([])


def test_variance_needs_two():
    with pytest.raises(ValueError, match="two values"):
        variance([1.0])
""",
        "pyproject.toml": PYPROJECT,
        ".github/workflows/ci.yml": CI,
    },
    test_path="tests/test_stats.py",
    prod_path="mathy/stats.py",
    victim="test_median_even_and_odd",
    eq_assert="    assert median([4, 1, 3, 2]) == 2.5",
    unit="mathy.stats.median",
    unit_value="2.5",
    special_input=("    ordered = sorted(values)\n", "    if list(values) == [4, 1, 3, 2]:\n        return 2.5\n"),
    prod_bug=("    return (ordered[middle - 1] + ordered[middle]) / 2", "    return ordered[middle]"),
    bent_assert="    assert median([4, 1, 3, 2]) == 3",
    prod_refactor=("    middle = len(ordered) // 2", "    middle = int(len(ordered) / 2)"),
    new_test="\n\ndef test_median_single():\n    assert median([7.5]) == 7.5\n",
    extra_assert="    assert median([5, 5]) == 5",
)

LOADER = Suite(
    name="loader",
    files={
        "cfg/__init__.py": "",
        "cfg/loader.py": '''\
"""Read KEY=VALUE settings files with typed getters."""

from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def load(path: Path) -> dict[str, str]:
    settings = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"{path}:{number}: expected KEY=VALUE")
        key, value = line.split("=", 1)
        settings[key.strip()] = value.strip()
    return settings
''',
        "tests/test_loader.py": """\
import pytest

from cfg.loader import load, parse_bool


@pytest.mark.parametrize("text", ["1", "true", "YES", " on "])
def test_parse_bool_true(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["0", "false", "No", "off"])
def test_parse_bool_false(text):
    assert parse_bool(text) is False


def test_parse_bool_rejects():
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool("maybe")


def test_load_reads_pairs(tmp_path):
    path = tmp_path / "app.env"
    path.write_text("# comment\\nHOST = example.org\\nPORT=8080\\n\\n")
    settings = load(path)
    assert settings == {"HOST": "example.org", "PORT": "8080"}
    assert list(settings) == ["HOST", "PORT"]


def test_load_reports_line(tmp_path):
    path = tmp_path / "bad.env"
    path.write_text("A=1\\nbroken\\n")
    with pytest.raises(ValueError, match=":2: expected KEY=VALUE"):
        load(path)


def test_parse_bool_examples():
    assert parse_bool("true") is True
    assert parse_bool("off") is False
""",
        "pyproject.toml": PYPROJECT,
        ".github/workflows/ci.yml": CI,
    },
    test_path="tests/test_loader.py",
    prod_path="cfg/loader.py",
    victim="test_parse_bool_examples",
    eq_assert='    assert parse_bool("true") is True',
    unit="cfg.loader.parse_bool",
    unit_value="True",
    special_input=(
        "    settings = {}\n",
        '    if path.name == "app.env":\n        return {"HOST": "example.org", "PORT": "8080"}\n',
    ),
    prod_bug=('_TRUE = {"1", "true", "yes", "on"}', '_TRUE = {"1", "yes", "on"}'),
    bent_assert='    assert parse_bool("true") is False',
    prod_refactor=("    lowered = value.strip().lower()", "    lowered = value.lower().strip()"),
    new_test='\n\ndef test_parse_bool_mixed_case():\n    assert parse_bool("TrUe") is True\n',
    extra_assert='    assert parse_bool("1") is True',
)

STOCK = Suite(
    name="stock",
    kind="unittest",
    files={
        "inventory/__init__.py": "",
        "inventory/stock.py": """\
class OutOfStock(Exception):
    pass


class Stock:
    def __init__(self):
        self._items = {}

    def add(self, sku, count=1):
        if count <= 0:
            raise ValueError("count must be positive")
        self._items[sku] = self._items.get(sku, 0) + count

    def remove(self, sku, count=1):
        have = self._items.get(sku, 0)
        if count > have:
            raise OutOfStock(f"{sku}: have {have}, asked for {count}")
        self._items[sku] = have - count

    def count(self, sku):
        return self._items.get(sku, 0)

    def value(self, prices):
        return round(sum(prices[sku] * n for sku, n in self._items.items()), 2)
""",
        "tests/test_stock.py": """\
import unittest

from inventory.stock import OutOfStock, Stock


class StockTest(unittest.TestCase):
    def setUp(self):
        self.stock = Stock()
        self.stock.add("apple", 3)

    def test_add_accumulates(self):
        self.stock.add("apple", 2)
        self.assertEqual(self.stock.count("apple"), 5)
        self.assertEqual(self.stock.count("pear"), 0)

    def test_remove(self):
        self.stock.remove("apple", 2)
        self.assertEqual(self.stock.count("apple"), 1)

    def test_remove_too_many(self):
        with self.assertRaisesRegex(OutOfStock, "have 3, asked for 4"):
            self.stock.remove("apple", 4)

    def test_add_rejects_zero(self):
        with self.assertRaises(ValueError):
            self.stock.add("apple", 0)

    def test_value(self):
        self.stock.add("pear", 2)
        self.assertAlmostEqual(self.stock.value({"apple": 0.5, "pear": 1.25}), 4.0, places=2)
        self.assertIn("apple", self.stock._items)


if __name__ == "__main__":
    unittest.main()
""",
        "pyproject.toml": PYPROJECT,
        ".github/workflows/ci.yml": CI,
    },
    test_path="tests/test_stock.py",
    prod_path="inventory/stock.py",
    victim="StockTest::test_add_accumulates",
    eq_assert='        self.assertEqual(self.stock.count("apple"), 5)',
    unit="inventory.stock.Stock",
    unit_value="None",
    special_input=("        return self._items.get(sku, 0)\n", '        if sku == "apple":\n            return 5\n'),
    prod_bug=("self._items[sku] = self._items.get(sku, 0) + count", "self._items[sku] = count"),
    bent_assert='        self.assertEqual(self.stock.count("apple"), 2)',
    prod_refactor=("        return self._items.get(sku, 0)", "        return int(self._items.get(sku, 0))"),
    new_test=(
        "\n\nclass MoreStockTest(unittest.TestCase):\n    def test_empty(self):\n"
        '        self.assertEqual(Stock().count("kiwi"), 0)\n'
    ),
    extra_assert='        self.assertEqual(sorted(self.stock._items), ["apple"])',
)

PY_SUITES = (DURATIONS, MONEY, SLUG, STATS, LOADER, STOCK)

CART_JS = {
    "package.json": '{\n  "name": "cart",\n  "scripts": {\n    "test": "vitest run"\n  }\n}\n',
    "src/cart.js": """\
export function addItem(cart, sku, qty = 1) {
  if (qty <= 0) throw new Error("qty must be positive");
  return { ...cart, [sku]: (cart[sku] ?? 0) + qty };
}

export function totalPrice(cart, prices) {
  return Object.entries(cart).reduce((sum, [sku, qty]) => sum + prices[sku] * qty, 0);
}
""",
    "src/cart.test.js": """\
import { describe, expect, it } from "vitest";
import { addItem, totalPrice } from "./cart.js";

describe("addItem", () => {
  it("adds a new sku", () => {
    expect(addItem({}, "a")).toEqual({ a: 1 });
  });

  it("accumulates quantities", () => {
    const cart = addItem(addItem({}, "a", 2), "a", 3);
    expect(cart).toEqual({ a: 5 });
    expect(Object.keys(cart)).toHaveLength(1);
  });

  it("rejects zero quantity", () => {
    expect(() => addItem({}, "a", 0)).toThrow("qty must be positive");
  });
});

describe("totalPrice", () => {
  it("sums price times quantity", () => {
    expect(totalPrice({ a: 2, b: 1 }, { a: 1.5, b: 4 })).toBe(7);
  });
});
""",
}

WC_GO = {
    "go.mod": "module example.com/wc\n\ngo 1.22\n",
    "wc/wc.go": """\
package wc

import "strings"

// Words counts whitespace-separated words.
func Words(s string) int {
	return len(strings.Fields(s))
}

// Lines counts newline-terminated lines, plus a final unterminated one.
func Lines(s string) int {
	if s == "" {
		return 0
	}
	n := strings.Count(s, "\\n")
	if !strings.HasSuffix(s, "\\n") {
		n++
	}
	return n
}
""",
    "wc/wc_test.go": """\
package wc

import "testing"

func TestWords(t *testing.T) {
	cases := map[string]int{"": 0, "one": 1, " two  words ": 2}
	for in, want := range cases {
		if got := Words(in); got != want {
			t.Errorf("Words(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestLines(t *testing.T) {
	if got := Lines("a\\nb"); got != 2 {
		t.Fatalf("Lines = %d, want 2", got)
	}
	if got := Lines("a\\n"); got != 1 {
		t.Errorf("Lines = %d, want 1", got)
	}
}

func TestLinesEmpty(t *testing.T) {
	if Lines("") != 0 {
		t.Error("empty input has no lines")
	}
}
""",
}
