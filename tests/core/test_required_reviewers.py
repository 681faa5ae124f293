"""Issue 10, the last door: a blocking reviewer that cannot run is not an approval.

A repository that configures a model reviewer as blocking relies on it; without a model (no key, a fork's
pull request, --offline) the review is incomplete, exit 3 — unless the configuration says the reviewer is
optional without a model.
"""

from __future__ import annotations

from conftest import GitRepo

PROMPT = "Flag any change to billing rules.\n"


def _repo(feature_repo: GitRepo, agent_extra: str) -> GitRepo:
    feature_repo.commit(
        "config",
        **{
            ".agents__reviewers__billing.md": PROMPT,
            ".agents__config.toml": '[code_review]\nreviewers = []\n\n[[review_agents]]\nname = "billing"\n'
            f'prompt_file = ".agents/reviewers/billing.md"\nblocking = true\n{agent_extra}',
        },
    )
    feature_repo.git("branch", "-f", "main", "HEAD")
    feature_repo.commit("change", **{"billing.py": "RATE = 0.2\n"})
    return feature_repo


def test_a_required_reviewer_without_a_model_makes_the_review_incomplete(feature_repo: GitRepo, cli) -> None:
    repo = _repo(feature_repo, "")
    result = cli("review", "--base", "main", "--format", "json", cwd=repo.root)  # no ANTHROPIC_API_KEY
    report = result.json()
    assert (result.exit_code, report["decision"]) == (3, "NOTIFY_MANAGEMENT")
    (billing,) = report["verdicts"]
    assert billing["status"] == "error" and "optional_without_model" in billing["error"]
    offline = cli("review", "--base", "main", "--offline", cwd=repo.root)
    assert offline.exit_code == 3 and "--offline" in offline.stdout


def test_optional_without_model_skips_it_with_the_reason(feature_repo: GitRepo, cli) -> None:
    repo = _repo(feature_repo, "optional_without_model = true\n")
    result = cli("review", "--base", "main", "--format", "json", cwd=repo.root)
    report = result.json()
    assert result.exit_code == 0 and report["verdicts"] == []
    assert [s["reviewer"] for s in report["skipped"]] == ["billing"]
    assert "ANTHROPIC_API_KEY" in report["skipped"][0]["reason"]
