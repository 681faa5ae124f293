"""Benchmark: parse and route a 5,000-file, 200,000-changed-line diff.

Targets (issue 2): under 2 s and under 300 MB peak on a 2-core machine.

    python bench/bench_diff.py            # patch-file path: parse + route
    python bench/bench_diff.py --git      # also a real git range: git diff + numstat cross-check + parse + route

Each measurement runs in a fresh process so that peak RSS (ru_maxrss) is the run's own; the figure
includes the interpreter and reviewkit's imports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = 5000
CHANGED_LINES = 200_000
ROUTES = [
    "always",
    "path:src/**",
    "path:*.sql",
    ["path:docs/**", "path:!docs/generated/**"],
    "path:/setup.py",
    "label:security",
    ["label:perf", "path:src/core/**"],
    "path:migrations/**",
    "path:**/test_*.py",
    "path:src/pkg7/*.py",
]


def make_patch() -> str:
    """5,000 files: modified (context, deletions and additions), added, and renamed-with-edits."""
    per_file = CHANGED_LINES // FILES  # 40 changed lines per file
    out = []
    for i in range(FILES):
        path = f"src/pkg{i % 50}/module_{i}.py" if i % 3 else f"docs/page_{i}.md"
        if i % 10 == 0:
            out.append(
                f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
                f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{per_file} @@\n"
            )
            out.extend(f"+value_{j} = compute({j}, '{path}')\n" for j in range(per_file))
            continue
        half = per_file // 2
        out.append(
            f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -10,{half + 6} +10,{half + 6} @@ def function_{i}():\n"
        )
        out.extend(f"     context_{j} = {j}\n" for j in range(3))
        out.extend(f"-    old_{j} = legacy({j})\n" for j in range(half))
        out.extend(f"+    new_{j} = modern({j})\n" for j in range(half))
        out.extend(f"     trailer_{j} = {j}\n" for j in range(3))
    return "".join(out)


def measure_patch(path: str) -> dict[str, float]:
    from reviewkit.diff import Change, parse_patch_text

    text = Path(path).read_text()
    started = time.perf_counter()
    files = parse_patch_text(text, source=path)
    change = Change(files=files, source=path)
    parsed = time.perf_counter()
    fired = _route(change)
    routed = time.perf_counter()
    return _figures(change, started, parsed, routed, fired)


def measure_git(repo: str) -> dict[str, float]:
    from reviewkit.gitdiff import from_git

    started = time.perf_counter()
    change = from_git(Path(repo), "base", "head")
    parsed = time.perf_counter()
    fired = _route(change)
    routed = time.perf_counter()
    return _figures(change, started, parsed, routed, fired)


def _route(change) -> int:
    from reviewkit.triggers import parse_triggers

    paths = [f.paths for f in change.files]
    return sum(parse_triggers(spec).evaluate(paths, labels=("perf",)).fired for spec in ROUTES)


def _figures(change, started: float, parsed: float, routed: float, fired: int) -> dict[str, float]:
    import resource

    changed = sum(f.added + f.deleted for f in change.files)
    return {
        "files": len(change.files),
        "changed_lines": changed,
        "parse_s": round(parsed - started, 3),
        "route_s": round(routed - parsed, 3),
        "total_s": round(routed - started, 3),
        "fired": fired,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def make_repo(root: Path, patch: str) -> None:
    """A real repository whose base..head diff is the generated change."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }

    def git(*args: str, input: bytes | None = None) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, input=input, check=True, capture_output=True)

    git("init", "-q", "-b", "base")
    for i in range(FILES):
        if i % 10 == 0:
            continue
        path = root / (f"src/pkg{i % 50}/module_{i}.py" if i % 3 else f"docs/page_{i}.md")
        path.parent.mkdir(parents=True, exist_ok=True)
        half = CHANGED_LINES // FILES // 2
        body = [f"line_{j} = {j}\n" for j in range(9)] + [f"    context_{j} = {j}\n" for j in range(3)]
        body += [f"    old_{j} = legacy({j})\n" for j in range(half)] + [f"    trailer_{j} = {j}\n" for j in range(3)]
        path.write_text("".join(body))
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "head")
    git("apply", "-", input=patch.encode())
    git("add", "-A")
    git("commit", "-q", "-m", "head")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--git", action="store_true", help="also measure a real git range")
    parser.add_argument("--measure-patch")
    parser.add_argument("--measure-git")
    args = parser.parse_args()
    if args.measure_patch:
        print(json.dumps(measure_patch(args.measure_patch)))
        return
    if args.measure_git:
        print(json.dumps(measure_git(args.measure_git)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        patch = make_patch()
        patch_path = Path(tmp) / "big.patch"
        patch_path.write_text(patch)
        results = {"patch": _fresh(["--measure-patch", str(patch_path)])}
        if args.git:
            repo = Path(tmp) / "repo"
            repo.mkdir()
            make_repo(repo, patch)
            results["git"] = _fresh(["--measure-git", str(repo)])
    for name, figures in results.items():
        print(f"{name:>5}: {json.dumps(figures)}")


def _fresh(args: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


if __name__ == "__main__":
    main()
