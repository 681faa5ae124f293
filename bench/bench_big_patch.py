"""Benchmark: reviewing very large changes offline, as a user runs it (issue 12, item 9).

Targets: a 70,000-added-line change reviewed in <= 10 s and <= 400 MB; a 50 MB patch in <= 60 s and
<= 1 GB peak RSS. Two sizes of one generated Python project (sources and tests, every file modified or
added; long, call-dense lines like the issue's 9.6 MB / 68k-line patch: a worst case), each reviewed from a
git range and from a patch file; or, with ``--real``, whole files of real code (Python's standard library,
then the installed packages; tests left out) added by one commit:

    python bench/bench_big_patch.py                  # test-integrity (the core's part), both sizes
    python bench/bench_big_patch.py --all            # also the whole default review (security included)
    python bench/bench_big_patch.py --sizes 70k      # one size
    python bench/bench_big_patch.py --all --real     # real code instead of the generated project

Each review runs as its own ``reviewkit`` process; time is wall time of that process and peak RSS is
the largest single process it ran (reviewkit itself or a git it started), from the OS's accounting.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchrepo import copy_modules, init_repo

SIZES = {"70k": 70_000, "50MB": 410_000}  # added lines; 410,000 lines of this shape make a ~50 MB patch
LINES_PER_FILE = 500


def source_lines(index: int, count: int) -> list[str]:
    """Realistic, long-ish Python lines (about 140 bytes each, like the issue's 9.6 MB / 68k-line patch)."""
    out = []
    for j in range(count):
        if j % 25 == 0:
            out.append(f"def handler_{index}_{j}(request, session, settings, *, timeout=30.0, retries=3):")
        else:
            out.append(
                f"    result_{j} = session.query(Model_{index % 97}).filter_by(key='{index}-{j}', "
                f"owner=request.user.id).order_by('-created').first()  # {j}"
            )
    return out


def test_lines(index: int, count: int) -> list[str]:
    out = []
    for j in range(count):
        if j % 5 == 0:
            out.append(f"def test_case_{index}_{j}(client, database, settings):")
        else:
            out.append(
                f"    assert client.get('/api/items/{index}/{j}', headers={{'X-Trace': 't{j}'}}).json()"
                f"['value'] == compute_expected({index}, {j}, scale=1.5)"
            )
    return out


def build(repo: Path, added: int) -> None:
    """main: a project whose files the feature branch grows; one test file in five."""
    git = init_repo(repo)
    files = max(1, added // LINES_PER_FILE)
    for i in range(files):
        path = repo / (f"tests/test_mod_{i}.py" if i % 5 == 0 else f"src/pkg{i % 40}/mod_{i}.py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import os\n\nVALUE = 1\n", encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "project")
    git("checkout", "-q", "-b", "feature")
    for i in range(files):
        path = repo / (f"tests/test_mod_{i}.py" if i % 5 == 0 else f"src/pkg{i % 40}/mod_{i}.py")
        body = (test_lines if i % 5 == 0 else source_lines)(i, LINES_PER_FILE)
        path.write_text("import os\n\nVALUE = 1\n" + "\n".join(body) + "\n", encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "grow")


def build_real(repo: Path, size: str) -> None:
    """main: an empty project; the feature branch adds whole real modules until the size is reached."""
    git = init_repo(repo)
    git("checkout", "-q", "-b", "feature")
    stdlib, packages = (Path(sysconfig.get_paths()[key]) for key in ("stdlib", "purelib"))
    sources = [
        (stdlib, repo / "src" / stdlib.name, frozenset({"test", "tests", "idlelib", "site-packages"})),
        (packages, repo / "src" / packages.name, frozenset({"test", "tests"})),
    ]

    def enough(lines: int, files: int, size_bytes: int) -> bool:
        # a diff adds a "+" per line and about 200 bytes of headers per file
        return lines >= SIZES[size] if size == "70k" else size_bytes + lines + 200 * files >= 50_000_000

    copy_modules(sources, enough)
    git("add", "-A")
    git("commit", "-q", "-m", "grow")


def measure(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of ``reviewkit ARGS`` in a fresh measuring process."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "start = time.monotonic()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "wall = time.monotonic() - start\n"
        "print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    command = [sys.executable, "-c", probe, sys.executable, "-m", "reviewkit", *args]
    out = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]) / 1024, int(out[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=sorted(SIZES, reverse=True))
    parser.add_argument("--all", action="store_true", help="also the whole default review (security included)")
    parser.add_argument("--real", action="store_true", help="real code (stdlib, installed packages), not generated")
    options = parser.parse_args()
    reviews = {"test-integrity": ["--reviewer", "test-integrity"]}
    if options.all:
        reviews["default reviewers"] = []
    print(f"{'change':<8} {'patch':>8} {'review':<18} {'input':<10} {'wall s':>7} {'peak MiB':>9} {'exit':>4}")
    with tempfile.TemporaryDirectory(prefix="reviewkit-big-") as scratch:
        for size in options.sizes:
            repo = Path(scratch) / size
            build_real(repo, size) if options.real else build(repo, SIZES[size])
            patch = Path(scratch) / f"{size}.patch"
            with patch.open("wb") as handle:
                subprocess.run(["git", "diff", "main", "feature"], cwd=repo, stdout=handle, check=True)
            megabytes = patch.stat().st_size / 1e6
            for name, selection in reviews.items():
                for source, flags in (("git range", ["--base", "main"]), ("patch file", ["--diff", str(patch)])):
                    wall, rss, code = measure(["review", "--offline", "--format", "json", *selection, *flags], repo)
                    print(f"{size:<8} {megabytes:>6.1f}MB {name:<18} {source:<10} {wall:>7.1f} {rss:>9.0f} {code:>4}")
    flags = (" --all" if options.all else "") + (" --real" if options.real else "")
    print(f"({os.cpu_count()} cores; rerun: python bench/bench_big_patch.py{flags})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
