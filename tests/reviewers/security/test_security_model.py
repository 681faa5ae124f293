"""The model pass through the real provider and SDK against a fake Messages API on 127.0.0.1
(tests/provider/fake_anthropic.py): logic flaws added, false positives dismissed with their reason,
critical findings and secrets never offered for dismissal, and a failing model changing nothing."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import GitRepo, review_with

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "provider"))
from fake_anthropic import FakeAnthropic, Fault, answer, fake_api_fixture, finding  # noqa: F401 - fixture

from reviewers.security import SecurityReviewer

NO_ENTRY_POINT = ("security",)
OLD = """import os
import random

from flask import Flask, request

app = Flask(__name__)


@app.route("/health")
def health():
    return "ok"
"""
NEW = (
    OLD
    + """

@app.route("/admin/users/<int:user_id>/delete", methods=["POST"])
def delete_user(user_id):
    db.delete_user(user_id)
    return "deleted"


@app.route("/invite")
def invite():
    invite_code = random.randint(100000, 999999)
    os.system("notify " + request.args["email"])
    return str(invite_code)
"""
)


def changed(repo: GitRepo) -> GitRepo:
    repo.commit("base", **{"app/views.py": OLD})
    repo.branch("feature")
    repo.commit("admin endpoints", **{"app/views.py": NEW})
    return repo


def test_the_model_adds_logic_flaws_and_dismisses_false_positives(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(
        answer(
            finding(
                "app/views.py",
                15,
                "def delete_user(user_id):",
                rule="missing-authz",
                message="Admin route without the login check its neighbours have.",
            ),
            finding("app/views.py", 10, "def health():", rule="health-leak", severity="low"),  # old line
        ),
        answer(dismissals=[{"index": 0, "reason": "the invite code is a display number, not a secret"}]),
    )
    report = review_with([SecurityReviewer()], changed(repo), blocked_plugins=NO_ENTRY_POINT)
    (verdict,) = report.verdicts
    assert [(f.rule, f.line) for f in verdict.findings] == [
        ("security/missing-authz", 15),
        ("security/command-injection", 23),
    ]
    assert (
        "model dismissed security/insecure-random at app/views.py:22: the invite code is a display number, not a secret"
    ) in verdict.summary
    review_request, triage_request = fake_api.messages()
    assert "missing or wrong authorization checks" in review_request.everything()
    assert "insecure-random" in triage_request.user_text
    assert "command-injection" not in triage_request.user_text  # critical: never offered for dismissal
    assert verdict.status.value == "blocking" and report.exit_code == 1


def test_a_failing_model_leaves_the_deterministic_findings(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    fake_api.queue(Fault(400, "invalid_request_error"))
    report = review_with([SecurityReviewer()], changed(repo), blocked_plugins=NO_ENTRY_POINT)
    (verdict,) = report.verdicts
    assert [f.rule for f in verdict.findings] == ["security/insecure-random", "security/command-injection"]
    assert "model pass not completed" in verdict.summary and verdict.error is None
    assert verdict.status.value == "blocking" and report.exit_code == 1


def test_offline_runs_never_call_the_model(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    report = review_with([SecurityReviewer()], changed(repo), blocked_plugins=NO_ENTRY_POINT, offline=True)
    assert [f.rule for f in report.verdicts[0].findings] == ["security/insecure-random", "security/command-injection"]
    assert fake_api.messages() == []


def test_an_untrusted_change_cannot_have_a_blocking_finding_dismissed(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    repo.commit("base", **{"app/views.py": OLD})
    repo.branch("feature")
    loader = '\n\n@app.route("/import")\ndef import_config():\n    return yaml.load(request.data)\n'
    repo.commit("import", **{"app/views.py": "import yaml\n" + NEW.replace(' + request.args["email"]', "") + loader})
    # The model is asked to dismiss everything it is shown; only the warning is shown.
    fake_api.queue(answer(), answer(dismissals=[{"index": 0, "reason": "safe"}, {"index": 1, "reason": "safe"}]))
    report = review_with([SecurityReviewer()], repo, blocked_plugins=NO_ENTRY_POINT, untrusted=True)
    (verdict,) = report.verdicts
    _, triage_request = fake_api.messages()
    assert "insecure-random" in triage_request.user_text and "yaml-load" not in triage_request.user_text
    assert [(f.rule, f.blocking) for f in verdict.findings] == [("security/yaml-load", True)]
    assert report.exit_code == 1
