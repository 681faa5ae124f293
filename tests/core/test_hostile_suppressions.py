"""Issue 10 item 4: in an untrusted review, the change's own suppressions are claims, not instructions.

A ``# noqa: reviewkit`` the change adds to its flagged line, or a configuration edit that silences or
demotes the finding ([[suppress]], blocking = false, disable, dropping the reviewer), does not silence
it: the finding still counts and says which suppression was not honoured. Suppressions already in the
base keep working, and a trusted local review honours them all as before.
"""

from __future__ import annotations

from conftest import GitRepo

FLAW = "import yaml\n\n\ndef load(text):\n    return yaml.load(text)  # noqa: reviewkit\n"


def _review(cli, repo: GitRepo, *extra: str):
    """The configured reviewers (security among the defaults), offline, as JSON."""
    return cli("review", "--base", "main", "--offline", "--format", "json", *extra, cwd=repo.root)


def _yaml_findings(result) -> list[dict]:
    return [f for v in result.json()["verdicts"] for f in v["findings"] if f["rule"] == "security/yaml-load"]


def test_an_inline_noqa_added_by_the_change_does_not_silence_it(feature_repo: GitRepo, cli) -> None:
    feature_repo.commit("feature", **{"app.py": FLAW})
    trusted = _review(cli, feature_repo)
    assert trusted.exit_code == 0 and not _yaml_findings(trusted)
    untrusted = _review(cli, feature_repo, "--untrusted")
    assert untrusted.exit_code == 1
    (finding,) = _yaml_findings(untrusted)
    assert finding["blocking"] and "suppression added by this change" in " ".join(finding["notes"])


def test_a_noqa_already_in_the_base_keeps_working(repo: GitRepo, cli) -> None:
    repo.commit("base", **{"app.py": FLAW})
    repo.branch("feature")
    repo.commit("feature", **{"app.py": FLAW + "\n\nVALUE = 1\n"})
    result = _review(cli, repo, "--untrusted")
    assert result.exit_code == 0 and not _yaml_findings(result)


CLAIMS = {
    "suppress": '[[suppress]]\nrule = "security/*"\nreason = "false positives"\n',
    "blocking": "[reviewer.security]\nblocking = false\n",
    "disable": '[reviewer.security.options]\ndisable = ["security/yaml-load"]\n',
    "dropped": '[code_review]\nreviewers = ["test-integrity"]\n',
    "disabled": "[code_review]\nenabled = false\n",
}


def test_configuration_edits_by_the_change_are_not_honoured(feature_repo: GitRepo, cli) -> None:
    feature_repo.commit("feature", **{"app.py": FLAW.replace("  # noqa: reviewkit", "")})
    for name, toml in CLAIMS.items():
        feature_repo.config(toml)
        feature_repo.commit(f"config: {name}")
        trusted = _review(cli, feature_repo)  # a local, trusted run: the working tree's configuration rules
        assert trusted.exit_code == 0, (name, [(v["reviewer"], v["status"]) for v in trusted.json()["verdicts"]])
        untrusted = _review(cli, feature_repo, "--untrusted")
        assert untrusted.exit_code == 1, (name, untrusted.stderr)
        (finding,) = _yaml_findings(untrusted)
        notes = " ".join(finding.get("notes", []))
        assert "suppression added by this change" in notes and ".agents/config.toml" in notes, (name, notes)
        feature_repo.git("reset", "-q", "--hard", "HEAD~1")
