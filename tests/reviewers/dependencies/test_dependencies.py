"""dependency-hygiene: offline checks on manifests and imports, and the opt-in network checks against a
fake OSV/PyPI on 127.0.0.1 (answers and faults)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import GitRepo, assert_valid
from fake_registry import FakeRegistry, serve

from reviewkit.pipeline import ReviewRequest, review

PYPROJECT = '[project]\nname = "app"\ndependencies = [\n    "requests==2.31.0",\n    "click>=8",\n]\n'


def hygiene(repo: GitRepo):
    report = review(ReviewRequest(repo=repo.root, base="main", head="HEAD", reviewers=("dependency-hygiene",)))
    assert_valid("report", report.to_dict())
    assert report.exit_code == 0  # warnings only
    return report.verdicts[0]


def rules(verdict) -> list[tuple[str, str, int]]:
    return sorted((f.rule.split("/")[1], f.path, f.line) for f in verdict.findings)


@pytest.fixture
def app(repo: GitRepo) -> GitRepo:
    repo.commit(
        "base",
        **{
            "pyproject.toml": PYPROJECT,
            "requirements.txt": "flask==3.0.0 --hash=sha256:abc\nrequests==2.31.0\n",
            "app__main.py": "import requests\nimport click\nimport flask\n",
        },
    )
    repo.branch("feature")
    return repo


def test_loosened_pins_dropped_hashes_and_direct_references(app: GitRepo) -> None:
    app.commit(
        "deps",
        **{
            "requirements.txt": "flask==3.0.0\nrequests>=2.31\nmylib @ git+https://example.invalid/mylib.git\n",
            "app__main.py": "import requests\nimport click\nimport flask\nimport mylib\n",
        },
    )
    assert rules(hygiene(app)) == [
        ("direct-reference", "requirements.txt", 3),
        ("hashes-dropped", "requirements.txt", 1),
        ("pin-loosened", "requirements.txt", 2),
    ]


def test_a_name_one_edit_from_a_popular_package(app: GitRepo) -> None:
    app.commit("deps", **{"pyproject.toml": PYPROJECT.replace('"click>=8",', '"click>=8",\n    "reqeusts==1.0",')})
    (finding,) = [f for f in hygiene(app).findings if f.rule.endswith("typosquat")]
    assert finding.line == 6 and "'requests'" in finding.message


def test_popular_and_unrelated_names_are_not_typosquats(app: GitRepo) -> None:
    app.commit(
        "deps", **{"pyproject.toml": PYPROJECT.replace('"click>=8",', '"click>=8",\n    "urllib3",\n    "rich",')}
    )
    assert not [f for f in hygiene(app).findings if f.rule.endswith("typosquat")]


def test_undeclared_imports_and_unused_declarations(app: GitRepo) -> None:
    app.commit(
        "deps",
        **{
            "pyproject.toml": PYPROJECT.replace('"click>=8",', '"click>=8",\n    "attrs>=23",\n    "tabulate>=0.9",'),
            "app__main.py": "import requests\nimport click\nimport flask\nimport attr\nimport yaml\nimport json\n"
            "from app import helpers\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n",
            "app__helpers.py": "X = 1\n",
        },
    )
    assert rules(hygiene(app)) == [("undeclared", "app/main.py", 5), ("unused", "pyproject.toml", 7)]


def test_a_manifest_changed_without_its_lock(app: GitRepo) -> None:
    app.commit("lock", **{"uv.lock": "version = 1\n"})
    app.git("checkout", "-q", "main")
    app.git("merge", "-q", "feature")
    app.git("checkout", "-q", "feature")
    app.commit("bump", **{"pyproject.toml": PYPROJECT.replace("2.31.0", "2.32.0")})
    assert ("lock-drift", "pyproject.toml", 4) in rules(hygiene(app))
    app.commit("relock", **{"uv.lock": "version = 1\n# relocked\n"})
    assert "lock-drift" not in [r for r, _, _ in rules(hygiene(app))]


def test_package_json(repo: GitRepo) -> None:
    repo.commit("base", **{"package.json": '{\n  "dependencies": {\n    "lodash": "4.17.21"\n  }\n}\n'})
    repo.branch("feature")
    repo.commit(
        "deps",
        **{
            "package.json": '{\n  "dependencies": {\n    "lodash": "^4.17.21",\n    "expresss": "4.0.0",\n'
            '    "left": "github:someone/left"\n  }\n}\n'
        },
    )
    assert rules(hygiene(repo)) == [
        ("direct-reference", "package.json", 5),
        ("pin-loosened", "package.json", 3),
        ("typosquat", "package.json", 4),
    ]


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    yield from serve(FakeRegistry())


def network_change(app: GitRepo, registry: FakeRegistry) -> None:
    app.config(
        f'[reviewer.dependency-hygiene.options]\nnetwork = true\nosv_url = "{registry.url}"\n'
        f'pypi_url = "{registry.url}"\ntimeout = 1\n'
    )
    app.commit("cfg")
    app.git("checkout", "-q", "main")
    app.git("merge", "-q", "feature")
    app.git("checkout", "-q", "feature")
    app.commit("deps", **{"requirements.txt": "flask==3.0.0 --hash=sha256:abc\nrequests==2.19.0\noldlib==1.0\n"})


def test_osv_and_pypi_facts_for_added_versions(app: GitRepo, registry: FakeRegistry) -> None:
    registry.vulns[("requests", "2.19.0")] = ["GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"]
    registry.release("requests", "2.32.3", {"2.19.0": {"uploaded": "2018-06-14T00:00:00Z", "yanked": True}})
    registry.release("oldlib", "4.0", {"1.0": {"uploaded": "2010-01-01T00:00:00Z", "wheel": False}})
    network_change(app, registry)
    verdict = hygiene(app)
    assert rules(verdict) == [
        ("install-time-code", "requirements.txt", 3),
        ("known-vulnerability", "requirements.txt", 2),
        ("outdated", "requirements.txt", 3),
        ("unused", "requirements.txt", 3),  # offline: nothing imports oldlib
        ("yanked", "requirements.txt", 2),
    ]
    posted = [body for method, _, body in registry.requests if method == "POST"]
    assert posted == [
        {
            "queries": [
                {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.19.0"},
                {"package": {"name": "oldlib", "ecosystem": "PyPI"}, "version": "1.0"},
            ]
        }
    ]


@pytest.mark.parametrize("fault", ["500", "garbage", "stall"])
def test_a_failing_registry_is_noted_and_the_offline_findings_stand(
    app: GitRepo, registry: FakeRegistry, fault: str
) -> None:
    registry.fault = fault
    network_change(app, registry)
    verdict = hygiene(app)
    assert verdict.status.value in ("warn", "pass") and verdict.error is None
    assert "OSV not consulted" in verdict.summary


def test_no_network_unless_asked(app: GitRepo, registry: FakeRegistry) -> None:
    app.commit("deps", **{"requirements.txt": "flask==3.0.0 --hash=sha256:abc\nrequests==2.19.0\n"})
    hygiene(app)
    assert registry.requests == []
