"""Configuration: the seed format loads; every mistake is one line naming the file and key, exit 2."""

from __future__ import annotations

import pytest
from conftest import GitRepo

from reviewkit.config import load_config

SEED = """\
[code_review]
enabled = true
parallel = true
reviewers = ["security", "test-integrity", "goal-adherence"]
test_command = "pytest -q"
model = "claude-sonnet-5-5"

[delegation]
max_concurrent = 5

[supervisor]
auto_merge_fixes = true
max_session_duration = "2h"

[[review_agents]]
name = "migrations"
model = "claude-haiku-5-5"
blocking = true
prompt_file = ".agents/reviewers/migrations.md"
trigger = "path:migrations/**"
"""


def test_seed_configuration_from_design_loads(repo: GitRepo) -> None:
    repo.config(SEED)
    repo.write(".agents/reviewers/migrations.md", "Check migrations are reversible.\n")
    config = load_config(repo.root)
    assert config.test_command == "pytest -q"
    assert config.max_session_duration_s == 7200
    assert config.reviewers == ("security", "test-integrity", "goal-adherence")
    (agent,) = config.review_agents
    assert (agent.name, agent.model, agent.blocking) == ("migrations", "claude-haiku-5-5", True)
    assert agent.prompt.startswith("Check migrations")
    assert agent.trigger.patterns == ("migrations/**",)


def test_no_file_means_defaults(repo: GitRepo) -> None:
    config = load_config(repo.root)
    assert config.path is None and config.parallel and config.max_concurrent == 5


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[code_review]\nreviewrs = []\n", ":2: key 'code_review.reviewrs': unknown key"),
        ('[code_review]\nparallel = "yes"\n', ":2: key 'code_review.parallel': 'yes' is not of type 'boolean'"),
        ("[delegaton]\nmax_concurrent = 2\n", ":1: key 'delegaton': unknown key"),
        ("[delegation]\nmax_concurrent = 0\n", ":2: key 'delegation.max_concurrent': 0 is less than the minimum"),
        ('[supervisor]\nmax_session_duration = "2 days"\n', "key 'supervisor.max_session_duration'"),
        (
            '[[review_agents]]\nname = "x"\nprompt_file = "missing.md"\n',
            ":3: key 'review_agents[0].prompt_file': 'missing.md' not found in the repository",
        ),
        (
            '[[review_agents]]\nname = "x"\nprompt_file = "p.md"\ntrigger = "branch:main"\n',
            ":4: key 'review_agents[0].trigger': unknown trigger kind 'branch'",
        ),
        ('[[review_agents]]\nname = "x"\nprompt_file = "../outside.md"\n', "must be a path inside the repository"),
        ('[[review_agents]]\nname = "x"\n', "key 'review_agents[0]': 'prompt_file' is a required property"),
        ("[code_review\n", "invalid TOML"),
        ("[reviewer.security]\nblockin = false\n", ":2: key 'reviewer.security.blockin': unknown key"),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "unknown-section",
        "below-minimum",
        "bad-duration",
        "missing-prompt",
        "unknown-trigger",
        "prompt-outside",
        "missing-required",
        "bad-toml",
        "unknown-reviewer-key",
    ],
)
def test_config_errors_are_one_line_with_file_and_key(repo: GitRepo, cli, toml: str, expected: str) -> None:
    repo.commit("base", **{"README.md": "x\n"})
    repo.write("p.md", "prompt\n")
    repo.config(toml)
    result = cli("review", "--base", "HEAD", "--offline", cwd=repo.root)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(repo.root / ".agents/config.toml") in lines[0]
    assert expected in lines[0]


def test_explicit_config_path_is_used_and_missing_one_is_an_error(repo: GitRepo, cli, tmp_path) -> None:
    repo.commit("base", **{"README.md": "x\n"})
    other = tmp_path / "other.toml"
    other.write_text("[code_review]\nreviewers = []\n")
    ok = cli("review", "--base", "HEAD", "--config", str(other), "--format", "json", cwd=repo.root)
    assert ok.exit_code == 0 and ok.json()["verdicts"] == []
    missing = cli("review", "--base", "HEAD", "--config", str(tmp_path / "nope.toml"), cwd=repo.root)
    assert missing.exit_code == 2 and "nope.toml: configuration file not found" in missing.stderr


def test_unknown_reviewer_in_config_names_the_registered_ones(repo: GitRepo, cli) -> None:
    repo.commit("base", **{"README.md": "x\n"})
    repo.config('[code_review]\nreviewers = ["securty"]\n')
    result = cli("review", "--base", "HEAD", cwd=repo.root)
    assert result.exit_code == 2
    assert "key 'code_review.reviewers': unknown reviewer 'securty' (did you mean 'security'?)" in result.stderr
    assert "; registered:" in result.stderr
    assert "goal-adherence" in result.stderr


def test_durations_accept_numbers_and_units(repo: GitRepo) -> None:
    repo.config('[supervisor]\nmax_session_duration = "15m"\n[delegation]\nreviewer_timeout = 30\n')
    config = load_config(repo.root)
    assert (config.max_session_duration_s, config.reviewer_timeout_s) == (900, 30)
