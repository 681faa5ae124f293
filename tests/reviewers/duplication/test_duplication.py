"""duplication: a copy of existing code (names and literals changed) is reported with the original's
path and lines; new code, short repeats, tests and generated files are not."""

from __future__ import annotations

from conftest import GitRepo, assert_valid

from reviewkit.pipeline import ReviewRequest, review

ORIGINAL = '''\
def summarize(orders, currency):
    """Totals per customer."""
    totals = {}
    for order in orders:
        if order.status != "paid":
            continue
        amount = order.amount * order.rate(currency)
        totals.setdefault(order.customer_id, 0)
        totals[order.customer_id] += round(amount, 2)
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)
    return [(customer, total) for customer, total in ranked if total > 0]
'''
RENAMED = """\
def invoice_totals(invoices, unit):
    totals = {}
    for order in invoices:
        if order.status != "settled":
            continue
        amount = order.amount * order.rate(unit)
        totals.setdefault(order.customer_id, 0)
        totals[order.customer_id] += round(amount, 4)
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)
    return [(customer, total) for customer, total in ranked if total > 0]
"""


def duplication(repo: GitRepo):
    report = review(ReviewRequest(repo=repo.root, base="main", head="HEAD", reviewers=("duplication",)))
    assert_valid("report", report.to_dict())
    return report.verdicts[0]


def base_with_original(repo: GitRepo) -> GitRepo:
    repo.commit("base", **{"shop/report.py": "import math\n\n\n" + ORIGINAL, "README.md": "x\n"})
    repo.branch("feature")
    return repo


def test_a_renamed_copy_of_existing_code_names_the_original(repo: GitRepo) -> None:
    base_with_original(repo)
    repo.commit("copy", **{"shop/billing.py": "import os\n\n\n" + RENAMED})
    (finding,) = duplication(repo).findings
    assert finding.rule == "duplication/clone" and finding.path == "shop/billing.py"
    assert (finding.line, finding.end_line) == (4, 13)  # from the def: docstrings are not compared
    assert "repeat shop/report.py:4-14" in finding.message and not finding.blocking


def test_code_repeated_inside_the_change_points_at_its_first_copy(feature_repo: GitRepo) -> None:
    feature_repo.commit("twice", **{"a/one.py": ORIGINAL, "b/two.py": "\n" + RENAMED})
    (finding,) = duplication(feature_repo).findings
    assert finding.path == "b/two.py" and "repeat a/one.py:" in finding.message


def test_new_code_and_short_repeats_are_quiet(repo: GitRepo) -> None:
    base_with_original(repo)
    short = "def total(orders):\n    return sum(o.amount for o in orders if o.status == 'paid')\n"
    fresh = "def parse(text):\n" + "".join(f"    part{i} = text.split(',')[{i}].strip().lower()\n" for i in range(3))
    repo.commit("new", **{"shop/new.py": short + "\n\n" + fresh + "    return part0, part1, part2\n"})
    assert duplication(repo).findings == ()


def test_tests_and_generated_files_are_left_out_unless_asked(repo: GitRepo) -> None:
    base_with_original(repo)
    repo.commit("copies", **{"tests/test_report.py": RENAMED, "shop/gen_pb2.py": "# @generated\n" + RENAMED})
    assert duplication(repo).findings == ()
    repo.config("[reviewer.duplication.options]\ninclude_tests = true\n")
    assert [f.path for f in duplication(repo).findings] == ["tests/test_report.py"]
