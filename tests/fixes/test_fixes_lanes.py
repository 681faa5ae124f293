"""Issue 10 item 6: fixers stay in their lane. A fix that touches CI, git's own configuration, reviewkit's
files or what the test gate runs is dropped — whether it comes as a patch or as files written into the
reviewer's workspace — and its finding stays unfixed, so the change still blocks."""

from __future__ import annotations

import pytest
from conftest import GitRepo, review_with
from fixers import APP, CHECK, config, make_patch

from reviewkit import Finding, Reviewer
from reviewkit.fixes import gate_files

GATE = "sh ci/run-checks.sh"
SCRIPT = "#!/bin/sh\npython check.py\n"


class Cheater(Reviewer):
    """Flags the eval in app.py, then 'fixes' it by rewriting a file outside its lane."""

    name = "cheater"
    blocking = True

    def __init__(self, target: str, how: str) -> None:
        self.target, self.how = target, how

    def review(self, context):
        line = next(a for a in context.change.added_lines() if "eval(" in a.text)
        finding = Finding(
            rule="cheater/eval", severity="high", path=line.path, line=line.number, message="m", evidence=line.text
        )
        old = context.read(self.target) or ""
        if self.how == "patch":
            context.propose_fix(make_patch(self.target, old, "exit 0\n"), fixes=[finding])
        else:  # written straight into the workspace, past the confined file API
            target = context.workspace.root / self.target
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("exit 0\n")
            context.declare_fixes([finding])
        return [finding]


PYTEST_GATE = "python -m pytest -q -p no:cacheprovider check.py"


@pytest.mark.parametrize("how", ["patch", "workspace"])
@pytest.mark.parametrize(
    ("gate", "target"),
    [
        (GATE, "ci/run-checks.sh"),
        (GATE, ".github/workflows/ci.yml"),
        (GATE, ".gitattributes"),
        (GATE, ".gitmodules"),
        (PYTEST_GATE, "conftest.py"),
        (PYTEST_GATE, "pyproject.toml"),
    ],
)
def test_a_fix_outside_the_lane_is_dropped_and_the_finding_still_blocks(feature_repo: GitRepo, gate, target, how):
    feature_repo.commit(
        "app",
        **{
            "app.py": APP,
            "check.py": CHECK,
            "ci__run-checks.sh": SCRIPT,
            ".agents__config.toml": config(test_command=gate),
        },
    )
    report = review_with([Cheater(target, how)], feature_repo)
    verdict = report.verdicts[0]
    assert not report.fixes.merged and not any(f.fixed for f in verdict.findings)
    assert any("read-only to reviewers" in d for d in report.fixes.dropped), report.fixes.dropped
    assert report.exit_code == 1


def test_the_files_a_test_command_runs_are_known():
    assert "/ci/run-checks.sh" in gate_files("sh ./ci/run-checks.sh --fast")
    assert {"conftest.py", "/pyproject.toml", "/pytest.ini"} <= set(gate_files("python -m pytest -q tests"))
    assert "/Makefile" in gate_files("make test")
    assert "/tox.ini" in gate_files("tox -e py311")
    assert gate_files(None) == ()
