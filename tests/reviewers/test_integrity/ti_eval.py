"""Running the labelled corpus: through the reviewer's pure analysis (every case) or end to end through
a real git repository and the pipeline (a sample), and scoring recall and false alarms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conftest import GitRepo, review_with
from ti_corpus import Case

from reviewers.test_integrity import TestIntegrity, analyse
from reviewers.test_integrity.pairs import FilePair, is_test_file
from reviewers.test_integrity.skipgates import oldest_python
from reviewkit import Finding

# review_with registers the reviewer itself; the installed entry point would register it a second time.
BLOCK_ENTRY_POINT = ("test-integrity",)


def pairs_for(case: Case) -> list[FilePair]:
    moved_to = case.renames
    moved_from = {new: old for old, new in moved_to.items()}
    pairs = []
    for path in sorted(set(case.base) | set(case.head)):
        if path in moved_to:
            continue
        old = moved_from.get(path, path)
        base, head = case.base.get(old), case.head.get(path)
        if base != head or old != path:
            pairs.append(FilePair(path=path if head is not None else old, old_path=old, base=base, head=head))
    return pairs


def tree_search(case: Case):
    """What ``git grep`` over the head's test files answers, for the pure runs."""
    texts = [text for path, text in case.head.items() if is_test_file(path)]

    def search(literals: Iterable[str]) -> list[str]:
        wanted = list(literals)
        return [text for text in texts if any(literal in text for literal in wanted)]

    return search


def alarms(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that block a merge: what a user experiences as an alarm."""
    reviewer = TestIntegrity()
    return [f for f in findings if reviewer.blocks(f)]


def run_pure(case: Case) -> list[Finding]:
    test_files = [path for path in case.head if is_test_file(path)]
    oldest = oldest_python(case.base.get("pyproject.toml"), case.base.get("setup.cfg"))
    found = analyse(pairs_for(case), tree_search(case), test_files=test_files, oldest_python=oldest)
    return alarms(found.findings)


def run_git(case: Case, repo: GitRepo) -> list[Finding]:
    commit_case(case, repo)
    report = review_with([TestIntegrity()], repo, blocked_plugins=BLOCK_ENTRY_POINT)
    # Every finding must quote its cited line: the pipeline would drop it silently otherwise.
    assert report.dropped_findings == 0, f"{case.id}: findings dropped for evidence that does not match"
    return alarms(f for v in report.verdicts for f in v.findings)


def commit_case(case: Case, repo: GitRepo) -> None:
    """The case's base on main, its head on branch feature (checked out)."""
    for path, text in case.base.items():
        repo.write(path, text)
    repo.commit("base")
    repo.branch("feature")
    for path in case.base:
        if path not in case.head:
            repo.remove(path)
    for path, text in case.head.items():
        if case.base.get(path) != text:
            repo.write(path, text)
    repo.commit("head")


@dataclass(frozen=True, slots=True)
class Score:
    cheats: int
    caught: int
    legit: int
    false_alarms: int
    missed: tuple[str, ...]
    noisy: tuple[str, ...]

    @property
    def recall(self) -> float:
        return self.caught / self.cheats

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.legit


def score(results: Sequence[tuple[Case, list[Finding]]]) -> Score:
    cheats = [(c, f) for c, f in results if c.label == "cheat"]
    legit = [(c, f) for c, f in results if c.label == "legit"]
    missed = tuple(c.id for c, f in cheats if not f)
    noisy = tuple(c.id for c, f in legit if f)
    return Score(len(cheats), len(cheats) - len(missed), len(legit), len(noisy), missed, noisy)
