"""README is the front door: short, its commands are the ones CI runs, its sample output is real; the
reference pages it sends readers to say what the code does."""

from __future__ import annotations

import re

from conftest import PROJECT_ROOT, GitRepo

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_short() -> None:
    assert len(README) <= 12_000


def test_readme_test_commands_are_what_ci_runs() -> None:
    block = re.search(r"## Run the tests\n\n```sh\n(.*?)```", README, re.S)
    assert block is not None
    commands = block.group(1).strip().splitlines()
    assert commands == ["pip install '.[test]'", "python -m pytest -q"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pip install --quiet '.[test]'" in ci and "python -m pytest -q" in ci
    assert "git clone" in ci and "../shared" in ci  # run in a clone with nothing beside it


def test_readme_sample_output_is_what_reviewkit_prints(repo: GitRepo, cli) -> None:
    """The sample is regenerated here from the same change; only the commit ids differ."""
    repo.commit(
        "base",
        **{
            "shop__cart.py": "def total(prices):\n    return sum(prices)\n",
            "tests__test_cart.py": "from shop.cart import total\n\n\ndef test_total():\n"
            "    assert total([1, 2]) == 3\n",
        },
    )
    repo.branch("feature")
    repo.commit(
        "load prices from YAML",
        **{
            "shop__cart.py": "import yaml\n\n\ndef total(prices):\n    return sum(prices)\n\n\n"
            "def load_prices(fh):\n    return yaml.load(fh)\n",
            "tests__test_cart.py": "from shop.cart import total\n\n\ndef test_total():\n    assert total([1, 2])\n",
        },
    )
    sample = re.search(r"```\n\$ reviewkit review\n(.*?)```", README, re.S)
    assert sample is not None
    result = cli("review", cwd=repo.root)
    assert result.exit_code == 1
    commits = re.compile(r"[0-9a-f]{10}\.\.[0-9a-f]{10}")
    assert commits.sub("BASE..HEAD", result.stdout) == commits.sub("BASE..HEAD", sample.group(1))


def test_every_rule_is_in_the_reviewers_page(repo: GitRepo, cli) -> None:
    page = (PROJECT_ROOT / "docs" / "reviewers.md").read_text(encoding="utf-8")
    rules = [entry["rule"] for entry in cli("rules", "--format", "json", cwd=repo.root).json()]
    assert [rule for rule in rules if f"`{rule}`" not in page] == []


def test_init_points_at_the_configuration_reference(repo: GitRepo, cli) -> None:
    assert cli("init", cwd=repo.root).exit_code == 0
    first_line = (repo.root / ".agents" / "config.toml").read_text().splitlines()[0]
    assert "docs/configuration.md" in first_line
    assert (PROJECT_ROOT / "docs" / "configuration.md").is_file()
