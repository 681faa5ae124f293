"""First contact: each mistake a new user makes gets one line on stderr naming what is wrong and where
(file, line, key, the valid forms, a close match), exit 2; an empty range is "nothing to review", exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GitRepo


@pytest.fixture
def project(feature_repo: GitRepo) -> GitRepo:
    feature_repo.commit("work", **{"app.py": "x = 1\n"})
    return feature_repo


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


CONFIG_MISTAKES = [
    (
        "[code_review]\nreviewers = []\n\n[reviewer.securty]\nblocking = false\n",
        ":4: key 'reviewer.securty': unknown reviewer 'securty' (did you mean 'security'?); registered: ",
    ),
    (
        '[supervisor]\nmax_session_duration = "2 hours"\n',
        ":2: key 'supervisor.max_session_duration': '2 hours' is not valid: expected seconds as a positive number, "
        'or a string such as "90s", "15m", "2h"',
    ),
    (
        '[[review_agents]]\nname = "style"\nprompt_file = "p.md"\n\n[[review_agents]]\nname = "security"\n'
        'prompt_file = "p.md"\n',
        ":6: key 'review_agents[1].name': 'security' is already the name of a reviewer from plugin 'security'; "
        "give this reviewer another name",
    ),
    (
        '[[review_agents]]\nname = "style"\nprompt_file = ".agents/reviewers"\n',
        ":3: key 'review_agents[0].prompt_file': '.agents/reviewers' is a directory; name a markdown file in it",
    ),
    ("[code_review]\nreviewrs = []\n", ":2: key 'code_review.reviewrs': unknown key (did you mean 'reviewers'?)"),
    (
        '[code_review]\nreviewers = ["securty"]\n',
        ":2: key 'code_review.reviewers': unknown reviewer 'securty' (did you mean 'security'?)",
    ),
]


@pytest.mark.parametrize(
    ("toml", "expected"),
    CONFIG_MISTAKES,
    ids=["reviewer-section-typo", "duration-forms", "agent-named-like-builtin", "prompt-dir", "key-typo", "list"],
)
def test_config_mistakes_name_file_line_and_fix(project: GitRepo, cli, toml: str, expected: str) -> None:
    project.write("p.md", "Review it.\n")
    project.write(".agents/reviewers/style.md", "Review style.\n")
    project.config(toml)
    line = one_line_error(cli("review", "--offline", cwd=project.root))
    assert line.startswith(f"reviewkit: error: {project.root / '.agents/config.toml'}")
    assert expected in line


def test_a_typo_in_a_reviewer_section_no_longer_leaves_security_blocking_silently(project: GitRepo, cli) -> None:
    """The typo'd section used to be accepted: the user believed security was a warning while it blocked."""
    project.config("[reviewer.securty]\nblocking = false\n")
    for command in (("review",), ("explain",), ("reviewers",)):
        assert "did you mean 'security'?" in one_line_error(cli(*command, cwd=project.root))
    project.config("[reviewer.security]\nblocking = false\n")
    assert cli("reviewers", "--format", "json", cwd=project.root).exit_code == 0


def test_disabling_an_unknown_plugin_names_the_installed_ones(project: GitRepo, cli) -> None:
    line = one_line_error(cli("review", "-p", "no:typo", cwd=project.root))
    assert "-p no:typo: no plugin is named 'typo'; installed plugins: " in line
    assert all(name in line for name in ("security", "test-integrity", "goal-adherence", "markdown"))
    close = one_line_error(cli("review", "-p", "no:secruity", cwd=project.root))
    assert "(did you mean 'security'?)" in close
    disabled = cli("review", "-p", "no:security", "--format", "json", "--offline", cwd=project.root)
    assert disabled.exit_code == 2 and "unknown reviewer 'security'" in disabled.stderr  # still listed in config


def test_unknown_head_says_so_even_where_a_base_exists(tmp_path: Path, project: GitRepo, cli) -> None:
    upstream = GitRepo(tmp_path / "upstream")
    upstream.commit("first", **{"README.md": "# up\n"})
    project.git("remote", "add", "origin", str(upstream.root))
    project.git("fetch", "-q", "origin")
    project.git("remote", "set-head", "origin", "main")
    line = one_line_error(cli("review", "--head", "nope", cwd=project.root))
    assert f"--head nope: unknown revision 'nope' in {project.root}" in line
    assert "cannot find a base" not in line
    base = one_line_error(cli("review", "--base", "nope", cwd=project.root))
    assert "--base nope: unknown revision 'nope'" in base


def test_shallow_clone_says_how_to_deepen(tmp_path: Path, project: GitRepo, cli) -> None:
    clone = tmp_path / "clone"
    GitRepo(tmp_path / "scratch").git("clone", "-q", "--depth", "1", f"file://{project.root}", str(clone))
    line = one_line_error(cli("review", "--base", "HEAD~1", cwd=clone))
    assert "--base HEAD~1: unknown revision 'HEAD~1'" in line
    assert "this clone is shallow" in line and "git fetch --deepen=" in line and "git fetch --unshallow" in line


def test_a_full_clone_gets_no_shallow_hint(project: GitRepo, cli) -> None:
    line = one_line_error(cli("review", "--base", "HEAD~9", cwd=project.root))
    assert "unknown revision 'HEAD~9'" in line and "shallow" not in line


def test_an_empty_range_is_nothing_to_review(project: GitRepo, cli) -> None:
    text = cli("review", "--base", "HEAD", cwd=project.root)
    assert text.exit_code == 0, text.stderr
    assert text.stdout.startswith("reviewkit: nothing to review: ") and "changes no files (exit 0)" in text.stdout
    assert "DEVELOPMENT_COMPLETE" not in text.stdout
    report = cli("review", "--base", "HEAD", "--format", "json", cwd=project.root).json()
    assert (report["decision"], report["exit_code"], report["verdicts"]) == ("DEVELOPMENT_COMPLETE", 0, [])
    assert report["reason"].startswith("nothing to review")


def test_version_loads_nothing_but_the_command_line(tmp_path: Path) -> None:
    """`reviewkit --version` runs in hooks and CI steps: it must not import the plugin API or its libraries
    (measured: about 0.12 s wall against 0.04 s for a bare interpreter; see docs/benchmarks.md)."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom reviewkit.cli import main\nmain(['--version'])\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('reviewkit', 'reviewers', 'pluggy', 'jsonschema', 'unidiff', 'anthropic', 'bandit', 'pathspec'))))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True)
    version, loaded = proc.stdout.splitlines()
    assert version.startswith("reviewkit ")
    assert loaded.split() == ["reviewkit", "reviewkit.cli", "reviewkit.errors", "reviewkit.version"]


def test_progress_is_forced_into_ci_logs_and_stays_off_stdout(project: GitRepo, cli) -> None:
    quiet = cli("review", "--offline", "--format", "json", cwd=project.root)
    assert quiet.stderr == ""  # not a terminal: no progress unless asked
    loud = cli("review", "--offline", "--progress", "--format", "json", cwd=project.root)
    lines = loud.stderr.splitlines()
    assert lines[0].startswith("reviewkit: [") and "reviewing 1 file(s), +1 -0" in lines[0]
    assert any("security: started" in line for line in lines) and any("security: done" in line for line in lines)
    assert loud.json()["decision"] == "DEVELOPMENT_COMPLETE"  # stdout is the report alone


def test_a_long_quiet_stretch_gets_a_heartbeat() -> None:
    import io
    import time

    from reviewkit.progress import Progress

    stream = io.StringIO()
    progress = Progress(stream, interval=0.05)
    progress("security: started")
    time.sleep(0.2)
    progress.close()
    beats = [line for line in stream.getvalue().splitlines() if "still working (last: security: started)" in line]
    assert len(beats) >= 2
