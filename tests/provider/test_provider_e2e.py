"""End to end: the real command line reviews a real repository with three markdown reviewers and
goal-adherence through the fake Messages API; and the SDK stays unimported when no model is used."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from conftest import GitRepo, assert_valid, run_reviewkit
from fake_anthropic import FAKE_KEY, FakeAnthropic, Recorded, Reply, answer, fake_api_fixture, finding  # noqa: F401

PROMPTS = {
    "migrations": ("path:migrations/**", True, "Check that every migration can be rolled back."),
    "api-docs": ("path:api/**", False, "Check that public functions have docstrings."),
    "naming": ("always", False, "Check that names say what things are."),
}
API = 'def list_users(db):\n    return db.query("SELECT * FROM users")\n'
MIGRATION = "ALTER TABLE users DROP COLUMN email;\n"


def build(repo: GitRepo) -> None:
    for name, (_trigger, _blocking, text) in PROMPTS.items():
        repo.write(f".agents/reviewers/{name}.md", f"# {name}\n\n{text}\n")
    agents = "".join(
        f'[[review_agents]]\nname = "{name}"\nprompt_file = ".agents/reviewers/{name}.md"\n'
        f'trigger = "{trigger}"\nblocking = {str(blocking).lower()}\n'
        + ('model = "claude-haiku-5-5"\n' if name == "naming" else "")
        for name, (trigger, blocking, _text) in PROMPTS.items()
    )
    repo.config(f'[code_review]\nreviewers = ["goal-adherence"]\n\n[delegation]\nmax_concurrent = 4\n\n{agents}')
    repo.commit("base", README_md="# service\n")
    repo.branch("feature")
    repo.write("goal.md", "Add an endpoint that lists users.\n")
    repo.commit("feature", api__users_py=API, migrations__0002_drop_email_sql=MIGRATION)


def respond(request: Recorded) -> Reply:
    reviewer = re.search(r"Reviewer: ([\w-]+)", request.user_text).group(1)
    if reviewer == "migrations":
        return answer(
            finding(
                "migrations/0002_drop_email_sql",
                1,
                "ALTER TABLE users DROP COLUMN email;",
                rule="irreversible",
                message="Dropping a column cannot be rolled back.",
            )
        )
    if reviewer == "api-docs":
        return answer(
            finding(
                "api/users_py",
                1,
                "def list_users(db):",
                rule="missing-docstring",
                severity="low",
                message="list_users has no docstring.",
            )
        )
    if reviewer == "goal-adherence":
        return answer(
            finding(
                "migrations/0002_drop_email_sql",
                1,
                "DROP COLUMN email",
                rule="unrelated",
                message="Dropping the email column is not part of listing users.",
            )
        )
    return answer(summary="names are fine")


def test_cli_reviews_with_three_markdown_reviewers_and_goal_adherence(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    build(repo)
    fake_api.responder = respond
    result = cli("review", "--base", "main", "--goal", "@goal.md", "--format", "json", cwd=repo.root)
    report = result.json()
    assert_valid("report", report)
    verdicts = {v["reviewer"]: v for v in report["verdicts"]}
    assert set(verdicts) == {"goal-adherence", "migrations", "api-docs", "naming"}
    assert verdicts["migrations"]["status"] == "blocking"
    assert verdicts["migrations"]["findings"][0]["rule"] == "migrations/irreversible"
    assert verdicts["api-docs"]["status"] == "warn"
    assert verdicts["naming"]["status"] == "pass" and "names are fine" in verdicts["naming"]["summary"]
    assert verdicts["goal-adherence"]["status"] == "blocking"
    assert (report["decision"], report["exit_code"], result.exit_code) == ("CONTINUE_DEVELOPMENT", 1, 1)
    # Usage per reviewer and in total.
    total = report["usage"]
    assert total["input_tokens"] == sum(v["usage"]["input_tokens"] for v in verdicts.values()) > 0
    assert total["cost_usd"] > 0
    requests = fake_api.messages()
    assert len(requests) == 4
    models = {re.search(r"Reviewer: ([\w-]+)", r.user_text).group(1): r.body["model"] for r in requests}
    assert models["naming"] == "claude-haiku-5-5" and models["migrations"] == "claude-sonnet-5-5"
    assert all("Add an endpoint that lists users." in r.system_text for r in requests)
    scope = {
        re.search(r"Reviewer: ([\w-]+)", r.user_text).group(1): re.search(
            r"Files in your scope: (.*)", r.user_text
        ).group(1)
        for r in requests
    }
    assert scope["migrations"] == "migrations/0002_drop_email_sql"
    assert scope["naming"] == "every file shown above"


def test_a_blocking_reviewer_whose_model_fails_is_not_approved(
    repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    build(repo)
    fake_api.responder = lambda request: (
        Reply(text="{}", stop_reason="refusal") if "Reviewer: migrations" in request.user_text else answer()
    )
    result = cli("review", "--base", "main", "--format", "json", cwd=repo.root)
    report = result.json()
    migrations = next(v for v in report["verdicts"] if v["reviewer"] == "migrations")
    assert migrations["status"] == "error" and "refused" in migrations["error"]
    assert (report["decision"], result.exit_code) == ("NOTIFY_MANAGEMENT", 3)


def test_the_command_as_a_process_talks_to_the_api_from_the_environment(repo: GitRepo, fake_api: FakeAnthropic) -> None:
    build(repo)
    fake_api.responder = respond
    env = {"ANTHROPIC_API_KEY": FAKE_KEY, "ANTHROPIC_BASE_URL": fake_api.url}
    result = run_reviewkit("review", "--base", "main", "--goal", "@goal.md", "--format", "json", cwd=repo.root, env=env)
    assert result.exit_code == 1, result.stderr
    assert len(json.loads(result.stdout)["verdicts"]) == 4
    assert all(r.headers["x-api-key"] == FAKE_KEY for r in fake_api.messages())


def test_offline_and_version_runs_do_not_import_the_sdk(repo: GitRepo) -> None:
    build(repo)
    probe = (
        "import sys\n"
        "from reviewkit.cli import main\n"
        "codes = [main(['review', '--base', 'main', '--offline', '--format', 'json', '--output', 'r.json'])]\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(codes[0], 'anthropic' in sys.modules)\n"
    )
    env = {"ANTHROPIC_API_KEY": FAKE_KEY, "PATH": "/usr/bin:/bin", "HOME": str(repo.root.parent)}
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.root, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    # migrations is configured blocking: without a model it cannot run, so the review is incomplete (3).
    assert proc.stdout.split()[-2:] == ["3", "False"], proc.stderr
    report = json.loads((repo.root / "r.json").read_text())
    assert {s["reviewer"] for s in report["skipped"]} == {"goal-adherence", "api-docs", "naming"}
    (migrations,) = [v for v in report["verdicts"] if v["reviewer"] == "migrations"]
    assert migrations["status"] == "error" and "optional_without_model" in migrations["error"]


def test_the_goal_can_come_from_a_task_file_named_in_config(
    feature_repo: GitRepo, fake_api: FakeAnthropic, cli: Any
) -> None:
    feature_repo.write("TASK.md", "Rename the users endpoint.\n")
    feature_repo.config('[code_review]\nreviewers = ["goal-adherence"]\ngoal_file = "TASK.md"\n')
    feature_repo.commit("feature", api__users_py=API)
    result = cli("review", "--base", "main", "--format", "json", cwd=feature_repo.root)
    assert result.exit_code == 0, result.stderr
    (request,) = fake_api.messages()
    assert "Rename the users endpoint." in request.system_text
