"""Acceptances and learnings in local runs: ``review --accept`` turns exit 1 into 0 and the reports say
who accepted what; ``.agents/learnings.toml`` silences a judged-wrong finding, but an untrusted review
reads it from the base revision only, so a change cannot teach reviewkit to overlook itself."""

from __future__ import annotations

from typing import Any

from conftest import GitRepo, assert_valid

CART = "import yaml\n\n\ndef load_prices(fh):\n    return yaml.load(fh)\n"
LEARNING = """\
[[learning]]
rule = "security/yaml-load"
code = "return   yaml.load(fh)"
reason = "fh is our own signed price list, never user input"
by = "octocat"
"""


def change(repo: GitRepo, **extra: str) -> None:
    repo.commit("base", README_md="# shop\n")
    repo.branch("feature")
    repo.commit("load prices", **{"shop__cart.py": CART}, **extra)


def review(cli: Any, repo: GitRepo, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("review", "--base", "main", "--format", "json", *args, cwd=repo.root)
    data = result.json()
    assert_valid("report", data)
    return result.exit_code, data


def fingerprint(report: dict[str, Any]) -> str:
    (found,) = [f for v in report["verdicts"] for f in v["findings"] if f["rule"] == "security/yaml-load"]
    return str(found["fingerprint"])


def test_accepting_a_fingerprint_stops_it_blocking_and_every_report_says_who_and_why(repo: GitRepo, cli: Any) -> None:
    change(repo)
    code, report = review(cli, repo)
    assert (code, report["decision"]) == (1, "CONTINUE_DEVELOPMENT")
    accepted = f"{fingerprint(report)[:10]}:signed price list, not user input"
    repo.git("config", "user.name", "Dana Maintainer")

    code, report = review(cli, repo, "--accept", accepted)

    assert (code, report["decision"]) == (0, "DEVELOPMENT_COMPLETE")
    (finding,) = [f for v in report["verdicts"] for f in v["findings"]]
    assert finding["accepted"] == {
        "by": "Dana Maintainer",
        "reason": "signed price list, not user input",
        "via": "--accept",
    }
    assert finding["blocking"] is False
    text = cli("review", "--base", "main", "--accept", accepted, cwd=repo.root)
    assert "[accepted by Dana Maintainer (--accept): signed price list, not user input]" in text.stdout
    markdown = cli("review", "--base", "main", "--accept", accepted, "--format", "markdown", cwd=repo.root).stdout
    assert "### Accepted (1)" in markdown and "accepted by `Dana Maintainer` (--accept): signed price list" in markdown
    assert "### Blocking" not in markdown


def test_an_acceptance_covers_that_code_only(repo: GitRepo, cli: Any) -> None:
    change(repo)
    _code, report = review(cli, repo)
    accepted = fingerprint(report)
    repo.commit("more", **{"shop__cart.py": CART + "\n\ndef load_rates(fh):\n    return yaml.load(fh.read())\n"})
    code, report = review(cli, repo, "--accept", accepted)
    assert code == 1
    states = {f["evidence"]: f.get("accepted") is not None for v in report["verdicts"] for f in v["findings"]}
    assert states == {"return yaml.load(fh)": True, "return yaml.load(fh.read())": False}


def test_accept_is_refused_in_an_untrusted_review_and_must_name_a_fingerprint(repo: GitRepo, cli: Any) -> None:
    change(repo)
    refused = cli("review", "--base", "main", "--untrusted", "--accept", "a5739378", cwd=repo.root)
    assert refused.exit_code == 2 and "--untrusted" in refused.stderr and refused.stdout == ""
    bad = cli("review", "--base", "main", "--accept", "yaml-load", cwd=repo.root)
    assert bad.exit_code == 2 and "fingerprint" in bad.stderr and bad.stderr.count("\n") == 1


def test_an_acceptance_that_matches_nothing_is_said(repo: GitRepo, cli: Any) -> None:
    change(repo)
    result = cli("review", "--base", "main", "--accept", "0123456789abcdef", cwd=repo.root)
    assert result.exit_code == 1
    assert "--accept 0123456789abcdef: no finding has this fingerprint" in result.stderr


def test_a_learning_in_the_base_silences_the_finding(repo: GitRepo, cli: Any) -> None:
    repo.commit("base", README_md="# shop\n", **{".agents__learnings.toml": LEARNING})
    repo.branch("feature")
    repo.commit("load prices", **{"shop__cart.py": CART})
    for args in ((), ("--untrusted",)):
        code, report = review(cli, repo, *args)
        assert (code, report["decision"]) == (0, "DEVELOPMENT_COMPLETE"), args
        security = next(v for v in report["verdicts"] if v["reviewer"] == "security")
        assert security["findings"] == []
        assert "1 finding(s) silenced by the repository's learnings (.agents/learnings.toml)" in security["summary"]


def test_a_learning_the_change_itself_adds_is_ignored_in_an_untrusted_review(repo: GitRepo, cli: Any) -> None:
    change(repo, **{".agents__learnings.toml": LEARNING})
    code, report = review(cli, repo, "--untrusted")
    assert (code, report["decision"]) == (1, "CONTINUE_DEVELOPMENT")
    assert fingerprint(report)
    # A trusted local run reads the working tree, as it does the configuration: the author's own call.
    code, _report = review(cli, repo)
    assert code == 0


def test_a_learning_limited_to_other_paths_does_not_apply(repo: GitRepo, cli: Any) -> None:
    limited = LEARNING.replace('by = "octocat"', 'by = "octocat"\npaths = ["legacy/**"]')
    repo.commit("base", README_md="# shop\n", **{".agents__learnings.toml": limited})
    repo.branch("feature")
    repo.commit("load prices", **{"shop__cart.py": CART})
    code, _report = review(cli, repo)
    assert code == 1


def test_a_malformed_learnings_file_is_one_clear_line(repo: GitRepo, cli: Any) -> None:
    repo.commit("base", README_md="# shop\n", **{".agents__learnings.toml": '[[learning]]\nrule = "security/x"\n'})
    repo.branch("feature")
    repo.commit("load prices", **{"shop__cart.py": CART})
    result = cli("review", "--base", "main", "--untrusted", cwd=repo.root)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and ".agents/learnings.toml (base revision" in result.stderr
    assert "code" in result.stderr


def test_an_accepted_finding_is_a_dismissed_alert_in_sarif_and_a_notice_annotation(
    repo: GitRepo, cli: Any, spec_schema: Any
) -> None:
    import jsonschema

    change(repo)
    repo.git("config", "user.name", "Dana Maintainer")
    _code, report = review(cli, repo)
    accepted = f"{fingerprint(report)}:a signed price list"
    sarif = cli("review", "--base", "main", "--accept", accepted, "--format", "sarif", cwd=repo.root)
    assert sarif.exit_code == 0
    data = sarif.json()
    jsonschema.Draft4Validator(spec_schema("sarif-schema-2.1.0.json")).validate(data)
    (result,) = data["runs"][0]["results"]
    justification = "accepted by Dana Maintainer (--accept): a signed price list"
    assert result["suppressions"] == [{"kind": "external", "status": "accepted", "justification": justification}]
    assert result["properties"]["blocking"] is False
    github = cli("review", "--base", "main", "--accept", accepted, "--format", "github", cwd=repo.root).stdout
    assert github.startswith("::notice file=shop/cart.py,line=5") and "accepted by" in github
