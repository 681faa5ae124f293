"""What reviewkit remembers about one pull request, kept in its own summary comment.

The summary comment is written by the token's own account (reviewkit.github.identity), so what it
holds can be trusted as reviewkit's: a hidden block on its first line records the findings the
summary reported (by fingerprint, with enough to explain them) and which fingerprints each
``reviewkit:accept`` label, and each comment naming a fingerprint, meant when it was first seen. A
label accepts what was reported when it was added, and nothing a later push brings; a short
fingerprint in a comment names the finding reported then, not code pushed later to match its digits:
the recorded binding is what keeps it so.

The block is JSON, compressed and base64-encoded inside an HTML comment; it is read strictly (size
capped before and after decompression, every field type-checked) and anything else means "no state".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewkit.report import Report

STATE_MARKER = "<!-- reviewkit:state:{} -->"
_STATE = re.compile(r"<!-- reviewkit:state:([A-Za-z0-9_\-=]{1,30000}) -->")
_MAX_DECODED = 2_000_000
_FIELD_CHARS = 1_000  # a message or quoted code longer than this is cut in the state (matching uses fingerprints)
_MAX_REPORTED = 1_000
ENCODED_LIMIT = 24_000  # of GitHub's 65,536 characters for the whole comment


@dataclass(frozen=True, slots=True, kw_only=True)
class Reported:
    """A finding as the summary reported it."""

    fingerprint: str
    rule: str
    path: str
    line: int
    severity: str
    reviewer: str
    message: str
    code: str
    blocking: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PullState:
    """The state in our summary comment; ``updated_at`` is the comment's (not part of the block)."""

    head: str = ""
    reported: tuple[Reported, ...] = ()
    bindings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # a label or comment -> fingerprints
    updated_at: str = ""

    def find(self, prefix: str) -> list[Reported]:
        return [r for r in self.reported if r.fingerprint.startswith(prefix)]

    def encode(self) -> str:
        """The hidden block, within ``ENCODED_LIMIT`` characters: long texts are cut shorter, then the
        last reported findings left out, until it fits (fingerprints are what matter)."""
        reported = self.reported[:_MAX_REPORTED]
        for chars in (_FIELD_CHARS, 200, 40, 0):
            while True:
                text = self._encoded(reported, chars)
                if len(text) <= ENCODED_LIMIT or not reported or chars:
                    break
                reported = reported[: len(reported) * 3 // 4]
            if len(text) <= ENCODED_LIMIT:
                return text
        return self._encoded((), 0)

    def _encoded(self, reported: tuple[Reported, ...], chars: int) -> str:
        data = {
            "v": 1,
            "head": self.head,
            "reported": [_reported_dict(r, chars) for r in reported],
            "bindings": {key: list(value) for key, value in self.bindings.items()},
        }
        packed = zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 9)
        return STATE_MARKER.format(base64.urlsafe_b64encode(packed).decode())


def from_report(report: Report, bindings: Mapping[str, tuple[str, ...]]) -> PullState:
    """The state to write with a summary of ``report``."""
    reported = tuple(
        Reported(
            fingerprint=f.fingerprint,
            rule=f.rule,
            path=f.path,
            line=f.line,
            severity=f.severity.value,
            reviewer=v.reviewer,
            message=f.message[:_FIELD_CHARS],
            code=" ".join(f.evidence.split())[:_FIELD_CHARS],
            blocking=f.blocking,
        )
        for v in report.verdicts
        for f in v.findings
    )
    return PullState(head=report.head or "", reported=reported, bindings=dict(bindings))


def decode(body: str, *, updated_at: str = "") -> PullState | None:
    """The state in a summary comment's body, or None when it has none that reads cleanly."""
    match = _STATE.search(body.split("\n", 1)[0])
    if match is None:
        return None
    try:
        packed = base64.urlsafe_b64decode(match.group(1))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, _MAX_DECODED)
        if inflater.unconsumed_tail:
            return None  # more than we would ever have written
        return _parsed(json.loads(raw), updated_at)
    except (binascii.Error, zlib.error, ValueError, TypeError, KeyError):
        return None


def _parsed(data: Any, updated_at: str) -> PullState | None:
    if not isinstance(data, dict) or data.get("v") != 1:
        return None
    reported = tuple(_reported(item) for item in data["reported"])
    bindings = {str(key): tuple(_strings(value)) for key, value in dict(data["bindings"]).items()}
    return PullState(head=str(data["head"]), reported=reported, bindings=bindings, updated_at=updated_at)


def _reported(item: Any) -> Reported:
    if not isinstance(item, dict):
        raise TypeError("a reported finding is not an object")
    text = {key: item[key] for key in ("fingerprint", "rule", "path", "severity", "reviewer", "message", "code")}
    if not all(isinstance(value, str) for value in text.values()):
        raise TypeError("a reported finding has a field of the wrong type")
    if not isinstance(item["line"], int) or not isinstance(item["blocking"], bool):
        raise TypeError("a reported finding has a field of the wrong type")
    return Reported(**text, line=item["line"], blocking=item["blocking"])


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("a label's fingerprints are not strings")
    return value


def _reported_dict(reported: Reported, chars: int) -> dict[str, Any]:
    return {
        "fingerprint": reported.fingerprint,
        "rule": reported.rule,
        "path": reported.path,
        "line": reported.line,
        "severity": reported.severity,
        "reviewer": reported.reviewer,
        "message": reported.message[:chars],
        "code": reported.code[:chars],
        "blocking": reported.blocking,
    }
