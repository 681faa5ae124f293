"""idioms: the repository's own ruff configuration on added lines only, ruff's safe fixes as a patch,
a conservative rule set without configuration, and never a blocking finding."""

from __future__ import annotations

from conftest import GitRepo, assert_valid

from reviewkit.pipeline import ReviewRequest, review

OLD = "import os\nimport sys\n\n\ndef old():\n    return sys.argv\n"  # 'os' unused: old code, not reported


def idioms(repo: GitRepo, **request: object):
    report = review(ReviewRequest(repo=repo.root, base="main", head="HEAD", reviewers=("idioms",), **request))
    assert_valid("report", report.to_dict())
    return report


def test_conservative_rules_on_added_lines_only_with_a_safe_fix(feature_repo: GitRepo) -> None:
    feature_repo.commit("old", **{"app.py": OLD})
    feature_repo.git("checkout", "-q", "main")
    feature_repo.git("merge", "-q", "feature")
    feature_repo.git("checkout", "-q", "feature")
    feature_repo.commit("new", **{"app.py": OLD + "\n\ndef new(x):\n    if x == None:\n        return f'none'\n"})
    report = idioms(feature_repo)
    (verdict,) = report.verdicts
    assert [(f.rule, f.line) for f in verdict.findings] == [("idioms/E711", 10), ("idioms/F541", 11)]
    assert report.exit_code == 0 and not any(f.blocking for f in verdict.findings)
    patch = verdict.fix.patch or ""
    assert "-        return f'none'\n+        return 'none'\n" in patch
    assert "import os" not in patch  # the old unused import is not this change's business


def test_the_repositorys_own_configuration_decides(feature_repo: GitRepo) -> None:
    feature_repo.commit("config", **{"ruff.toml": '[lint]\nselect = ["T20"]\n'})
    feature_repo.git("checkout", "-q", "main")
    feature_repo.git("merge", "-q", "feature")
    feature_repo.git("checkout", "-q", "feature")
    feature_repo.commit("new", **{"lib.py": "def f(x):\n    print(x)\n    if x == None:\n        return 1\n"})
    (verdict,) = idioms(feature_repo).verdicts
    assert [(f.rule, f.line) for f in verdict.findings] == [("idioms/T201", 2)]  # E711 is not selected there


def test_an_untrusted_change_cannot_switch_its_rules_off(feature_repo: GitRepo) -> None:
    feature_repo.commit("config", **{"pyproject.toml": '[tool.ruff.lint]\nselect = ["T20"]\n'})
    feature_repo.git("checkout", "-q", "main")
    feature_repo.git("merge", "-q", "feature")
    feature_repo.git("checkout", "-q", "feature")
    feature_repo.commit(
        "quiet", **{"pyproject.toml": '[tool.ruff.lint]\nselect = ["E"]\n', "lib.py": "def f(x):\n    print(x)\n"}
    )
    assert idioms(feature_repo).verdicts[0].findings == ()
    (verdict,) = idioms(feature_repo, untrusted=True).verdicts
    assert [(f.rule, f.line) for f in verdict.findings] == [("idioms/T201", 2)]


def test_made_blocking_by_configuration_it_still_never_blocks(feature_repo: GitRepo) -> None:
    feature_repo.config("[reviewer.idioms]\nblocking = true\n")
    feature_repo.commit("new", **{"lib.py": "import json\n"})
    report = idioms(feature_repo)
    assert [f.rule for f in report.verdicts[0].findings] == ["idioms/F401"]
    assert report.exit_code == 0


def test_a_file_that_does_not_parse_is_listed_not_reviewed(feature_repo: GitRepo) -> None:
    feature_repo.commit("broken", **{"bad.py": "def f(:\n", "good.py": "import json\n"})
    (verdict,) = idioms(feature_repo).verdicts
    assert [f.path for f in verdict.findings] == ["good.py"]
    assert [entry["path"] for entry in verdict.to_dict()["not_reviewed"]] == ["bad.py"]


def test_an_untrusted_change_cannot_silence_its_own_lines_with_noqa(feature_repo: GitRepo) -> None:
    feature_repo.commit("quiet", **{"lib.py": "import json  # noqa\n"})
    assert idioms(feature_repo).verdicts[0].findings == ()  # trusted: the author's noqa counts
    (finding,) = idioms(feature_repo, untrusted=True).verdicts[0].findings
    assert finding.rule == "idioms/F401"
