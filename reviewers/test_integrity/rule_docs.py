"""What each test-integrity rule means, for ``reviewkit rules``: a summary, an example, the fix.

Every rule's fix is the same in spirit: keep the test as strong as it was, and change the code (or
say in the change why the test itself was wrong). reviewkit's own fix restores the base version.
"""

from __future__ import annotations

from reviewkit import Rule

_RESTORE = "Restore the test (reviewkit proposes the base version) and fix the code instead."

RULES: dict[str, Rule] = {
    "test-integrity/assertion-removed": Rule(
        "A test checks less than before: an assertion is gone.",
        "-    assert total(cart) == 42\n+    total(cart)",
        _RESTORE,
    ),
    "test-integrity/assertion-weakened": Rule(
        "An assertion was made weaker (== to in, >=, truthiness, is not None, assertTrue).",
        "-    assert parse('1,2') == [1, 2]\n+    assert parse('1,2')",
        _RESTORE,
    ),
    "test-integrity/ci-failure-ignored": Rule(
        "CI is told to ignore test failures (continue-on-error, allow_failure, || true).",
        "-      run: pytest\n+      run: pytest || true",
        "Let the step fail; mark known failures as xfail with a reason instead.",
    ),
    "test-integrity/ci-tests-removed": Rule(
        "A CI step that ran the tests is removed.",
        "-      - run: pytest -q",
        "Keep the test step.",
    ),
    "test-integrity/collection-narrowed": Rule(
        "Fewer tests are collected: --ignore, --deselect, -k, collect_ignore, testpaths narrowed.",
        '+addopts = "--deselect tests/test_api.py::test_login"',
        "Run every test; fix or xfail a failing one with a reason.",
    ),
    "test-integrity/coverage-lowered": Rule(
        "The coverage threshold is lowered or removed.",
        "-fail_under = 90\n+fail_under = 60",
        "Keep the threshold and test the new code.",
    ),
    "test-integrity/doctest-removed": Rule(
        "A doctest example is removed (low severity, not blocking).",
        "-    >>> slug(\"Hello World\")\n-    'hello-world'",
        "Keep the example or move it to a test.",
    ),
    "test-integrity/early-return": Rule(
        "A test returns before its checks run.",
        "+    return\n     assert result == expected",
        _RESTORE,
    ),
    "test-integrity/exit-trick": Rule(
        "Code ends the process or replaces the failure hook so a failing run looks green.",
        "+os._exit(0)",
        "Remove the trick; let failures surface.",
    ),
    "test-integrity/expected-value-changed": Rule(
        "A test's expected value is edited in the same change as the code it tests.",
        "-    assert price(3) == 30\n+    assert price(3) == 33",
        "If the behaviour change is intended, say so in the change; otherwise restore the expectation.",
    ),
    "test-integrity/failure-swallowed": Rule(
        "A test swallows failures (try/except around its checks, contextlib.suppress).",
        "+    try:\n         assert run() == 0\n+    except AssertionError:\n+        pass",
        _RESTORE,
    ),
    "test-integrity/match-removed": Rule(
        "pytest.raises lost its match=: any message now passes.",
        "-    with pytest.raises(ValueError, match='negative'):\n+    with pytest.raises(ValueError):",
        _RESTORE,
    ),
    "test-integrity/parametrize-case-removed": Rule(
        "A parametrize case is removed, so an input is no longer tested.",
        '-    ("-1", ValueError),',
        _RESTORE,
    ),
    "test-integrity/raises-broadened": Rule(
        "pytest.raises accepts a broader exception than before (Exception, BaseException).",
        "-    with pytest.raises(KeyError):\n+    with pytest.raises(Exception):",
        _RESTORE,
    ),
    "test-integrity/test-deleted": Rule(
        "A test function is deleted (or renamed out of collection) with nothing taking its place.",
        "-def test_refund_is_rejected_after_30_days():",
        _RESTORE,
    ),
    "test-integrity/test-emptied": Rule(
        "A test's body is replaced by pass or a docstring.",
        "-    assert checkout(cart).ok\n+    pass",
        _RESTORE,
    ),
    "test-integrity/test-file-deleted": Rule(
        "A whole test file is deleted, or renamed so the runner no longer finds it.",
        "git mv tests/test_api.py tests/test_api.py.bak",
        _RESTORE,
    ),
    "test-integrity/test-skipped": Rule(
        "A test is newly skipped or marked xfail (decorator, pytestmark, pytest.skip(), __test__ = False).",
        '+@pytest.mark.skip(reason="flaky")\n def test_upload():',
        "Fix the test or the code; a skip with a tracked reason belongs in its own change.",
    ),
    "test-integrity/test-special-case": Rule(
        "Production code detects the test runner or returns a test's expected output for its input.",
        '+if "pytest" in sys.modules:\n+    return 42',
        "Remove the special case and make the code compute the answer.",
    ),
    "test-integrity/tolerance-widened": Rule(
        "A numeric tolerance is widened (approx rel/abs, isclose, assertAlmostEqual places).",
        "-    assert x == pytest.approx(1.0, rel=1e-6)\n+    assert x == pytest.approx(1.0, rel=0.1)",
        _RESTORE,
    ),
    "test-integrity/vacuous-test": Rule(
        "A test the change adds cannot fail (assertTrue(True), assert 'literal', x == x, no assertion); it "
        "blocks when it is the only test added for changed production code.",
        "+def test_feature(self):\n+    self.assertTrue(True)",
        "Assert what the new code must do: a result, a raised error, a call on a collaborator.",
    ),
    "test-integrity/expected-value-off-goal": Rule(
        "With a model and a goal: an expected value was edited to a behaviour the goal does not ask for.",
        "-    assert fee(100) == 2\n+    assert fee(100) == 0",
        "Keep the expectation the goal implies, or say in the goal why the behaviour changes.",
    ),
    "test-integrity/unit-mocked": Rule(
        "The test mocks out the very unit it tests, so it checks the mock.",
        '+@patch("shop.cart.total", return_value=42)\n def test_total(_):',
        "Mock the unit's collaborators, not the unit.",
    ),
}
