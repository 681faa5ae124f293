"""No regular expression of reviewkit or its reviewers is super-linear on a hostile line (issue 10).

Python's regex engine holds the GIL while it backtracks, so no reviewer deadline fires: one crafted
4,000-character line in a YAML file kept the secrets scan busy for over a minute. Here every compiled
pattern in the modules of reviewkit and reviewers (module globals, class attributes and the containers
holding them) and every literal pattern handed to a ``re`` function is searched on hostile lines built
from its own literal fragments and from generic ones. A line four times longer must cost about four
times the CPU, not sixteen; a confirmed super-linear pattern, or one search past ``LIMIT_S``, fails.
Patterns built at run time are listed in ``BUILT_AT_RUN_TIME`` with the test that covers each, and the
end-to-end tests run hostile lines through ``reviewkit review``.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import GitRepo, review_with, run_reviewkit

from reviewers.test_integrity import production
from reviewkit import Finding, Reviewer
from reviewkit.verdict import evidence_matches

PACKAGES = ("reviewkit", "reviewers")
SHORT, LONG, LONGER = 4_000, 16_000, 64_000
LIMIT_S = 0.5  # CPU for one search of a 16,000-character line; linear patterns take milliseconds
GROWTH = 8  # LONG is four times SHORT: linear work grows about 4x, quadratic 16x
NOTICEABLE_S = 0.0002  # below this on a LONG line, growth is lost in timer noise and harmless anyway
SUSPECTS = 8  # hostile lines per pattern, the costliest at SHORT, measured again at LONG (and LONGER)

# Units a hostile line repeats whatever the pattern: the issue's `-token` line, runs of blanks, quotes,
# operators, word characters, brackets and line breaks.
GENERIC_UNITS = (
    "-token", " ", "\t", "\n", '"', "'", "`", "=", ":", "a", "0", "_", "-", ".", "/", "\\", "*", "@",
    "<", "[", "(", "{{", "a.", "a-", "a=", "a ", "a:", "a\n", "a/", "0.",
)  # fmt: skip
# What follows one of the pattern's fragments for a whole line: `fail_under` then 16,000 blanks.
PUMPS = (" ", "\t", "\n", "a", "=")
SUFFIXES = ("", " ", "=", '"')
# A pattern's source as literal characters and the rest.
_TOKEN = re.compile(
    r"\\(?P<escaped>.)"
    r"|\[\^?\]?(?:\\.|[^\]\\])*\]|\(\?(?:P<\w+>|P=\w+\)|[:=!>]|<[=!]|[aiLmsux-]+[:)])|\{\d*,?\d*\}|[()\[\]{}|*+?^$.]"
    r"|(?P<char>.)",
    re.S,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """A pattern, where it is defined, and how the code applies it."""

    where: str
    pattern: re.Pattern[str]
    method: str = "finditer"  # match and fullmatch for inline calls that anchor themselves


@dataclass(frozen=True, slots=True, kw_only=True)
class Hostile:
    """A line of ``n`` characters: ``head`` then ``unit`` repeated."""

    head: str
    unit: str

    def line(self, n: int) -> str:
        return (self.head + self.unit * (n // len(self.unit) + 1))[:n]

    def __str__(self) -> str:
        return f"{self.head!r} + {self.unit!r} * n"


# --- collecting the patterns -----------------------------------------------------------------------

# Positional index of the flags argument of each re function (the pattern is always the first).
_RE_FLAGS_AT = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3}
_RE_FLAGS_AT |= {"sub": 4, "subn": 4}
_FNMATCH_PATTERN_AT = {"fnmatch": 1, "fnmatchcase": 1, "filter": 1, "translate": 0}

# Functions that build a pattern at run time (from configuration, a literal in the code under review),
# by module and qualified name, with the test here that drives each on hostile input.
TRUSTED = "the repository's own configuration, read from the base revision in untrusted reviews"
CAPPED = "globs longer than any rule id or path needs are refused before fnmatch (test_capped_globs_are_fast)"
ESCAPED = "a re.escape()d literal between word boundaries: linear by construction"
BUILT_AT_RUN_TIME = {
    "reviewkit.config._line_of": "test_a_bad_key_after_many_blank_lines_is_named_at_its_own_line_at_once",
    "reviewers.test_integrity.production._occurs": "test_a_numeric_literal_is_found_in_linear_time",
    "reviewers.security.secrets._fmt": "test_no_pattern_is_super_linear",  # compiled at import into KEY_FORMATS
    "reviewkit.config._nth_array_table": "test_a_bad_key_after_many_blank_lines_is_named_at_its_own_line_at_once",
    # [[suppress]], `disable` and inline noqa globs, also an untrusted change's own; the inline one is driven
    # end to end by test_an_inline_noqa_list_of_many_brackets_suppresses_nothing_at_once.
    "reviewkit.suppress._glob": CAPPED,
    "reviewkit.learnings.covers": TRUSTED,  # .agents/learnings.toml (the base's in untrusted reviews)
    # reviewkit:accept:<rule> labels, counted only when added by someone with write access (and GitHub
    # caps a label's name at 50 characters)
    "reviewkit.github.conversation._Reader._label": TRUSTED,
    "reviewers.test_integrity.narrowing._matches": CAPPED,  # the change's own test-path globs
    "reviewers.test_integrity.narrowing.excluded_tests": CAPPED,  # the change's own norecursedirs globs
    "reviewers.test_integrity.pycompare._uses_import": ESCAPED,  # \\b + re.escape(identifier) + \\b
    "reviewers.patterns.measure._figure": TRUSTED,  # bench_pattern, searched on the bench command's output
    "reviewers.security.Settings.wants": TRUSTED,  # the security reviewer's `disable` globs
}


def _modules() -> list[ModuleType]:
    found = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        found.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if not info.name.endswith(".__main__"):  # importing it runs the command line
                found.append(importlib.import_module(info.name))
    return found


def _patterns_in(values: Iterable[Any], depth: int = 0) -> Iterator[re.Pattern[str]]:
    for value in values:
        if isinstance(value, re.Pattern):
            yield value
        elif depth >= 3:
            continue
        elif isinstance(value, tuple | list | set | frozenset):
            yield from _patterns_in(value, depth + 1)
        elif isinstance(value, dict):
            yield from _patterns_in(value.values(), depth + 1)
        elif is_dataclass(value) and not isinstance(value, type):
            yield from _patterns_in((getattr(value, f.name) for f in fields(value)), depth + 1)


def _compiled(module: ModuleType) -> Iterator[Subject]:
    """Patterns held by the module's globals and by the classes it defines."""
    for name, value in vars(module).items():
        own_class = isinstance(value, type) and value.__module__ == module.__name__
        for pattern in _patterns_in(vars(value).values() if own_class else (value,)):
            yield Subject(where=f"{module.__name__}.{name}", pattern=pattern)


class _Calls(ast.NodeVisitor):
    """Each call with the qualified name of the function it is in ('' at module and class level)."""

    def __init__(self) -> None:
        self.scope: list[str] = []
        self.in_function = 0
        self.calls: list[tuple[str, ast.Call]] = []
        self.imports_from: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.in_function += 1
        self.generic_visit(node)
        self.in_function -= 1
        self.scope.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module in ("re", "fnmatch"):
            self.imports_from.append(f"line {node.lineno}: from {node.module} import ...")

    def visit_Call(self, node: ast.Call) -> None:
        self.calls.append((".".join(self.scope) if self.in_function else "", node))
        self.generic_visit(node)


def _calls(module: ModuleType) -> _Calls:
    visitor = _Calls()
    visitor.visit(ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8")))
    return visitor


def _called(call: ast.Call, module_name: str) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == module_name:
        return func.attr
    return None


def _flags(node: ast.expr) -> int:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re":
        return int(getattr(re, node.attr))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) | _flags(node.right)
    raise AssertionError(f"flags this test cannot read: {ast.unparse(node)}")


def _inline(module: ModuleType, calls: _Calls) -> Iterator[Subject]:
    """Literal patterns handed straight to a re function, compiled with the call's flags."""
    for _, call in calls.calls:
        function = _called(call, "re")
        if function not in _RE_FLAGS_AT or not call.args:
            continue
        source = call.args[0]
        if not (isinstance(source, ast.Constant) and isinstance(source.value, str)):
            continue
        flag_args = [k.value for k in call.keywords if k.arg == "flags"] + call.args[_RE_FLAGS_AT[function] :][:1]
        flags = _flags(flag_args[0]) if flag_args else 0
        yield Subject(
            where=f"{module.__name__}:{call.lineno}",
            pattern=re.compile(source.value, flags),
            method=function if function in ("match", "fullmatch") else "finditer",
        )


def _built_at_run_time(module: ModuleType, calls: _Calls) -> set[str]:
    """Functions of ``module`` that hand a pattern that is not a literal to re or fnmatch."""
    found = set()
    for scope, call in calls.calls:
        if not scope:
            continue  # module level: what it compiles is a global, checked with the others
        for module_name, positions in (("re", _RE_FLAGS_AT), ("fnmatch", _FNMATCH_PATTERN_AT)):
            function = _called(call, module_name)
            if function not in positions:
                continue
            at = 0 if module_name == "re" else positions[function]
            source = call.args[at] if len(call.args) > at else None
            if not (isinstance(source, ast.Constant) and isinstance(source.value, str)):
                found.add(f"{module.__name__}.{scope}")
    return found


MODULES = _modules()
CALLS = {module.__name__: _calls(module) for module in MODULES}


def _subjects() -> list[Subject]:
    unique: dict[tuple[str, int, str], Subject] = {}
    for module in MODULES:
        for subject in [*_compiled(module), *_inline(module, CALLS[module.__name__])]:
            unique.setdefault((subject.pattern.pattern, subject.pattern.flags, subject.method), subject)
    return sorted(unique.values(), key=lambda s: s.where)


SUBJECTS = _subjects()


# --- hostile lines and timing ----------------------------------------------------------------------


def _fragments(source: str) -> list[str]:
    """Literal runs of a pattern's source: the text a hostile line repeats to keep the engine busy."""
    runs, run = set(), ""
    for token in _TOKEN.finditer(source):
        escaped, char = token["escaped"], token["char"]
        if char or (escaped and not escaped.isalnum()):
            run += char or escaped
        else:  # \b, \s, \d..., [classes], group openers, quantifiers and operators end a literal run
            runs.add(run)
            run = ""
    runs.add(run)
    runs.discard("")
    return sorted(runs, key=lambda r: (-len(r), r))[:24]


def _hostile(pattern: re.Pattern[str]) -> list[Hostile]:
    fragments = _fragments(pattern.pattern)
    units = set(GENERIC_UNITS)
    units |= {fragment + suffix for fragment in fragments for suffix in SUFFIXES}
    units |= {fragment[:-1] for fragment in fragments if len(fragment) > 1}  # near misses
    units |= {first + second for first in fragments[:6] for second in fragments[:6]}
    lines = [Hostile(head="", unit=unit) for unit in sorted(units) if unit]
    return lines + [Hostile(head=fragment, unit=pump) for fragment in fragments for pump in PUMPS]


class _TooSlow(BaseException):
    """Raised from the CPU timer: the engine checks for signals as it runs, so a runaway search stops."""


def _stop(signum: int, frame: Any) -> None:
    raise _TooSlow


@contextmanager
def _cpu_limit(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGVTALRM, _stop)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def _cpu_s(work: Callable[[], object]) -> float:
    """CPU seconds ``work`` takes in this thread (load on the machine does not count), or inf past LIMIT_S."""
    try:
        with _cpu_limit(LIMIT_S):
            start = time.thread_time()
            work()
            return time.thread_time() - start
    except _TooSlow:
        return float("inf")


def _search(subject: Subject, text: str) -> Callable[[], object]:
    if subject.method == "finditer":
        return lambda: sum(1 for _ in subject.pattern.finditer(text))
    return lambda: getattr(subject.pattern, subject.method)(text)


def _searching(subject: Subject, hostile: Hostile) -> Callable[[int], Callable[[], object]]:
    return lambda n: _search(subject, hostile.line(n))


def _super_linear(run: Callable[[int], Callable[[], object]], label: str, short: float | None = None) -> str | None:
    """Why ``run(n)`` (the work for an input of n characters) is not linear, or None when it is.

    One measurement per size screens (``short``: already taken at SHORT); growth past GROWTH is
    confirmed by the best of three at three sizes, so that a cache-cold run does not fail the build.
    """
    short = _cpu_s(run(SHORT)) if short is None else short
    long = _cpu_s(run(LONG))
    if long == float("inf"):
        return f"{label}: one search of {LONG:,} characters took over {LIMIT_S}s of CPU"
    if long < NOTICEABLE_S or long < GROWTH * short:
        return None
    best = [min(_cpu_s(run(n)) for _ in range(3)) for n in (SHORT, LONG, LONGER)]
    if best[1] > GROWTH * best[0] and best[2] > GROWTH * best[1]:
        return f"{label}: CPU {', '.join(f'{t * 1000:.1f}ms' for t in best)} for {SHORT:,}/{LONG:,}/{LONGER:,} chars"
    return None


# --- the patterns themselves -----------------------------------------------------------------------


def test_the_collection_finds_the_patterns_this_test_is_about() -> None:
    names = {subject.where for subject in SUBJECTS}
    assert {"reviewers.security.secrets._ASSIGNMENT", "reviewers.security.secrets.KEY_FORMATS"} <= names
    assert "reviewkit.provider.safety._TOKENS" in names
    assert any(subject.method == "fullmatch" for subject in SUBJECTS)  # inline re.fullmatch(r"...")
    assert len(SUBJECTS) > 80


@pytest.mark.parametrize("subject", SUBJECTS, ids=lambda s: s.where)
def test_no_pattern_is_super_linear(subject: Subject) -> None:
    # Work that grows faster than the line already shows as the costliest at SHORT: screen there, and
    # measure growth on the suspects only, which keeps this test to seconds.
    hostile = _hostile(subject.pattern)
    cost = [_cpu_s(_search(subject, line.line(SHORT))) for line in hostile]
    suspects = sorted(zip(cost, hostile, strict=True), key=lambda pair: -pair[0])[:SUSPECTS]
    problems = [
        problem for short, line in suspects if (problem := _super_linear(_searching(subject, line), str(line), short))
    ]
    assert not problems, f"{subject.where} /{subject.pattern.pattern}/ is super-linear on:\n" + "\n".join(problems)


def test_every_pattern_built_at_run_time_is_listed_with_its_test() -> None:
    built = set().union(*(_built_at_run_time(m, CALLS[m.__name__]) for m in MODULES))
    assert built == set(BUILT_AT_RUN_TIME), (
        "a function builds a regex or glob at run time: make it a module constant, or list it in "
        "BUILT_AT_RUN_TIME with a test that drives it on hostile input"
    )
    assert all(test in globals() or test in (TRUSTED, CAPPED, ESCAPED) for test in BUILT_AT_RUN_TIME.values())
    imports_from = {name: calls.imports_from for name, calls in CALLS.items() if calls.imports_from}
    assert not imports_from, f"call re and fnmatch through the module, so this test sees them: {imports_from}"


@pytest.mark.parametrize(
    "literal, unit", [("1" * 3_000 + "2", "1"), ("1" * 3_000 + "2", "1 "), ("-1.0", "-1."), ("12", "1 ")]
)
def test_a_numeric_literal_is_found_in_linear_time(literal: str, unit: str) -> None:
    # Test integrity looks for a literal of the production code under review in its tests' lines.
    problem = _super_linear(lambda n: lambda: production._occurs(literal, _long(unit, n)), f"{unit!r} * n")
    assert problem is None, problem


# --- end to end: hostile lines through `reviewkit review` ------------------------------------------


class Flagger(Reviewer):
    """Flags each added line that contains BLOCK, quoting it with the given evidence."""

    name = "flagger"
    blocking = True

    def __init__(self, evidence: Callable[[str], str] = lambda text: text) -> None:
        self.evidence = evidence

    def review(self, context: Any) -> Iterator[Finding]:
        for line in context.change.added_lines():
            if "BLOCK" in line.text:
                yield Finding(
                    rule="flagger/marker",
                    severity="high",
                    path=line.path,
                    line=line.number,
                    message="marker",
                    evidence=self.evidence(line.text),
                )


DOOR = ("args: " + "-token" * 700)[:4_000]  # the line
SECRET = "q8Vd2kLs9Xp3Rt7Yw1Zm4Nb6Hc5Jg0Fe2Ua8Si3O"


def test_the_long_token_line_in_yaml_is_reviewed_in_milliseconds(feature_repo: GitRepo) -> None:
    feature_repo.commit(
        "ci",
        **{
            ".github/workflows/ci.yml": (
                "name: ci\n"
                f"{DOOR}\n"
                f"aws_secret_access_key: {SECRET}\n"
                f'db_password: "Zx9Qw7Lm3Vb5Kd8J"  # {"-" * 5_000}\n'  # padding hid a secret behind a cap
            )
        },
    )
    result = run_reviewkit("review", "--base", "main", "--format", "json", cwd=feature_repo.root, timeout=60)
    report = result.json()
    durations = {v["reviewer"]: v["duration_s"] for v in report["verdicts"] if v["status"] != "skipped"}
    assert durations and all(seconds < 1.0 for seconds in durations.values()), durations
    found = sorted((f["rule"], f["line"]) for v in report["verdicts"] for f in v["findings"])
    assert found == [("security/aws-secret-key", 3), ("security/hardcoded-secret", 4)]
    assert SECRET not in result.stdout
    assert result.exit_code == 1


def _long(unit: str, n: int = LONG) -> str:
    return (unit * (n // len(unit) + 1))[:n]


# A 16,000-character line where each reviewer reads it: CI steps and pytest configuration (test
# integrity's safety net), a template, production Python (bandit, the test-detection checks), a JS test,
# an env file and Markdown (secrets).
HOSTILE_FILES = {
    ".github/workflows/ci.yml": f"steps:\n  - run: pytest -q {_long('add_marker(')}\n  - run: {_long('go test ')}\n",
    "pyproject.toml": f"[tool.coverage.report]\nfail_under{_long(' ')}x\n",
    "templates/page.html": f"<p>{_long('{{')}</p>\n",
    "app/main.py": f"import sys\nMODE = '{_long('sys.argv[0]')}'\n",
    "src/__tests__/app.test.js": f"test('{_long('-token')}', () => {{ expect(1).toBe(1) }})\n",
    "config/app.env": f"API_TOKEN={_long('eyJ')}\n",
    "docs/notes.md": f"{_long('[')}\n",
}


def test_hostile_lines_in_every_kind_of_file_are_reviewed_in_seconds(feature_repo: GitRepo) -> None:
    feature_repo.commit("hostile lines", **{path.replace("/", "__"): text for path, text in HOSTILE_FILES.items()})
    result = run_reviewkit("review", "--base", "main", "--format", "json", cwd=feature_repo.root, timeout=120)
    verdicts = result.json()["verdicts"]
    assert [v["reviewer"] for v in verdicts if v["status"] == "error"] == []
    durations = {v["reviewer"]: v["duration_s"] for v in verdicts if v["status"] != "skipped"}
    assert durations and all(seconds < 2.0 for seconds in durations.values()), durations


AGENTS = '[[review_agents]]\nname = "a"\nprompt_file = "a.md"\n\n[[review_agents]]\nname = "b"\nprompt_file = "b.md"\n'
BLANKS = "\n" * 20_000


@pytest.mark.parametrize(
    "config, named",
    [
        (
            f"[code_review]\n{BLANKS}enabled = true\n\n\n\nunknown_key = 1\n",
            "config.toml:20006: key 'code_review.unknown_key'",
        ),
        (f"{AGENTS}{BLANKS}bogus = 1\n", "config.toml:20008: key 'review_agents[1].bogus'"),
    ],
)
def test_a_bad_key_after_many_blank_lines_is_named_at_its_own_line_at_once(
    feature_repo: GitRepo, cli: Any, config: str, named: str
) -> None:
    # `^\s*` ran from every blank line over all the blank lines after it, and the key was reported at the
    # first blank line before it.
    feature_repo.config(config)
    feature_repo.commit("config")
    with _cpu_limit(5):
        result = cli("review", "--base", "main", cwd=feature_repo.root)
    assert result.exit_code == 2
    assert named in result.stderr


def test_an_inline_noqa_list_of_many_brackets_suppresses_nothing_at_once(feature_repo: GitRepo) -> None:
    # fnmatch translates an unclosed '[' by scanning the rest of the pattern: quadratic in the brackets.
    line = f"x = 1  # BLOCK  noqa: reviewkit[{'[' * 16_000}]\n"
    feature_repo.commit("work", **{"app.py": line})
    with _cpu_limit(5):
        report = review_with([Flagger()], feature_repo)
    assert [f.rule for f in report.verdicts[0].findings] == ["flagger/marker"]
    assert report.exit_code == 1


def test_evidence_through_many_redactions_is_checked_in_one_pass(feature_repo: GitRepo) -> None:
    # A model's finding quoting `a****a****...****c` against a line of `a`s: a regex of `.+?` joints
    # backtracked once per joint, exponentially. Quotes in order are kept, others dropped.
    feature_repo.commit("work", **{"app.py": f"x = '{'a' * 4_000}b'  # BLOCK\n"})
    with _cpu_limit(5):
        kept = review_with([Flagger(lambda text: "x = 'a" + "****a" * 12 + "****b'  # BLOCK")], feature_repo)
        dropped = review_with([Flagger(lambda text: "x = 'a" + "****a" * 12 + "****c'  # BLOCK")], feature_repo)
    assert [f.rule for f in kept.verdicts[0].findings] == ["flagger/marker"]
    assert (dropped.verdicts[0].findings, dropped.dropped_findings) == ((), 1)


def test_evidence_is_matched_in_linear_time() -> None:
    def check(n: int) -> Callable[[], object]:
        finding = Finding(rule="x/y", severity="low", path="a.py", line=1, message="m", evidence="a****a****b")
        return lambda: evidence_matches(finding, lambda side, path: ["a" * n])

    problem = _super_linear(check, "'a****a****b' against 'a' * n")
    assert problem is None, problem


def test_capped_globs_are_fast() -> None:
    """The globs an untrusted change controls (its own [[suppress]], disable, test-path patterns) are
    refused past a length no honest pattern reaches, before fnmatch's quadratic translation."""
    from reviewers.test_integrity import narrowing
    from reviewkit import suppress

    hostile = "[" * 16_000
    started = time.process_time()
    assert not suppress._glob("security/yaml-load", hostile)
    assert narrowing._matches("tests/test_a.py", hostile, glob=True)  # unreadable narrowing: fails closed
    assert time.process_time() - started < LIMIT_S
