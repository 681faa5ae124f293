"""Mechanical fixes: the verdict's patch applies with real `git apply` and, applied, removes the findings."""

from __future__ import annotations

import pytest
from conftest import GitRepo, review_with

from reviewers.security import SecurityReviewer

NO_ENTRY_POINT = ("security",)

FIXABLE = """import os
import subprocess
import tempfile

import requests
import yaml


def load(path):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.FullLoader)


def fetch(url):
    return requests.get(url, verify=False, timeout=10).json()


def scratch():
    path = tempfile.mktemp(suffix=".txt")
    return path


def listing():
    return subprocess.run("ls -l /var/spool", shell=True, capture_output=True)  # list the spool
"""

FIXED = """import os
import subprocess
import tempfile

import requests
import yaml


def load(path):
    with open(path) as fh:
        return yaml.safe_load(fh)


def fetch(url):
    return requests.get(url, timeout=10).json()


def scratch():
    path_fd, path = tempfile.mkstemp(suffix=".txt")
    os.close(path_fd)
    return path


def listing():
    return subprocess.run(["ls", "-l", "/var/spool"], capture_output=True)  # list the spool
"""


def security_verdict(repo: GitRepo):
    report = review_with([SecurityReviewer()], repo, blocked_plugins=NO_ENTRY_POINT)
    (verdict,) = report.verdicts
    return verdict


def apply(repo: GitRepo, patch: str) -> None:
    repo.write("fix.patch", patch)
    repo.git("apply", "--check", "fix.patch")  # real git: raises when the patch does not apply
    repo.git("apply", "fix.patch")
    (repo.root / "fix.patch").unlink()


def test_the_patch_applies_and_the_fixed_code_reviews_clean(feature_repo: GitRepo) -> None:
    feature_repo.commit("risky helpers", **{"app/helpers.py": FIXABLE})
    verdict = security_verdict(feature_repo)
    assert {f.rule for f in verdict.findings} == {
        "security/yaml-load",
        "security/tls-verify-disabled",
        "security/mktemp",
        "security/shell-true",
    }
    assert not any(f.fixed for f in verdict.findings) and verdict.fix.merged is False
    patch = verdict.fix.patch
    assert patch is not None and patch.startswith("diff --git a/app/helpers.py b/app/helpers.py\n")
    apply(feature_repo, patch)
    assert (feature_repo.root / "app/helpers.py").read_text() == FIXED
    feature_repo.commit("apply the fix")
    after = security_verdict(feature_repo)
    assert after.findings == () and after.fix.patch is None and after.status.value == "pass"


def test_unverified_ssl_context_becomes_the_default_context(feature_repo: GitRepo) -> None:
    code = "import ssl\n\n\ndef ctx():\n    return ssl._create_unverified_context()"  # no final newline
    feature_repo.commit("ctx", **{"net.py": code})
    verdict = security_verdict(feature_repo)
    assert [f.rule for f in verdict.findings] == ["security/unverified-ssl-context"]
    apply(feature_repo, verdict.fix.patch)
    assert (feature_repo.root / "net.py").read_text() == code.replace("_create_unverified", "create_default")


def test_crlf_files_keep_their_line_endings(feature_repo: GitRepo) -> None:
    code = "import yaml\r\n\r\n\r\ndef f(t):\r\n    return yaml.load(t)\r\n"
    feature_repo.commit("crlf", **{"win.py": code})
    verdict = security_verdict(feature_repo)
    apply(feature_repo, verdict.fix.patch)
    assert (feature_repo.root / "win.py").read_bytes() == code.replace("yaml.load", "yaml.safe_load").encode()


@pytest.mark.parametrize(
    "code",
    [
        # a shell pipeline: the list form would change what runs
        "import subprocess\n\n\ndef count():\n    return subprocess.run('ls /tmp | wc -l', shell=True)\n",
        # a loader this line does not name: the author must decide
        "import yaml\n\nfrom app.loaders import Custom\n\n\ndef f(t):\n    return yaml.load(t, Loader=Custom)\n",
        # mkstemp returns a file descriptor to close, and os is not imported here
        "import tempfile\n\n\ndef f():\n    name = tempfile.mktemp()\n    return name\n",
        # request data in a shell command: no mechanical fix is safe
        "import os\nfrom flask import request\n\n\ndef f():\n    os.system('ping ' + request.args['h'])\n",
        # verify=False on a line that also sends request data anywhere (SSRF): fixing half of the line would
        # make the fix stage count the SSRF as fixed
        "import requests\nfrom flask import request\n\n\ndef f():\n"
        "    return requests.get(request.args['u'], verify=False).text\n",
    ],
)
def test_ambiguous_findings_get_no_patch(feature_repo: GitRepo, code: str) -> None:
    feature_repo.commit("risky", **{"app/x.py": code})
    verdict = security_verdict(feature_repo)
    assert verdict.findings and verdict.fix.patch is None


def test_the_fix_stage_merges_the_patch_and_marks_the_findings_fixed(feature_repo: GitRepo) -> None:
    feature_repo.config('[code_review]\ntest_command = "git --version"\n')
    feature_repo.commit("risky helpers", **{"app/helpers.py": FIXABLE})
    report = review_with([SecurityReviewer()], feature_repo, blocked_plugins=NO_ENTRY_POINT)
    (verdict,) = report.verdicts
    assert verdict.fix.merged is True and all(f.fixed for f in verdict.findings)
    assert verdict.status.value == "fixed" and report.exit_code == 1  # fixed in reviewkit's commit only
    assert report.fixes.tests is not None and report.fixes.tests.passed


def test_a_finding_the_patch_cannot_fix_stays_unfixed_after_the_merge(feature_repo: GitRepo) -> None:
    feature_repo.config('[code_review]\ntest_command = "git --version"\n')
    code = FIXABLE + ("\n\ndef proxy(request):\n    return requests.get(request.GET['u'], verify=False).text\n")
    feature_repo.commit("risky helpers", **{"app/helpers.py": code})
    report = review_with([SecurityReviewer()], feature_repo, blocked_plugins=NO_ENTRY_POINT)
    (verdict,) = report.verdicts
    still_open = sorted(f.rule for f in verdict.findings if not f.fixed)
    assert still_open == ["security/ssrf", "security/tls-verify-disabled"]
    assert verdict.status.value == "blocking" and report.exit_code == 1


def test_files_that_are_not_utf8_get_no_patch_and_others_still_do(feature_repo: GitRepo) -> None:
    latin = b'# -*- coding: latin-1 -*-\nimport yaml\nname = "caf\xe9"\ndata = yaml.load(name)\n'
    feature_repo.commit(
        "loaders",
        **{"legacy/latin.py": latin, "my dir/c\u00f6nfig loader.py": "import yaml\n\nCFG = yaml.load('a: 1')\n"},
    )
    verdict = security_verdict(feature_repo)
    assert sorted(f.path for f in verdict.findings) == ["legacy/latin.py", "my dir/c\u00f6nfig loader.py"]
    assert "legacy/latin.py" not in verdict.fix.patch
    apply(feature_repo, verdict.fix.patch)
    assert "CFG = yaml.safe_load('a: 1')" in (feature_repo.root / "my dir/c\u00f6nfig loader.py").read_text()
