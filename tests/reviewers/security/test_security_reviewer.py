"""The security reviewer end to end: real git repositories, the real pipeline, what a user sees."""

from __future__ import annotations

import json

import pytest
from conftest import GitRepo, review_with

from reviewers.security import SecurityReviewer
from reviewkit.gitdiff import from_git

# The built-in is also registered through its entry point; these tests hand the pipeline their own
# instance, so the entry point is blocked as `-p no:security` would.
NO_ENTRY_POINT = ("security",)

VIEW = """import os
import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    os.system("ping -c 1 " + request.args["host"])
    return "ok"
"""


def security_review(repo: GitRepo, **request: object):
    report = review_with([SecurityReviewer()], repo, blocked_plugins=NO_ENTRY_POINT, **request)
    (verdict,) = report.verdicts
    return report, verdict


def test_only_lines_the_change_adds_are_reported(feature_repo: GitRepo) -> None:
    feature_repo.git("checkout", "-q", "main")
    feature_repo.commit("old code", **{"app/views.py": VIEW})
    feature_repo.git("checkout", "-q", "feature")
    feature_repo.git("merge", "-q", "main")
    added = (
        VIEW
        + """

@app.route("/grep")
def grep():
    pattern = request.args["q"]
    return subprocess.check_output("grep -r " + pattern + " /srv", shell=True)
"""
    )
    feature_repo.commit("grep endpoint", **{"app/views.py": added})
    report, verdict = security_review(feature_repo)
    (finding,) = verdict.findings
    assert (finding.rule, finding.severity.value, finding.cwe) == ("security/command-injection", "critical", "CWE-78")
    assert finding.path == "app/views.py" and finding.line == 18
    assert finding.evidence == 'return subprocess.check_output("grep -r " + pattern + " /srv", shell=True)'
    assert "argument list" in finding.message and finding.fixed is False
    assert verdict.status.value == "blocking" and report.exit_code == 1
    assert report.decision == "CONTINUE_DEVELOPMENT" and report.dropped_findings == 0


def test_medium_findings_warn_without_blocking(feature_repo: GitRepo) -> None:
    feature_repo.commit(
        "codes",
        **{"app/codes.py": ("import random\n\n\ndef make_reset_code():\n    return random.randint(100000, 999999)\n")},
    )
    report, verdict = security_review(feature_repo)
    assert [(f.rule, f.severity.value) for f in verdict.findings] == [("security/insecure-random", "medium")]
    assert verdict.status.value == "warn" and report.exit_code == 0
    assert report.decision == "DEVELOPMENT_COMPLETE"


def test_ordinary_code_passes_quietly(feature_repo: GitRepo) -> None:
    feature_repo.commit(
        "util",
        **{
            "app/util.py": (
                "import subprocess\n\n\ndef head_sha(cwd):\n"
                "    return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=cwd, capture_output=True).stdout\n"
            ),
            "tests/test_util.py": (
                "import random\n\nfrom app.util import head_sha\n\n\ndef test_sha(tmp_path):\n"
                "    password = 'Fixture-Pa55word!'\n    assert head_sha(tmp_path) is not None\n"
                "    assert random.random() < 2\n"
            ),
        },
    )
    report, verdict = security_review(feature_repo)
    assert verdict.findings == () and verdict.status.value == "pass" and report.exit_code == 0


def test_shell_commands_built_only_from_sanitised_values_pass(feature_repo: GitRepo) -> None:
    feature_repo.commit(
        "tools",
        **{
            "app/tools.py": (
                "import os\nimport shlex\nimport subprocess\n\n\ndef nap(n):\n    seconds = int(n)\n"
                "    os.system('sleep %d' % seconds)\n\n\ndef show(path):\n"
                "    subprocess.run('cat ' + shlex.quote(path), shell=True)\n\n\ndef copy(src):\n"
                "    os.system('cp ' + src + ' /backup/')\n"
            )
        },
    )
    _, verdict = security_review(feature_repo)
    assert [(f.rule, f.line) for f in verdict.findings] == [("security/os-system", 16)]


def test_nosec_noqa_and_config_suppressions_are_honoured(feature_repo: GitRepo) -> None:
    loader = "import yaml\n\n\ndef load(text):\n    return yaml.load(text){comment}\n"
    feature_repo.config('[[suppress]]\nrule = "security/yaml-load"\npaths = ["legacy/**"]\nreason = "trusted"\n')
    feature_repo.commit(
        "loaders",
        **{
            "app/a.py": loader.format(comment="  # nosec"),
            "app/b.py": loader.format(comment="  # noqa: reviewkit[security/yaml-load]"),
            "app/c.py": loader.format(comment="  # nosec B506"),
            "app/d.py": loader.format(comment="  # nosec B101"),  # silences another test only
            "legacy/e.py": loader.format(comment=""),
            "app/f.py": loader.format(comment=""),
        },
    )
    _, verdict = security_review(feature_repo)
    assert sorted(f.path for f in verdict.findings) == ["app/d.py", "app/f.py"]
    assert {f.rule for f in verdict.findings} == {"security/yaml-load"}
    assert "the change adds # nosec at app/a.py:5, app/c.py:5, app/d.py:5" in verdict.summary


def test_files_that_cannot_be_analysed_make_the_review_incomplete(feature_repo: GitRepo) -> None:
    feature_repo.config("[reviewer.security.options]\nmax_file_bytes = 5000\n")
    feature_repo.commit(
        "odd files",
        **{
            "app/broken.py": "def f(:\n    pass\n",
            "app/py2.py": 'print "hello"\nexec "x = 1"\n',
            "app/blob.py": b"\x00\x01binary\x00yaml.load(x)\n",
            "app/huge.py": "import yaml\n" + "x = yaml.load(data)\n" * 400,
            "app/pb2.py": "# Generated by the protocol buffer compiler.  DO NOT EDIT!\nimport yaml\nyaml.load(s)\n",
            "app/ok.py": "import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n",
        },
    )
    report, verdict = security_review(feature_repo)
    # The marker is new in this change, so pb2.py is reviewed like any code; the others are listed.
    assert {(f.path, f.line, f.rule) for f in verdict.findings if f.path != "app/huge.py"} == {
        ("app/ok.py", 5, "security/yaml-load"),
        ("app/pb2.py", 3, "security/yaml-load"),
        ("app/py2.py", 2, "security/unparsed-sink"),
    }
    reasons = dict((n.path, n.reason) for n in verdict.not_reviewed)
    assert sorted(reasons) == ["app/blob.py", "app/broken.py", "app/huge.py", "app/py2.py"]
    assert reasons["app/broken.py"].startswith("added line(s) 1, 2 do not parse as Python 3.")
    assert reasons["app/huge.py"].startswith("8012 bytes is over max_file_bytes (5000)")
    assert verdict.status.value == "error" and report.exit_code == 3
    assert report.decision == "NOTIFY_MANAGEMENT"


def test_deleted_and_renamed_files_bring_no_findings(feature_repo: GitRepo) -> None:
    feature_repo.git("checkout", "-q", "main")
    feature_repo.commit("old", **{"app/views.py": VIEW, "app/old.py": "import yaml\nyaml.load(open('x'))\n"})
    feature_repo.git("checkout", "-q", "feature")
    feature_repo.git("merge", "-q", "main")
    feature_repo.git("mv", "app/views.py", "app/routes.py")
    feature_repo.remove("app/old.py")
    feature_repo.commit("move and delete")
    _, verdict = security_review(feature_repo)
    assert verdict.findings == () and verdict.status.value == "pass"


def test_options_disable_rules_and_raise_the_severity_floor(feature_repo: GitRepo) -> None:
    feature_repo.config('[reviewer.security.options]\ndisable = ["security/yaml-*"]\nmin_severity = "high"\n')
    feature_repo.commit(
        "mixed",
        **{
            "app/m.py": (
                "import random\nimport yaml\n\nimport requests\n\n\ndef session_token():\n"
                "    return random.getrandbits(64)\n\n\ndef cfg(t):\n    return yaml.load(t)\n\n\n"
                "def get(u):\n    return requests.get(u, verify=False)\n"
            )
        },
    )
    _, verdict = security_review(feature_repo)
    assert [f.rule for f in verdict.findings] == ["security/tls-verify-disabled"]


def test_a_bandit_test_can_be_disabled_by_its_id(feature_repo: GitRepo) -> None:
    feature_repo.config('[reviewer.security.options]\ndisable = ["b306"]\n')
    feature_repo.commit(
        "tmp",
        **{
            "app/t.py": (
                "import tempfile\n\nimport yaml\n\n\ndef f(t):\n    p = tempfile.mktemp()\n    return p, yaml.load(t)\n"
            )
        },
    )
    _, verdict = security_review(feature_repo)
    assert [f.rule for f in verdict.findings] == ["security/yaml-load"]


def test_bandit_tests_that_are_off_by_default_can_be_enabled(feature_repo: GitRepo) -> None:
    code = "import random\n\n\ndef jitter():\n    return random.random()\n"
    feature_repo.commit("jitter", **{"app/j.py": code})
    _, quiet = security_review(feature_repo)
    feature_repo.config('[reviewer.security.options]\nenable_bandit = ["B311"]\n')
    feature_repo.commit("enable B311")
    _, loud = security_review(feature_repo)
    assert quiet.findings == ()
    assert [(f.rule, f.line, f.message.endswith("(bandit B311)")) for f in loud.findings] == [
        ("security/blacklist", 5, True)
    ]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ('colour = "red"', "config.toml:2: key 'reviewer.security.options.colour': unknown key (allowed: bandit,"),
        ('min_severity = "severe"', "config.toml:2: key 'reviewer.security.options.min_severity': 'severe' does not"),
        ("disable = 3", "config.toml:2: key 'reviewer.security.options.disable': 3 is not of type 'array'"),
        ("max_file_bytes = -1", "config.toml:2: key 'reviewer.security.options.max_file_bytes': -1 is less than"),
    ],
)
def test_bad_options_are_a_configuration_error(feature_repo: GitRepo, cli, options: str, fragment: str) -> None:
    feature_repo.config(f"[reviewer.security.options]\n{options}\n")
    feature_repo.commit("app", **{"app/a.py": "x = 1\n"})
    result = cli("review", "--base", "main", "--offline", "--format", "json", cwd=feature_repo.root)
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert fragment in line and ".agents/config.toml" in line


AWS = "AKIA" + "QZ3T7XWLMPF2RKDN"  # built at run time: fake, and invisible to secret scanners
GENERIC = "Wq9!zR4#" + "pL7@kM2x"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown", "github", "rdjson"])
def test_secrets_are_never_printed_whole(feature_repo: GitRepo, cli, fmt: str) -> None:
    feature_repo.commit(
        "config",
        **{
            ".env": f"AWS_ACCESS_KEY_ID={AWS}\nDB_PASSWORD={GENERIC}\n",
            "deploy/app.yml": f"aws:\n  key: {AWS}\n",
        },
    )
    result = cli(
        "review", "--base", "main", "--offline", "--reviewer", "security", "--format", fmt, cwd=feature_repo.root
    )
    assert result.exit_code == 1, result.stderr
    for secret in (AWS, GENERIC, AWS[4:], GENERIC[:8], GENERIC[8:]):
        assert secret not in result.stdout and secret not in result.stderr
    if fmt == "json":
        findings = result.json()["verdicts"][0]["findings"]
        assert [(f["path"], f["line"], f["rule"], f["evidence"]) for f in findings] == [
            (".env", 1, "security/aws-access-key", "AWS_ACCESS_KEY_ID=AKIA****"),
            (".env", 2, "security/hardcoded-secret", "DB_PASSWORD=****"),
            ("deploy/app.yml", 2, "security/aws-access-key", "key: AKIA****"),
        ]
        assert json.loads(result.stdout)["dropped_findings"] == 0


def test_secret_formats_in_tests_warn_and_placeholders_pass(feature_repo: GitRepo) -> None:
    feature_repo.commit(
        "fixtures",
        **{
            "tests/fixtures/creds.json": f'{{"key": "{AWS}", "password": "{GENERIC}"}}\n',
            ".env.example": "AWS_ACCESS_KEY_ID=your-key-here\nDB_PASSWORD=changeme\nTOKEN=${TOKEN}\n",
        },
    )
    report, verdict = security_review(feature_repo)
    assert [(f.path, f.rule, f.severity.value) for f in verdict.findings] == [
        ("tests/fixtures/creds.json", "security/aws-access-key", "medium")
    ]
    assert verdict.status.value == "warn" and report.exit_code == 0


def test_the_installed_entry_point_reviews_by_default(feature_repo: GitRepo, cli) -> None:
    feature_repo.commit("app", **{"app/a.py": "import yaml\n\n\ndef f(t):\n    return yaml.load(t)\n"})
    result = cli("review", "--base", "main", "--offline", "--format", "json", cwd=feature_repo.root)
    verdicts = {v["reviewer"]: v for v in result.json()["verdicts"]}
    assert verdicts["security"]["status"] == "blocking" and verdicts["security"]["blocking"] is True
    assert [f["rule"] for f in verdicts["security"]["findings"]] == ["security/yaml-load"]
    assert result.exit_code == 1


def test_a_copied_file_is_reviewed_as_new_code(feature_repo: GitRepo) -> None:
    helpers = "".join(f"\n\ndef helper_{i}():\n    return {i}\n" for i in range(12))
    body = "import yaml\n\n\ndef load(fh):\n    return yaml.load(fh, Loader=yaml.Loader)\n" + helpers
    feature_repo.git("checkout", "-q", "main")
    feature_repo.commit("base", **{"legacy.py": body})
    feature_repo.git("checkout", "-q", "-B", "feature")
    # git -C reports new_module.py as a copy of legacy.py (legacy.py is also modified in this change).
    feature_repo.commit("copy", **{"legacy.py": body + "\n# touched\n", "new_module.py": body})
    statuses = {f.path: f.status.value for f in from_git(feature_repo.root, "main", "HEAD").files}
    assert statuses["new_module.py"] == "copied"
    _, verdict = security_review(feature_repo)
    flagged = {(f.path, f.line) for f in verdict.findings}
    assert ("new_module.py", 5) in flagged
    assert not any(path == "legacy.py" for path, _ in flagged)
