"""Learnings: findings a repository's maintainers judged wrong, remembered so they are not reported again.

They live in ``.agents/learnings.toml``, a file maintainers read, edit and review like code::

    [[learning]]
    rule = "security/sql-injection"
    code = "cursor.execute(query, params)"     # the quoted code; whitespace is folded when matching
    paths = ["app/db.py"]                      # optional gitignore-style patterns
    reason = "params are bound by the driver"
    by = "octocat"

A finding is silenced when its rule matches (``fnmatch``, so ``security/*`` works), its quoted code
is the same with whitespace folded, and its path matches ``paths`` when given. Model reviewers also
receive the learnings as part of their cached instructions.

An untrusted review reads the file from the base revision, like the configuration: a change must not
teach reviewkit to overlook itself, so whatever the pull request's head holds in that file counts for
nothing. Learnings a maintainer records on a pull request (``/reviewkit wrong``, see
reviewkit.github.conversation) name one finding by fingerprint; they apply to that pull request at
once, and the summary proposes the entry for the base branch's file.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pathspec

from reviewkit.errors import ConfigError
from reviewkit.findings import Finding, Learning
from reviewkit.hookspecs import hookimpl

if TYPE_CHECKING:
    from reviewkit.reviewer import ReviewContext

LEARNINGS_PATH = PurePosixPath(".agents/learnings.toml")
# Learnings beyond this are still applied as filters, but not all of them fit in a model's prompt.
PROMPT_LIMIT_CHARS = 20_000


def covers(learning: Learning, finding: Finding) -> bool:
    """Whether ``learning`` silences ``finding``."""
    if learning.fingerprint:  # one finding, named on a pull request (at least 20 of its 32 hex digits)
        return finding.fingerprint.startswith(learning.fingerprint)
    rule, path, code = finding.key
    if not fnmatch.fnmatchcase(rule, learning.rule) or code != _fold(learning.code):
        return False
    return not learning.paths or pathspec.GitIgnoreSpec.from_lines(learning.paths).match_file(path)


def as_toml(learning: Learning) -> str:
    """The entry for ``.agents/learnings.toml`` (strings in TOML's basic form, which JSON's is)."""
    lines = ["[[learning]]", f"rule = {_toml(learning.rule)}", f"code = {_toml(_fold(learning.code))}"]
    if learning.paths:
        lines.append(f"paths = [{', '.join(_toml(p) for p in learning.paths)}]")
    lines.append(f"reason = {_toml(learning.reason)}")
    if learning.by:
        lines.append(f"by = {_toml(learning.by)}")
    return "\n".join(lines) + "\n"


def learned_from(finding: Finding, *, reason: str, by: str) -> Learning:
    """A learning about exactly ``finding`` (its rule, its path, its code)."""
    return Learning(
        rule=finding.rule,
        code=" ".join(finding.evidence.split()),
        reason=reason,
        paths=(exact_path_pattern(finding.path),),
        by=by,
        fingerprint=finding.fingerprint,
    )


def load(repo: Path | None, *, revision: str | None) -> tuple[Learning, ...]:
    """The repository's learnings: from ``revision`` when given (untrusted reviews read the base), else
    from the working tree. No file means none; a malformed one is a ConfigError naming it."""
    if repo is None:
        return ()
    if revision is not None:
        from reviewkit.config import blob_at

        data = blob_at(repo, revision, str(LEARNINGS_PATH))
        shown = f"{LEARNINGS_PATH} (base revision {revision[:12]})"
    else:
        path = repo / LEARNINGS_PATH
        data = path.read_bytes() if path.is_file() else None
        shown = str(LEARNINGS_PATH)
    return () if data is None else parse(data, shown)


def parse(data: bytes, shown: str) -> tuple[Learning, ...]:
    from reviewkit.schemas import validate

    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from exc
    errors = validate("learnings", raw)
    if errors:
        raise ConfigError(f"{shown}: {errors[0]} (each [[learning]] needs rule, code and reason)")
    return tuple(
        Learning(
            rule=item["rule"],
            code=item["code"],
            reason=item["reason"],
            paths=tuple(item.get("paths", ())),
            by=item.get("by", ""),
        )
        for item in raw.get("learning", [])
    )


def digest_text(learnings: Sequence[Learning]) -> str:
    """What review memory keys on: a reviewer told other learnings is a reviewer that may answer otherwise.
    Learnings recorded on a pull request only filter (they are not told to models), so they are not part
    of it: marking one finding wrong does not make every file be reviewed again."""
    told = [x for x in learnings if not x.fingerprint]
    return "\n".join(sorted(f"{x.rule}\0{_fold(x.code)}\0{x.paths}" for x in told))


def prompt_text(learnings: Sequence[Learning]) -> str:
    """The learnings as a model reads them (fenced as data by the provider); empty when there are none."""
    lines: list[str] = []
    size = 0
    for learning in learnings:
        if learning.fingerprint:  # recorded on a pull request: a filter until it is in the base's file
            continue
        where = f" in {', '.join(learning.paths)}" if learning.paths else ""
        line = f"- {learning.rule}{where}: `{_fold(learning.code)}` is not a problem: {_fold(learning.reason)}"
        if size + len(line) > PROMPT_LIMIT_CHARS:
            lines.append(f"- ... and {len(learnings) - len(lines)} more")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class LearningsFilter:
    """Registered as a ``modify_findings`` plugin for one run: silences findings the learnings cover."""

    learnings: tuple[Learning, ...]

    @hookimpl
    def modify_findings(self, context: ReviewContext, findings: list[Finding]) -> None:
        kept = [f for f in findings if not any(covers(learning, f) for learning in self.learnings)]
        silenced = len(findings) - len(kept)
        findings[:] = kept
        if silenced:
            context.note(f"{silenced} finding(s) silenced by the repository's learnings ({LEARNINGS_PATH})")


def _fold(text: str) -> str:
    return " ".join(text.split())


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def exact_path_pattern(path: str) -> str:
    """A gitignore pattern matching exactly ``path`` from the repository root."""
    escaped = "".join(f"\\{c}" if c in "*?[]!#\\" else c for c in path)
    return "/" + escaped.lstrip("/")
