"""Triggers and routing, as a user sees them through `reviewkit explain`."""

from __future__ import annotations

import pytest
from conftest import GitRepo

from reviewkit.triggers import parse_triggers


def files(*paths: str) -> list[tuple[str, ...]]:
    return [(p,) for p in paths]


@pytest.mark.parametrize(
    ("trigger", "paths", "fired", "matched"),
    [
        ("always", [], True, ()),
        ("path:migrations/**", ["migrations/0001.sql", "app.py"], True, ("migrations/0001.sql",)),
        ("path:*.sql", ["deep/dir/x.sql"], True, ("deep/dir/x.sql",)),
        ("path:/setup.py", ["pkg/setup.py"], False, ()),
        ("path:/setup.py", ["setup.py"], True, ("setup.py",)),
        (["path:docs/**", "path:!docs/internal/**"], ["docs/internal/a.md"], False, ()),
        (["path:docs/**", "path:!docs/internal/**"], ["docs/a.md", "docs/internal/b.md"], True, ("docs/a.md",)),
        ("path:src/", ["src/a/b.py"], True, ("src/a/b.py",)),
        ("label:security", ["x.py"], False, ()),
    ],
)
def test_path_and_always_triggers(trigger, paths, fired, matched) -> None:
    firing = parse_triggers(trigger).evaluate(files(*paths), labels=())
    assert (firing.fired, firing.matched_paths) == (fired, matched)


def test_rename_matches_by_either_side() -> None:
    firing = parse_triggers("path:legacy/**").evaluate([("new/place.py", "legacy/place.py")], labels=())
    assert firing.fired and firing.matched_paths == ("new/place.py",)


def test_label_trigger_and_list_fires_on_any() -> None:
    triggers = parse_triggers(["label:security", "path:auth/**"])
    assert triggers.evaluate(files("x.py"), labels=("security",)).trigger == "label:security"
    assert triggers.evaluate(files("auth/login.py"), labels=()).trigger == "path:auth/**"
    not_fired = triggers.evaluate(files("x.py"), labels=("docs",))
    assert not not_fired.fired
    assert "label security not set (labels: docs)" in not_fired.reason
    assert "no changed path matches auth/**" in not_fired.reason


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("branch:main", "unknown trigger kind 'branch'"),
        ("path:", "needs a value"),
        ([], "empty trigger list"),
        (["path:!docs/**"], "only exclude"),
    ],
)
def test_bad_triggers(spec, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_triggers(spec)


EXPLAIN_CONFIG = """\
[code_review]
reviewers = ["goal-adherence"]

[[review_agents]]
name = "migrations"
prompt_file = ".agents/reviewers/migrations.md"
trigger = "path:migrations/**"

[[review_agents]]
name = "docs"
prompt_file = ".agents/reviewers/docs.md"
trigger = ["path:docs/**", "path:!docs/generated/**", "label:docs"]
"""


@pytest.fixture
def routed_repo(feature_repo: GitRepo) -> GitRepo:
    feature_repo.config(EXPLAIN_CONFIG)
    feature_repo.write(".agents/reviewers/migrations.md", "Review migrations.\n")
    feature_repo.write(".agents/reviewers/docs.md", "Review docs.\n")
    feature_repo.commit(
        "change", **{"migrations__0002_add.sql": "alter table t add c int;\n", "docs__generated__api.md": "generated\n"}
    )
    return feature_repo


def test_explain_says_who_fires_which_trigger_and_paths(routed_repo: GitRepo, cli) -> None:
    result = cli("explain", cwd=routed_repo.root)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["outcome"] == "request-reviews"
    assert data["reviewers"] == ["goal-adherence", "migrations"]
    details = {d["reviewer"]: d for d in data["details"]}
    assert details["migrations"]["trigger"] == "path:migrations/**"
    assert details["migrations"]["matched_paths"] == ["migrations/0002_add.sql"]
    assert details["docs"]["fired"] is False
    assert "no changed path matches" in details["docs"]["reason"]


def test_explain_with_label_fires_label_trigger(routed_repo: GitRepo, cli) -> None:
    data = cli("explain", "--label", "docs", cwd=routed_repo.root).json()
    details = {d["reviewer"]: d for d in data["details"]}
    assert details["docs"]["fired"] is True and details["docs"]["trigger"] == "label:docs"


def test_reviewers_that_do_not_fire_are_reported_as_skipped(routed_repo: GitRepo, cli) -> None:
    report = cli("review", "--format", "json", cwd=routed_repo.root).json()
    skipped = {s["reviewer"]: s["reason"] for s in report["skipped"]}
    assert skipped["docs"].startswith("not triggered:")
    assert "ANTHROPIC_API_KEY is not set" in skipped["migrations"]
    assert report["decision"] == "DEVELOPMENT_COMPLETE"
