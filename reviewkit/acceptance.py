"""Acceptances: a person with write access accepts a finding; it is still reported, but it no longer blocks.

An acceptance names one finding by its fingerprint (rule, path and quoted code: ``Finding.fingerprint``),
so it covers exactly the code that was judged: the same rule on other code, or in another file, is a
new finding. Where acceptances come from is decided before the review and never by the change itself:

- ``reviewkit review --accept FINGERPRINT[:REASON]`` in a trusted local run (refused with --untrusted);
- on a pull request, a label, a reply or a comment by someone the collaborator permission API says has
  write access (reviewkit.github.conversation); never the pull request's body, a commit message or a
  file in the change.

Accepted findings keep their place in every report, marked with who accepted them and why.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewkit.errors import InputError
from reviewkit.findings import Accepted, Finding

MIN_PREFIX = 8
_FINGERPRINT = re.compile(r"[0-9a-f]{8,32}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Acceptance:
    """``fingerprint`` (all 32 hex digits, or a prefix of at least 8 from the command line) accepted
    ``by`` someone, for ``reason``, ``via`` a channel (``--accept``, ``label reviewkit:accept``, ...)."""

    fingerprint: str
    by: str
    reason: str
    via: str

    def covers(self, finding: Finding) -> bool:
        return finding.fingerprint.startswith(self.fingerprint)


def from_command_line(values: Sequence[str], *, by: str) -> tuple[Acceptance, ...]:
    """``--accept FINGERPRINT[:REASON]`` values; a value that is not a fingerprint is an InputError."""
    accepted = []
    for value in values:
        fingerprint, _, reason = value.partition(":")
        fingerprint = fingerprint.strip().lower()
        if not _FINGERPRINT.fullmatch(fingerprint):
            raise InputError(
                f"--accept {value!r}: expected a finding's fingerprint (at least {MIN_PREFIX} of its 32 hex "
                "digits; 'reviewkit review --format json' lists them), optionally followed by ':REASON'"
            )
        accepted.append(
            Acceptance(fingerprint=fingerprint, by=by, reason=reason.strip() or "accepted locally", via="--accept")
        )
    return tuple(accepted)


def local_user(repo: Path | None) -> str:
    """Who accepts in a local run: git's user.name, else the login name."""
    if repo is not None:
        from reviewkit.git import git_text

        name = git_text(repo, ["config", "user.name"], check=False)
        if name:
            return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "local user"


def apply(findings: Iterable[Finding], acceptances: Sequence[Acceptance]) -> list[Finding]:
    """``findings`` with every accepted one marked (and no longer blocking)."""
    if not acceptances:
        return list(findings)
    out = []
    for finding in findings:
        accepted = next((a for a in acceptances if a.covers(finding)), None)
        if accepted is not None:
            finding = replace(
                finding, blocking=False, accepted=Accepted(by=accepted.by, reason=accepted.reason, via=accepted.via)
            )
        out.append(finding)
    return out


def blocks_unless_accepted(blocks: Callable[[Finding], bool]) -> Callable[[Finding], bool]:
    """A reviewer's ``blocks`` for the policy: an accepted finding never blocks."""
    return lambda finding: finding.accepted is None and blocks(finding)


def unmatched(acceptances: Sequence[Acceptance], findings: Iterable[Finding]) -> list[Acceptance]:
    """Acceptances that covered no finding (a typo, or code that has changed since)."""
    seen = list(findings)
    return [a for a in acceptances if not any(a.covers(f) for f in seen)]
