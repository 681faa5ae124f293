"""The built-in reviewers' mechanical fixes, end to end: finding -> workspace -> merge -> gate -> fixed."""

from __future__ import annotations

import shlex
import sys

from conftest import GitRepo

from reviewkit.pipeline import ReviewRequest, review
from reviewkit.policy import Decision

PYTHON = shlex.quote(sys.executable)


def _review(repo: GitRepo, name: str, **request):
    return review(ReviewRequest(repo=repo.root, base="main", reviewers=(name,), offline=True, **request))


def test_the_security_yaml_fix_is_merged_after_the_gate_passes(repo: GitRepo):
    config = f"[code_review]\nreviewers = [\"security\"]\ntest_command = '''{PYTHON} check.py'''\n"
    check = "import io\nimport config\n\nassert config.load(io.StringIO('a: 1')) == {'a': 1}\nprint('loaded')\n"
    repo.commit("base", **{"README.md": "# app\n", ".agents__config.toml": config, "check.py": check})
    repo.branch("feature")
    repo.commit("config loader", **{"config.py": "import yaml\n\n\ndef load(fh):\n    return yaml.load(fh)\n"})
    report = _review(repo, "security", rounds=2)

    verdict = report.verdicts[0] if report.rounds is None else report.rounds[0].verdicts[0]
    yaml_findings = [f for f in verdict.findings if "yaml" in f.rule]
    assert yaml_findings and all(f.fixed for f in yaml_findings), verdict.findings
    assert verdict.fix.merged and report.fixes.merged and report.fixes.tests.passed
    assert "+    return yaml.safe_load(fh)" in report.fixes.patch
    assert report.decision is Decision.DEVELOPMENT_COMPLETE, report.reason
    assert "yaml.load(fh)" in (repo.root / "config.py").read_text()  # no --apply: the checkout is untouched


def test_the_test_integrity_restore_is_merged_and_the_weakened_test_fixed(repo: GitRepo):
    gate = f"{PYTHON} -m pytest -q -p no:cacheprovider tests"
    config = f"[code_review]\nreviewers = [\"test-integrity\"]\ntest_command = '''{gate}'''\n"
    calc = "def add(a, b):\n    return a + b\n"
    test = "from calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n    assert add(-1, 1) == 0\n"
    repo.commit(
        "base",
        **{
            ".agents__config.toml": config,
            "calc.py": calc,
            "tests__test_calc.py": test,
            "conftest.py": "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n",
        },
    )
    repo.branch("feature")
    repo.commit("weaken", **{"tests__test_calc.py": test.replace("    assert add(-1, 1) == 0\n", "    assert True\n")})
    # Untrusted: the base test still passes on this code, which in a trusted review would make the
    # finding a note (nothing to restore); a stranger's change cannot lift a block by its own run.
    report = _review(repo, "test-integrity", untrusted=True)

    verdict = report.verdicts[0]
    assert verdict.findings and all(f.fixed for f in verdict.findings if f.severity.rank >= 2), verdict.findings
    assert verdict.fix.merged and report.fixes.tests.passed, report.fixes
    assert "+    assert add(-1, 1) == 0" in report.fixes.patch
    assert report.decision is Decision.NEW_REVIEW_ROUND
