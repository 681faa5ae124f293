"""test-integrity: catches a change that makes tests pass by weakening them instead of fixing the code.

It compares the base and head of every changed test file (Python by syntax tree; JavaScript/TypeScript
and Go by test blocks), of the production code the tests exercise, and of the configuration and CI
files that decide which tests run and whether their failure counts. No model and no network needed;
with a model, the ambiguous findings (an expected value edited together with the code, a mock, a
conditional skip) get a second look. The fix restores the base version of each weakened or deleted
test as a patch; whether the restored tests pass is the test gate's call, so findings stay unfixed.

Unreadable is never clean: a changed file it is responsible for but cannot analyse fully (syntax its
Python cannot read where the change touches it, bytes that are not UTF-8, binary content, a patch
without its repository) is reported with ``context.not_reviewed``, which makes the review incomplete;
what can still be read is analysed (see docs/test-integrity.md for exactly when).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath

from reviewkit import FileChange, Finding, ReviewContext, Reviewer, Severity, Side, hookimpl

from .execution import confirm
from .fix import restore_patch
from .model import goal_check, triage
from .otherlangs import compare_blocks
from .pairs import (
    Analysis,
    Changed,
    FilePair,
    LiteralSearch,
    Restore,
    changed_lines,
    finding,
    is_go_test,
    is_js_test,
    is_python_source,
    is_python_test,
    is_test_file,
)
from .production import SOURCE_SUFFIXES, check_production
from .pycompare import Evidence, compare_python_tests
from .pylines import line_checks
from .pyparse import TestModule
from .pyread import PythonFiles
from .rule_docs import RULES
from .safety_net import check_safety_net, is_safety_net
from .skipgates import oldest_python
from .subjects import removed_subjects

_TEST_PATHSPECS = (
    ":(glob)**/test_*.py",
    ":(glob)**/*_test.py",
    ":(glob)**/tests/**",
    ":(glob)**/test/**",
    ":(glob)**/conftest.py",
    ":(glob)**/*.test.*",
    ":(glob)**/*.spec.*",
    ":(glob)**/*_test.go",
)
_DOCTEST = re.compile(r"^\s*>>> ")
_MAX_GREP_FILES = 200  # test files read to pair a special-cased input with its expected output
_PATCH_ONLY = "a patch without its base revision: only the diff's lines are known, so tests are read line by line"


class TestIntegrity(Reviewer):
    name = "test-integrity"
    description = (
        "Catches changes that make tests pass by weakening them: deleted, skipped or emptied "
        "tests, weaker assertions, edited expectations, tests special-cased in code, looser CI."
    )
    blocking = True
    trigger = "always"
    rules = RULES
    __test__ = False  # pytest: this class is a reviewer, not a test class

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        pairs = _pairs(context)
        syntax = context.head.complete and context.base.complete
        if not syntax:
            context.note("patch without its base revision: only line-level checks ran (no syntax-tree comparison)")
        search = _git_search(context, pairs)
        # From the base: a change must not widen the Python versions its own skips are judged against.
        oldest = oldest_python(context.base.read_text("pyproject.toml"), context.base.read_text("setup.cfg"))
        result = analyse(pairs, search, syntax=syntax, test_files=_test_files(context), oldest_python=oldest)
        for note in result.notes:
            context.note(note)
        for path, reason in result.unreviewed:
            context.not_reviewed(path, reason)
        findings = confirm(context, result.findings, result.runs)
        if context.model is not None:
            findings = goal_check(context, findings) + triage(context, findings, self.blocks)
        # Only what blocks is worth undoing: a note's restore would revert an intended change.
        needed = _needed(result.restores, [f for f in findings if self.blocks(f)])
        patch = restore_patch(needed, pairs)
        if patch:
            context.propose_fix(patch, fixes=_undone(needed, findings))
        return [_advised(f, self.blocks(f), any(_undoes(r, f) for r in needed)) for f in findings]

    def blocks(self, finding: Finding) -> bool:
        """Medium and above block: evidence that checking was removed without a reason. Low findings are
        notes with the same evidence: a check dropped with its subject, an expectation edited with the
        code, a skip that does not skip here, a doctest removed (whether doctests run at all depends on
        how the project invokes pytest)."""
        return finding.severity.rank >= Severity.MEDIUM.rank


def analyse(
    pairs: Sequence[FilePair],
    search: LiteralSearch | None = None,
    *,
    syntax: bool = True,
    test_files: Sequence[str] | None = None,
    oldest_python: int | None = None,
) -> Analysis:
    """Every check over the changed files ``pairs``: the reviewer's whole logic as a pure function.

    :param search: the texts of the head's test files holding any of some literals (tests the change
        did not touch); defaults to looking in the changed test files only.
    :param syntax: False when only the diff's lines are known (a patch without a repository).
    :param test_files: every test file of the head, when known (what an exclusion keeps from running).
    :param oldest_python: the oldest Python 3 minor the project supports (a version gate that runs there
        hides nothing).
    """
    search = search or _search_in(pairs)
    files = PythonFiles()
    result = Analysis()
    # A test file renamed to a name pytest does not collect (test_x.py.bak, x_tests.py) is gone.
    python_tests = [
        p if is_python_test(p.path) else replace(p, head=None)
        for p in pairs
        if is_python_test(p.path) or is_python_test(p.old_path)
    ]
    js_tests = [p for p in pairs if is_js_test(p.path) or is_js_test(p.old_path)]
    go_tests = [p for p in pairs if is_go_test(p.path) or is_go_test(p.old_path)]
    if syntax:
        evidence = Evidence(
            covered=_covered_by(pairs),
            removed=removed_subjects(pairs, files),
            production_changed=any(_is_production(p) for p in pairs),
            oldest_python=oldest_python,
        )
        result.extend(compare_python_tests(python_tests, evidence, files))
    else:
        # A patch alone knows the hunks' lines only: tests outside them, and what they call, are unseen.
        result.extend(line_checks(python_tests))
        result.unreviewed += [(p.path, _PATCH_ONLY) for p in [*python_tests, *js_tests, *go_tests]]
    result.extend(compare_blocks(js_tests, go=False))
    result.extend(compare_blocks(go_tests, go=True))
    nets = [p for p in pairs if is_safety_net(p.path) or is_safety_net(p.old_path)]
    result.extend(check_safety_net(nets, test_files))
    result.extend(check_production(pairs, search, files))
    result.extend(_doctests([p for p in pairs if is_python_source(p.path)]))
    return result


# --- from the review context ---------------------------------------------------------------------------


def _pairs(context: ReviewContext) -> list[FilePair]:
    pairs = []
    for file in context.files:
        if file.binary or file.is_symlink:
            if _responsible_for(file):
                what = "binary content" if file.binary else "a symbolic link (what runs is another file)"
                context.not_reviewed(file.path, f"{what}: its tests and checks cannot be read")
            continue
        status = file.status.value
        # A copy's source is still there and reviewed on its own: the copy is a new file.
        old = file.path if status == "copied" else (file.old_path or file.path)
        base = None if status in ("added", "copied") else context.base.read_text(old)
        head = None if status == "deleted" else context.head.read_text(file.path)
        lossy = frozenset(
            side
            for side, path, text, commit in (
                ("base", old, base, context.change.base),
                ("head", file.path, head, context.change.head),
            )
            if _lossy(context, path, text, commit)
        )
        lines = _diff_lines(file, base, head)
        pairs.append(FilePair(path=file.path, old_path=old, base=base, head=head, lines=lines, lossy=lossy))
    return pairs


def _lossy(context: ReviewContext, path: str, text: str | None, commit: str | None) -> bool:
    """Whether reading replaced bytes that were not UTF-8 (a U+FFFD in the text may also be genuine)."""
    if text is None or "\ufffd" not in text:
        return False
    if context.repo is None or commit is None:
        return True  # no bytes to look at: assume the worst
    blob = subprocess.run(
        ["git", "-C", str(context.repo), "cat-file", "blob", f"{commit}:{path}"], capture_output=True, timeout=60
    )
    try:
        blob.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return blob.returncode != 0


def _test_files(context: ReviewContext) -> list[str] | None:
    """The head's test files (None for a patch without a repository)."""
    if context.repo is None or context.change.head is None:
        return None
    proc = subprocess.run(
        ["git", "-C", str(context.repo), "ls-tree", "-r", "-z", "--name-only", context.change.head],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return None
    names = (n.decode("utf-8", "surrogateescape") for n in proc.stdout.split(b"\0") if n)
    return [n for n in names if is_test_file(n)]


def _responsible_for(file: FileChange) -> bool:
    """Files this reviewer reads: tests, the configuration and CI around them, and source code."""
    return any(
        is_test_file(path) or is_safety_net(path) or path.endswith(SOURCE_SUFFIXES)
        for path in filter(None, (file.path, file.old_path))
    )


def _diff_lines(file: FileChange, base: str | None, head: str | None) -> Changed | None:
    """The diff's own added and removed lines (git's view of the change, and linear to read)."""
    if file.status.value == "copied" or not file.hunks:
        return None  # a copy is reviewed as a new file; a diff without hunks says nothing line by line
    added, removed = [], []
    for hunk in file.hunks:
        for line in hunk.lines:
            if line.kind == "+" and line.new_number is not None and head is not None:
                added.append((line.new_number, line.text))
            elif line.kind == "-" and line.old_number is not None and base is not None:
                removed.append((line.old_number, line.text))
    return Changed(added, removed)


def _search_in(pairs: Sequence[FilePair]) -> LiteralSearch:
    texts = [p.head or "" for p in pairs if is_test_file(p.path)]

    def search(literals: Iterable[str]) -> list[str]:
        wanted = list(literals)
        return [text for text in texts if any(lit in text for lit in wanted)]

    return search


def _git_search(context: ReviewContext, pairs: Sequence[FilePair]) -> LiteralSearch:
    """Test files holding the literals: the changed ones, and any other at the head (``git grep``)."""
    in_change = _search_in(pairs)
    repo, commit = context.repo, context.change.head
    if repo is None or commit is None:
        return in_change
    changed = {p.path for p in pairs}

    def search(literals: Iterable[str]) -> list[str]:
        wanted = [lit for lit in literals if lit]
        patterns = [arg for lit in wanted for arg in ("-e", lit)]
        proc = subprocess.run(
            ["git", "-C", str(repo), "grep", "-l", "-F", *patterns, commit, "--", *_TEST_PATHSPECS],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        paths = [line.split(":", 1)[1] for line in proc.stdout.splitlines() if ":" in line]
        others = [context.head.read_text(p) for p in paths[:_MAX_GREP_FILES] if p not in changed]
        return in_change(wanted) + [text for text in others if text]

    return search


def _covered_by(pairs: Sequence[FilePair]) -> Callable[[TestModule], list[str]]:
    """Which changed production files a test module imports (the code its expectations are about)."""
    modules = {
        p.path: ".".join(PurePosixPath(p.path).with_suffix("").parts).removesuffix(".__init__")
        for p in pairs
        if is_python_source(p.path)
        and p.base is not None
        and p.head is not None
        and PurePosixPath(p.path).name not in ("conftest.py", "setup.py", "noxfile.py")
    }

    def covered(module: TestModule) -> list[str]:
        return [
            path
            for path, dotted in modules.items()
            if any(_same_module(dotted, imported) for imported in module.modules)
        ]

    return covered


def _is_production(pair: FilePair) -> bool:
    """Source code the tests exercise, changed or added by the change (not tests, not build scripts)."""
    name = PurePosixPath(pair.path).name
    return (
        pair.head is not None
        and pair.path.endswith(SOURCE_SUFFIXES)
        and not is_test_file(pair.path)
        and name not in ("setup.py", "noxfile.py", "conftest.py")
        and not is_safety_net(pair.path)
    )


def _same_module(dotted: str, imported: str) -> bool:
    name = imported.lstrip(".")
    return bool(name) and (dotted == name or dotted.endswith("." + name))


def _advised(item: Finding, blocks: bool, restorable: bool) -> Finding:
    """The finding with one sentence on what the maintainer can do about it."""
    label = f"reviewkit:accept:{item.rule.removeprefix('test-integrity/')}"
    if not blocks:
        advice = "A note, not blocking: restore the check if it still matters, otherwise nothing to do."
    elif restorable:
        advice = (
            "To resolve: take reviewkit's fix, which restores the base version of the test, or, if the change "
            f"is intended, say why in the pull request and ask a maintainer to accept it (label {label})."
        )
    else:
        advice = (
            "To resolve: undo this line, or, if it is intended, say why in the pull request and ask a "
            f"maintainer to accept it (label {label})."
        )
    return replace(item, message=f"{item.message}. {advice}")


def _needed(restores: list[Restore], findings: list[Finding]) -> list[Restore]:
    """The restorations that undo a finding still reported (the model may have dismissed some)."""
    return [r for r in restores if any(_undoes(r, f) for f in findings)]


def _undone(restores: list[Restore], findings: list[Finding]) -> list[Finding]:
    """The findings that putting these tests back undoes: declared to the fix stage as fixed by the patch."""
    return [f for f in findings if any(_undoes(r, f) for r in restores)]


def _undoes(restore: Restore, item: Finding) -> bool:
    if item.side is Side.BASE:
        return item.path == restore.old_path and (
            restore.anchor == -1 or restore.base_start <= item.line <= restore.base_end
        )
    return (
        item.path == restore.path
        and restore.head_start is not None
        and (restore.head_start <= item.line <= (restore.head_end or 0))
    )


def _doctests(pairs: Sequence[FilePair]) -> Analysis:
    result = Analysis()
    for pair in pairs:
        removed = [(n, t) for n, t in changed_lines(pair).removed if _DOCTEST.match(t)]
        added = [t for _, t in changed_lines(pair).added if _DOCTEST.match(t)]
        if pair.base is not None and len(removed) > len(added):
            number, text = removed[0]
            result.findings.append(
                finding(
                    "doctest-removed",
                    "low",
                    pair.old_path,
                    number,
                    text,
                    f"{len(removed) - len(added)} doctest example(s) removed; if the project runs doctests, "
                    "these checks are gone",
                    side=Side.BASE,
                    confidence=0.6,
                )
            )
    return result


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(TestIntegrity())
