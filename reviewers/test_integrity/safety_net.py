"""The safety net around the tests: test configuration, conftest.py, coverage thresholds and CI.

These files are read line by line, added against removed, because the tricks are one line each
(``--deselect``, ``collect_ignore``, ``|| true``, ``continue-on-error: true``, a lower ``fail_under``)
and their formats (ini, toml, yaml, make, json) share no parser worth the dependency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from reviewkit import Finding, Severity, Side

from .narrowing import command_narrowed, excluded_tests, selects_markers, testpaths_narrowed
from .pairs import RULE, Analysis, FilePair, changed_lines, finding

_CONFIG_NAMES = frozenset(
    {
        "pytest.ini",
        "tox.ini",
        "setup.cfg",
        "pyproject.toml",
        ".coveragerc",
        "conftest.py",
        "noxfile.py",
        "Makefile",
        "makefile",
        "GNUmakefile",
        "package.json",
        "Jenkinsfile",
        ".travis.yml",
        ".gitlab-ci.yml",
        "azure-pipelines.yml",
        "justfile",
        "codecov.yml",
        ".codecov.yml",
        ".testr.conf",
        ".stestr.conf",
    }
)
_CONFIG_PREFIXES = ("jest.config.", "vitest.config.", "vite.config.", "karma.conf.")
_CI_DIRS = (".github/workflows/", ".circleci/", ".ci/", "ci/", ".buildkite/", "scripts/")

# A runner named in command position: `.tox/bin` or `pytest-cov` are not test runs.
TEST_COMMAND = re.compile(
    r"(?<![\w./-])(pytest|py\.test|tox|nox|coverage run|go test|jest|vitest|cargo test|ctest|mvn test"
    r"|gradle test|phpunit|rspec|manage\.py test|(npm|yarn|pnpm)( run)? test|make (test|check)"
    r"|python -m unittest|subunit\.run)(?![\w/.-])|\.ci/run\b"
)
_NOT_A_COMMAND = re.compile(r"\b(name|deps|requires|install|import|uses|description)\b|^\s*\[|^\s*-\s*name:")
_COLLECTION = [
    (re.compile(r"--deselect\b"), "deselects tests"),
    (re.compile(r"\bcollect_ignore(_glob)?\b"), "tells pytest not to collect files"),
    (re.compile(r"\bpytest_ignore_collect\b"), "adds a hook that ignores test files"),
    (re.compile(r"\bnorecursedirs\b"), "stops pytest from entering directories"),
    # `(?:(?!X).)*` after X stops where the next X would start an attempt: a line of many X is read once.
    (
        re.compile(r"\badd_marker\((?:(?!\badd_marker\().)*\b(skip|xfail)\b"),
        "marks collected tests skipped or expected to fail",
    ),
    (
        re.compile(r"\bitems\s*\[\s*:\s*\]\s*=|\bitems\.(remove|clear|pop)\(|pytest_deselected"),
        "removes collected tests",
    ),
    (re.compile(r"\b__test__\s*=\s*False"), "hides tests from collection"),
    (re.compile(r"\bpython_(files|functions|classes)\s*="), "changes which names pytest collects"),
    (re.compile(r"testPathIgnorePatterns"), "excludes test files"),
    (re.compile(r"\bgo test\b(?:(?!\bgo test\b).)*\s-skip\b"), "skips Go tests"),
]
# Options other tools share (ruff --ignore, ssh -k): they narrow a test run only where pytest reads
# them, on a pytest command line or in a pytest configuration file.
_PYTEST_ONLY: list[tuple[re.Pattern[str] | None, str]] = [
    (re.compile(r"--ignore(-glob)?(?![\w-])"), "tells pytest to ignore paths"),
    (re.compile(r"-p\s*no:"), "disables a pytest plugin"),
    (re.compile(r"(^|[\s\"'=])-k(\s|=|$)"), "selects a subset of the tests with -k"),
    (None, "selects a subset of the tests by marker with -m"),
]
_PYTEST_CONTEXT = re.compile(r"\b(pytest|py\.test|addopts)\b")
_PYTEST_FILES = frozenset({"pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml"})
_OTHER_TOOLS = re.compile(r"\b(ruff|flake8|mypy|pylint|black|isort|coverage|bandit|pyright|codespell)\b")
_IGNORED_FAILURE = [
    re.compile(r"\bcontinue-on-error:\s*(true|\$\{\{\s*true)"),
    re.compile(r"\ballow_failure:\s*true"),
    re.compile(r"\bif:\s*(false|\$\{\{\s*false)"),
]
_DEPENDENCY_SECTION = re.compile(r"depend|require|extras|options\]|groups")
_EXIT_STATUS = re.compile(r"\bexitstatus\s*=\s*0\b")  # a conftest hook overwriting pytest's verdict
_IGNORED_ON_COMMAND = re.compile(r"\|\|\s*(true|:|exit\s+0|echo\b)|;\s*(exit\s+0|true)\s*$|\bset \+e\b")
_THRESHOLD = re.compile(
    # `\s*[=:\s]\s*` split a run of blanks three ways (cubic); this reads the same strings once.
    r"\b(?:fail_under|fail-under|cov-fail-under|minimum_coverage)\b(?:\s*+[=:]|\s)\s*+[\"']?(\d+(?:\.\d+)?)"
)


def is_safety_net(path: str) -> bool:
    p = PurePosixPath(path)
    if p.name in _CONFIG_NAMES or p.name.startswith(_CONFIG_PREFIXES):
        return True
    return path.startswith(_CI_DIRS) and p.suffix in (".yml", ".yaml", ".sh", "", ".cfg", ".toml", ".py")


def check_safety_net(pairs: Sequence[FilePair], test_files: Sequence[str] | None = None) -> Analysis:
    """``test_files``: the head's test files, when known: an exclusion that keeps none of them from
    running is a note."""
    result = Analysis()
    removed_commands: list[tuple[FilePair, int, str]] = []
    added_commands: list[tuple[FilePair, int, str]] = []
    for pair in pairs:
        changed = changed_lines(pair)
        for number, text in changed.added:
            if _is_comment(text):
                continue
            _check_added(pair, number, text, result)
            if _is_test_command(text) and not _in_dependencies(pair.head, number):
                added_commands.append((pair, number, text))
        removed_commands += [
            (pair, n, t)
            for n, t in changed.removed
            if not _is_comment(t) and _is_test_command(t) and not _in_dependencies(pair.base, n)
        ]
    moved_to = max((value for pair in pairs for _, value, _ in _thresholds(pair.head)), default=0.0)
    for pair in pairs:
        _check_threshold(pair, moved_to, result)
        _check_testpaths(pair, result)
    _check_removed_commands(removed_commands, added_commands, result)
    if test_files is not None:
        result.findings = [_weighed(f, test_files) for f in result.findings]
    return result


def _weighed(item: Finding, test_files: Sequence[str]) -> Finding:
    if item.rule != f"{RULE}/collection-narrowed":
        return item
    excluded = excluded_tests(item.path, item.evidence, test_files)
    if excluded is None:
        return item
    if not excluded:
        return replace(
            item, severity=Severity.LOW, message=f"{item.message}; it excludes none of the head's test files"
        )
    shown = ", ".join(excluded[:3]) + (" ..." if len(excluded) > 3 else "")
    return replace(item, severity=Severity.HIGH, message=f"{item.message}; it excludes {shown}")


def _is_comment(text: str) -> bool:
    return text.strip().startswith(("#", "//", ";"))


def _is_test_command(text: str) -> bool:
    return TEST_COMMAND.search(text) is not None and _NOT_A_COMMAND.search(text) is None


def _in_dependencies(text: str | None, number: int) -> bool:
    """Whether line ``number`` lies in an ini or toml section listing dependencies (``pytest`` there is a
    package, not a test run): ``[options.extras_require]``, ``[project.optional-dependencies]``..."""
    lines = (text or "").splitlines()
    for line in reversed(lines[: max(number - 1, 0)]):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]") and not stripped.startswith("[["):
            return _DEPENDENCY_SECTION.search(stripped) is not None
    return False


def _command(text: str) -> str:
    return " ".join(re.sub(r"^\s*(-\s*)?(run:|script:|commands\s*=|\"test\"\s*:)?", "", text).split())


def _check_added(pair: FilePair, number: int, text: str, result: Analysis) -> None:
    for pattern, what in _COLLECTION:
        if pattern.search(text):
            result.findings.append(
                finding(
                    "collection-narrowed",
                    "high",
                    pair.path,
                    number,
                    text,
                    f"the change {what} ({text.strip()}): tests that ran before may not run now",
                )
            )
            return
    pytest_reads = _PYTEST_CONTEXT.search(text) or (
        PurePosixPath(pair.path).name in _PYTEST_FILES and not _OTHER_TOOLS.search(text)
    )
    for option, what in _PYTEST_ONLY if pytest_reads else []:
        if option.search(text) if option is not None else selects_markers(text):
            result.findings.append(
                finding(
                    "collection-narrowed",
                    "medium",
                    pair.path,
                    number,
                    text,
                    f"the change {what} ({text.strip()}): tests that ran before may not run now",
                    confidence=0.7,
                )
            )
            return
    ignores = any(p.search(text) for p in _IGNORED_FAILURE) and _block_runs_tests(pair.head, number)
    if ignores or _EXIT_STATUS.search(text) or (_is_test_command(text) and _IGNORED_ON_COMMAND.search(text)):
        result.findings.append(
            finding(
                "ci-failure-ignored",
                "high",
                pair.path,
                number,
                text,
                f"failing tests no longer fail the build ({text.strip()})",
            )
        )


def _block_runs_tests(text: str | None, number: int) -> bool:
    """Whether the YAML block holding line ``number`` (its step, or its job) runs tests: a
    ``continue-on-error`` on an upload or lint step loosens nothing. Non-YAML files count as one block."""
    lines = (text or "").splitlines()
    if not 0 < number <= len(lines):
        return False
    indent = _indent(lines[number - 1])
    start = next((i for i in range(number - 2, -1, -1) if lines[i].strip() and _indent(lines[i]) < indent), -1)
    if start < 0:
        return any(_is_test_command(line) for line in lines)
    parent = _indent(lines[start])
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if line.strip() and _indent(line) <= parent:
            break
        block.append(line)
    return any(_is_test_command(line) for line in block)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _thresholds(text: str | None) -> list[tuple[int, float, str]]:
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        match = _THRESHOLD.search(line)
        if match and not _is_comment(line):
            found.append((number, float(match.group(1)), line))
    return found


def _check_threshold(pair: FilePair, elsewhere: float, result: Analysis) -> None:
    """A threshold lowered in its file, or removed from it and not set as high in another changed file."""
    before, after = _thresholds(pair.base), _thresholds(pair.head)
    if not before:
        return
    highest = max(value for _, value, _ in before)
    if not after:
        if elsewhere < highest:
            line, value, text = max(before, key=lambda item: item[1])
            result.findings.append(
                finding(
                    "coverage-lowered",
                    "high",
                    pair.old_path,
                    line,
                    text,
                    f"the coverage threshold ({value:g}) is removed",
                    side=Side.BASE,
                )
            )
        return
    line, value, text = min(after, key=lambda item: item[1])
    if value < highest:
        result.findings.append(
            finding(
                "coverage-lowered",
                "high",
                pair.path,
                line,
                text,
                f"the coverage threshold is lowered from {highest:g} to {value:g}",
            )
        )


def _check_edited_command(old: str, pair: FilePair, number: int, new: str, result: Analysis) -> None:
    narrowed = command_narrowed(_command(old), _command(new))
    if narrowed:
        result.findings.append(
            finding(
                "collection-narrowed",
                "high",
                pair.path,
                number,
                new,
                f"the edited test command {narrowed} ({new.strip()}): tests outside it no longer run",
            )
        )


def _check_testpaths(pair: FilePair, result: Analysis) -> None:
    if PurePosixPath(pair.path).name not in _PYTEST_FILES:
        return
    narrowed = testpaths_narrowed(pair.base, pair.head)
    if narrowed:
        line, message = narrowed
        text = (pair.head or "").splitlines()[line - 1]
        result.findings.append(
            finding("collection-narrowed", "high", pair.path, line, text, f"{message}: tests there no longer run")
        )


def _check_removed_commands(
    removed: list[tuple[FilePair, int, str]], added: list[tuple[FilePair, int, str]], result: Analysis
) -> None:
    """A removed test command is accounted for by an equal one added anywhere, else by a test command
    added in the same file (an edited command, which must not run fewer tests); what is left is a test
    run the change took away."""
    pool = list(added)
    rest = []
    for pair, number, text in removed:
        same = next((item for item in pool if _command(item[2]) == _command(text)), None)
        if same:
            pool.remove(same)
        else:
            rest.append((pair, number, text))
    for pair, number, text in rest:
        edited = next((item for item in pool if item[0].path == pair.path), None)
        if edited:
            pool.remove(edited)
            _check_edited_command(text, *edited, result)
            continue
        result.findings.append(
            finding(
                "ci-tests-removed",
                "high",
                pair.old_path,
                number,
                text,
                f"the change removes a test run ({text.strip()}) and adds none in its place",
                side=Side.BASE,
            )
        )
