"""Run the security reviewer over real code nobody on the project wrote: the sources of widely used
pure-Python packages from PyPI, reviewed as one change that adds every file.

    pip install -q --no-deps --target $TMPDIR/secreal/site \
        flask requests click jinja2 rich werkzeug itsdangerous attrs urllib3 idna packaging
    pip install -q --no-deps --target $TMPDIR/secreal/site2 \
        httpx starlette fastapi sqlalchemy pygments markdown django
    python bench/security_real_code.py $TMPDIR/secreal/site $TMPDIR/secreal/site2

Every top-level package directory under the given directories is added. Prints added lines, findings per
10,000 added lines (goal: at most 5) and every finding.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchrepo import init_repo

from reviewkit.pipeline import ReviewRequest, review


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: security_real_code.py SITE_DIR... (see this file's docstring)", file=sys.stderr)
        return 2
    sites = [Path(arg) for arg in argv]
    packages = sorted(
        p
        for site in sites
        if site.is_dir()
        for p in site.iterdir()
        if p.is_dir() and not p.name.endswith((".dist-info", ".data")) and p.name not in ("bin", "__pycache__")
    )
    if not packages:
        print(f"no packages under {', '.join(map(str, sites))} (see this file's docstring)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        lines = _commit_packages(packages, repo)
        started = time.perf_counter()
        report = review(ReviewRequest(repo=repo, base="HEAD~1", head="HEAD", reviewers=("security",), offline=True))
        elapsed = time.perf_counter() - started
    verdict = report.verdicts[0]
    findings = sorted(verdict.findings, key=lambda f: (f.path, f.line))
    print(f"packages: {', '.join(p.name for p in packages)}")
    print(
        f"added Python lines: {lines}; findings: {len(findings)}; "
        f"per 10,000 added lines: {len(findings) * 10_000 / lines:.2f}; review {elapsed:.1f}s"
    )
    print(f"verdict: {verdict.status.value}; {verdict.summary}")
    for f in findings:
        print(f"  {f.path}:{f.line} {f.severity.value} {f.rule} {f.cwe}: {f.evidence}")
    return 0


def _commit_packages(packages: list[Path], repo: Path) -> int:
    git = init_repo(repo)
    total = 0
    for package in packages:
        for source in sorted(package.rglob("*.py")):
            target = repo / "pkgs" / source.relative_to(package.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            total += source.read_text(encoding="utf-8", errors="replace").count("\n")
    git("add", "-A")
    git("commit", "-q", "-m", "add package sources")
    return total


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
