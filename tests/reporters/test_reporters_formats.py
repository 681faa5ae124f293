"""Every output format over one real review: valid against its published schema and readable."""

from __future__ import annotations

import json

import jsonschema
from conftest import GitRepo, review_with
from reporters_sample import sample_report

from reviewkit import Finding, Reviewer
from reviewkit.pipeline import ReviewRequest, review
from reviewkit.reporters.github import GithubReporter, escape_data, escape_property
from reviewkit.reporters.markdown import MarkdownReporter
from reviewkit.reporters.rdjson import RdjsonReporter
from reviewkit.reporters.sarif import SarifReporter


def test_sarif_is_valid_with_rules_levels_and_security_severity(repo: GitRepo, spec_schema):
    report = sample_report(repo)

    log = json.loads(SarifReporter().render(report))

    jsonschema.Draft4Validator(spec_schema("sarif-schema-2.1.0.json")).validate(log)
    run = log["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"injections/eval", "style/long-name"}
    assert rules["injections/eval"]["properties"]["security-severity"] == "9.5"
    assert "security" in rules["injections/eval"]["properties"]["tags"]
    assert "security-severity" not in rules["style/long-name"]["properties"]
    assert all(rule["help"]["text"] for rule in rules.values())
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"injections/eval": "error", "style/long-name": "note"}
    [evaluated] = [r for r in run["results"] if r["ruleId"] == "injections/eval"]
    assert evaluated["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert run["tool"]["driver"]["rules"][evaluated["ruleIndex"]]["id"] == "injections/eval"
    [fix] = evaluated["fixes"]
    replacement = fix["artifactChanges"][0]["replacements"][0]
    assert replacement["deletedRegion"] == {"startLine": 3, "endLine": 3}
    assert replacement["insertedContent"]["text"] == "value = ast.literal_eval(data)\n"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("broken" in n["message"]["text"] and "boom" in n["message"]["text"] for n in notes)
    assert any("idle: skipped: nothing to do" in n["message"]["text"] for n in notes)


def test_sarif_fingerprints_survive_lines_moving(tmp_path):
    before = json.loads(SarifReporter().render(sample_report(GitRepo(tmp_path / "a"))))
    after = json.loads(SarifReporter().render(sample_report(GitRepo(tmp_path / "b"), extra_lines=7)))

    def prints(log):
        return {
            (
                r["ruleId"],
                r["partialFingerprints"]["primaryLocationLineHash"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in log["runs"][0]["results"]
        }

    assert {(rule, fp) for rule, fp, _ in prints(before)} == {(rule, fp) for rule, fp, _ in prints(after)}
    assert {line for *_, line in prints(before)} != {line for *_, line in prints(after)}


def test_rdjson_is_valid_and_carries_suggestions(repo: GitRepo, spec_schema):
    result = json.loads(RdjsonReporter().render(sample_report(repo)))

    jsonschema.Draft4Validator(spec_schema("rdjson/DiagnosticResult.json")).validate(result)
    by_code = {d["code"]["value"]: d for d in result["diagnostics"]}
    assert by_code["injections/eval"]["severity"] == "ERROR"
    assert by_code["injections/eval"]["suggestions"] == [
        {
            "range": {"start": {"line": 3, "column": 1}, "end": {"line": 4, "column": 1}},
            "text": "value = ast.literal_eval(data)\n",
        }
    ]
    assert by_code["style/long-name"]["location"] == {
        "path": "app.py",
        "range": {"start": {"line": 4}, "end": {"line": 4}},
    }


def test_markdown_puts_the_decision_first_then_blocking_warnings_skipped_and_usage(repo: GitRepo):
    text = MarkdownReporter().render(sample_report(repo))

    assert text.startswith("## ❌ reviewkit: CONTINUE_DEVELOPMENT\n\n**unfixed blocking findings from injections**")
    order = [
        text.index(heading)
        for heading in (
            "### Blocking (1)",
            "### Reviewers that did not complete (1)",
            "### Warnings (1)",
            "### Skipped reviewers (1)",
            "### Usage",
        )
    ]
    assert order == sorted(order)
    assert "**idle**: nothing to do for this change" in text
    assert "boom at 50%" in text
    assert "&lt;it&gt;" in text and "<it>" not in text  # reviewer text cannot inject HTML
    assert "  ```\n  value = eval(data)\n  ```" in text  # the quoted code, inside its list item


def test_github_annotations_are_escaped(repo: GitRepo):
    out = GithubReporter().render(sample_report(repo))

    assert (
        "::error file=app.py,line=3,endLine=3,title=injections/eval (critical)::"
        "eval() on input, 100%25 unsafe: use ast.literal_eval"
    ) in out
    assert "::warning file=app.py,line=4,endLine=4,title=style/long-name (low)::Name is long,%0Asplit: <it>" in out
    assert "title=reviewkit%3A broken did not complete::RuntimeError: boom at 50%25" in out
    assert escape_property("a:b,c%\r\n") == "a%3Ab%2Cc%25%0D%0A"
    assert escape_data("a:b,c") == "a:b,c"


def test_github_shows_ten_annotations_per_type_and_lists_the_rest(repo: GitRepo):
    repo.commit("base", **{"names.py": "x = 1\n"})
    repo.branch("feature")
    repo.commit("names", **{"names.py": "".join(f"very_long_name_{i} = {i}\n" for i in range(25))})
    from reporters_sample import Style

    out = GithubReporter().render(review_with([Style()], repo))

    lines = out.splitlines()
    assert sum(line.startswith("::warning file=") for line in lines) == 10
    assert sum(line.startswith("warning: names.py:") for line in lines) == 15
    assert "::notice title=reviewkit::15 more finding(s)" in out


class _DeletedAsserts(Reviewer):
    name = "deleted-asserts"
    description = "flags removed assert lines, citing the base"

    def review(self, context):
        for file in context.change.files:
            for hunk in file.hunks:
                for line in hunk.lines:
                    if line.kind == "-" and "assert" in line.text:
                        yield Finding(
                            rule="deleted-asserts/removed",
                            severity="high",
                            path=file.old_path or file.path,
                            line=line.old_number,
                            message="An assertion was removed.",
                            evidence=line.text,
                            side="base",
                        )


def test_a_finding_on_deleted_code_is_anchored_on_the_nearest_head_line_of_its_hunk(repo: GitRepo, spec_schema):
    base = "import os\n\ndef test_x():\n    assert compute() == 4\n    assert compute() > 0\n    assert True\n"
    repo.commit("base", **{"test_x.py": base})
    repo.branch("feature")
    repo.commit("weaken", **{"test_x.py": base.replace("    assert compute() == 4\n", "")})
    report = review_with([_DeletedAsserts()], repo)

    sarif = json.loads(SarifReporter().render(report))
    jsonschema.Draft4Validator(spec_schema("sarif-schema-2.1.0.json")).validate(sarif)
    [result] = sarif["runs"][0]["results"]
    # Base line 4 was removed; head line 4 (`assert compute() > 0`) now stands where it was.
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "endLine": 4}
    assert "line 4 of the base revision" in result["message"]["text"]
    [diagnostic] = json.loads(RdjsonReporter().render(report))["diagnostics"]
    assert diagnostic["location"] == {"path": "test_x.py", "range": {"start": {"line": 4}, "end": {"line": 4}}}
    annotation = "::warning file=test_x.py,line=4,endLine=4,title=deleted-asserts/removed (high)::An assertion"
    assert annotation in GithubReporter().render(report)
    assert "`test_x.py:4` (base revision: code this change removes)" in MarkdownReporter().render(report)


def test_a_finding_in_a_deleted_file_points_at_the_file(repo: GitRepo, spec_schema):
    repo.commit("base", **{"test_x.py": "def test_x():\n    assert compute() == 4\n", "keep.py": "x = 1\n"})
    repo.branch("feature")
    repo.remove("test_x.py")
    repo.commit("drop the test")
    report = review_with([_DeletedAsserts()], repo)

    [result] = json.loads(SarifReporter().render(report))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "test_x.py", "uriBaseId": "%SRCROOT%"}
    }
    assert "::warning file=test_x.py,title=deleted-asserts/removed (high)::" in GithubReporter().render(report)


def test_sarif_rule_tags_are_distinct_for_the_security_reviewer(repo: GitRepo, spec_schema):
    repo.commit("base", **{"app.py": "x = 1\n"})
    repo.branch("feature")
    key = "AKIA" + "Z7QH3MXK2P9WLR4T"  # assembled here so that no scanner mistakes this file for a leak
    repo.commit("key", **{"app.py": f"x = 1\naws_access_key_id = '{key}'\n"})

    report = review(ReviewRequest(repo=repo.root, base="main", head="HEAD", reviewers=("security",), offline=True))
    log = json.loads(SarifReporter().render(report))

    jsonschema.Draft4Validator(spec_schema("sarif-schema-2.1.0.json")).validate(log)  # tags: uniqueItems
    [rule] = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if "CWE-798" in r["properties"]["tags"]]
    assert rule["properties"]["tags"] == ["security", "CWE-798"]
