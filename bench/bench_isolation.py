"""What isolation costs a whole review: `reviewkit review` over a 20-commit range of a real project (this
repository's own history), with the test gate in its sandbox and without one.

    python bench/bench_isolation.py prepare DIR     # a clone of this repository with the range ready
    cd DIR && REVIEWKIT_SANDBOX=none reviewkit review --base HEAD~21 --offline --format json > /dev/null
    cd DIR && reviewkit review --base HEAD~21 --offline --format json > /dev/null

``prepare`` clones the repository at HEAD into DIR, then adds one commit on top that loads YAML unsafely,
so that the security reviewer's fix goes through the test gate (otherwise no gate would run). The gate
is a real test module of the project: ``python -m pytest -q -p no:cacheprovider tests/core/test_triggers.py``.
Time both commands with your timer of choice (hyperfine, /usr/bin/time -v) over several runs and quote
the medians; the figures in docs/benchmarks.md were taken this way on a shared 2-core machine.

The review runs every reviewer in a process of its own in both cases (that isolation cannot be turned
off on Linux); ``REVIEWKIT_ISOLATION=thread`` runs them in threads instead, for the third figure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATE = f"{sys.executable} -m pytest -q -p no:cacheprovider tests/core/test_triggers.py"
UNSAFE = "import yaml\n\n\ndef load_settings(text):\n    return yaml.load(text)\n"
IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


def prepare(target: Path) -> None:
    subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(target)], check=True)
    (target / "reviewkit" / "bench_settings.py").write_text(UNSAFE, encoding="utf-8")
    config = target / ".agents" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(f"[code_review]\ntest_command = '''{GATE}'''\n", encoding="utf-8")
    subprocess.run(["git", *IDENTITY, "add", "-A"], cwd=target, check=True)
    subprocess.run(["git", *IDENTITY, "commit", "-q", "-m", "bench: settings from YAML"], cwd=target, check=True)
    print(f"ready: cd {target} && reviewkit review --base HEAD~21 --offline")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "prepare":
        sys.exit(__doc__)
    prepare(Path(sys.argv[2]))
