"""Issue 10, item 7: no code from the checkout under review loads.

The change ships a ``reviewers/`` package (the name of reviewkit's built-in reviewers) or a
``*.dist-info`` with a ``reviewkit`` entry point. Run in that checkout, reviewkit must not import either:
each plants code that would write a marker file (it could as well read the API key), and the flaw the
change adds must still block.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import GIT_ENV, GitRepo

FLAW = "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"


def _planted(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')\n"


def _run(repo: GitRepo, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **GIT_ENV, **(env or {}), "ANTHROPIC_API_KEY": "sk-ant-canary"}
    return subprocess.run(
        [*command, "review", "--base", "main", "--offline", "--reviewer", "security"],
        cwd=repo.root,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_python_m_ignores_a_reviewers_package_in_the_checkout(feature_repo: GitRepo, tmp_path: Path) -> None:
    marker = tmp_path / "reviewers-ran"
    feature_repo.commit(
        "hostile",
        **{
            "reviewers__init__.py": _planted(marker),
            "reviewers__security__init__.py": _planted(marker),
            "app.py": FLAW,
        },
    )
    result = _run(feature_repo, sys.executable, "-m", "reviewkit")
    assert not marker.exists()
    assert result.returncode == 1, result.stderr
    assert "security/yaml-load" in result.stdout


def test_a_dist_info_in_the_checkout_is_not_a_plugin(feature_repo: GitRepo, tmp_path: Path) -> None:
    marker = tmp_path / "entry-point-ran"
    feature_repo.commit(
        "hostile",
        **{
            "evil-0.1.dist-info__METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n",
            "evil-0.1.dist-info__entry_points.txt": "[reviewkit]\nevil = evil_plugin\n",
            "evil_plugin.py": _planted(marker),
            "app.py": FLAW,
        },
    )
    for command in ([sys.executable, "-m", "reviewkit"], [str(Path(sys.executable).parent / "reviewkit")]):
        # PYTHONPATH=. is a common CI habit: the checkout is then on sys.path for the console script too.
        result = _run(feature_repo, *command, env={"PYTHONPATH": str(feature_repo.root)})
        assert not marker.exists(), command
        assert result.returncode in (1, 2), result.stderr


def test_a_checkout_on_pythonpath_cannot_replace_the_built_in_reviewers(feature_repo: GitRepo, tmp_path: Path) -> None:
    marker = tmp_path / "shadow-ran"
    feature_repo.commit(
        "hostile", **{"reviewers__init__.py": _planted(marker), "reviewers__security__init__.py": _planted(marker)}
    )
    console = str(Path(sys.executable).parent / "reviewkit")
    result = _run(feature_repo, console, env={"PYTHONPATH": str(feature_repo.root)})
    assert not marker.exists()
    if result.returncode == 2:  # an ordinary install: the checkout's package would come first, and is refused
        assert result.stderr.count("\n") == 1 and "shadows them" in result.stderr and "PYTHONPATH" in result.stderr
    else:  # an editable install maps 'reviewers' to reviewkit's own source ahead of sys.path
        assert "security (blocking)" in result.stdout, result.stderr
