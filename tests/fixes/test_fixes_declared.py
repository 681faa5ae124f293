"""A fix is credited only for the findings its reviewer says it fixes, not for every finding whose
line it happened to touch."""

from __future__ import annotations

import pytest
from conftest import GitRepo, review_with
from fixers import config, make_patch

from reviewkit import Finding, Reviewer
from reviewkit.verdict import Status

LINE = "    return requests.get(url, verify=False)"
APP = f"import requests\n\n\ndef fetch(url):\n{LINE}\n"


class TwoProblemsOneFix(Reviewer):
    """Two findings on one line; the patch removes ``verify=False`` only, which leaves the SSRF."""

    name = "netcheck"
    blocking = True

    def __init__(self, *, declare: bool) -> None:
        self.declare = declare

    def review(self, context):
        tls = Finding(
            rule="netcheck/tls-off",
            severity="high",
            path="app.py",
            line=5,
            message="verify=False",
            evidence=LINE.strip(),
        )
        ssrf = Finding(
            rule="netcheck/ssrf",
            severity="high",
            path="app.py",
            line=5,
            message="url comes from the caller",
            evidence=LINE.strip(),
        )
        patch = make_patch("app.py", APP, APP.replace(", verify=False", ""))
        context.propose_fix(patch, fixes=[tls] if self.declare else None)
        return [tls, ssrf]


@pytest.fixture
def app_repo(feature_repo: GitRepo) -> GitRepo:
    feature_repo.config(config(test_command="true"))
    feature_repo.commit("config")
    feature_repo.git("branch", "-f", "main", "HEAD")
    feature_repo.commit("app", **{"app.py": APP})
    return feature_repo


def test_only_declared_findings_are_marked_fixed(app_repo: GitRepo) -> None:
    report = review_with([TwoProblemsOneFix(declare=True)], app_repo)
    (verdict,) = report.verdicts
    fixed = {f.rule: f.fixed for f in verdict.findings}
    assert fixed == {"netcheck/tls-off": True, "netcheck/ssrf": False}
    assert verdict.fix.merged is True
    assert verdict.status is Status.BLOCKING and report.exit_code == 1


def test_undeclared_fixes_fall_back_to_the_changed_lines_rule(app_repo: GitRepo) -> None:
    report = review_with([TwoProblemsOneFix(declare=False)], app_repo)
    (verdict,) = report.verdicts
    assert all(f.fixed for f in verdict.findings)
    assert verdict.status is Status.FIXED
