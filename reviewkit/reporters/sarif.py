"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Rule ids are the findings' own stable ``<reviewer>/<rule>`` ids. The fingerprint GitHub uses to follow
an alert across pushes (``partialFingerprints.primaryLocationLineHash``) hashes the rule, the path and
the quoted code, never the line number, so that an alert survives lines moving above it.

Paths are URIs here: the real name, percent-encoded byte by byte (a newline is ``%0A``, U+202E is
``%E2%80%AE``, an invalid UTF-8 byte ``%FF``), so nothing in a name is hidden and nothing is lost.
Messages and snippets are shown text and pass through :func:`reviewkit.display.visible`. A finding on
code the change deleted is placed on the nearest head line of its hunk (:mod:`reviewkit.reporters.anchors`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any
from urllib.parse import quote

from reviewkit.diff import FileChange
from reviewkit.display import json_text, visible
from reviewkit.findings import Finding, Severity, Side
from reviewkit.github.suggestions import Suggestion, suggestions_from
from reviewkit.policy import Decision
from reviewkit.report import Report
from reviewkit.reporter import Reporter
from reviewkit.reporters.anchors import head_anchor
from reviewkit.verdict import Status, Verdict
from reviewkit.version import __version__

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/reviewkit/reviewkit"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads ``security-severity`` (0.0-10.0, CVSS-like bands) on rules tagged
# "security": above 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


class SarifReporter(Reporter):
    name = "sarif"
    description = "SARIF 2.1.0 for GitHub code scanning (upload with github/codeql-action/upload-sarif)"

    def render(self, report: Report, *, color: bool = False) -> str:
        return json_text(sarif_log(report)) + "\n"


def sarif_log(report: Report) -> dict[str, Any]:
    findings = [(v, f) for v in report.verdicts for f in v.findings]
    rules = _rules(findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    suggestions = suggestions_from(report.verdicts)
    occurrences: Counter[str] = Counter()
    results = []
    for verdict, finding in findings:
        digest = line_hash(finding)
        occurrences[digest] += 1
        fingerprint = f"{digest}:{occurrences[digest]}"
        results.append(_result(verdict, finding, index[finding.rule], fingerprint, suggestions, report.files))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "reviewkit",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report)],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        # versionControlProvenance needs the repository's absolute URI, which a local run does not know;
        # the reviewed revisions go in the run's properties instead.
        "properties": {
            "decision": report.decision.value,
            "exitCode": report.exit_code,
            "base": report.base,
            "head": report.head,
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def describe(finding: Finding) -> str:
    """The finding's message, saying where it is when that is not a line of the reviewed head."""
    if finding.side is Side.HEAD:
        return finding.message
    return f"{finding.message} (line {finding.line} of the base revision: code this change removes)"


def line_hash(finding: Finding) -> str:
    code = " ".join(finding.evidence.split())
    text = f"{finding.rule}\0{finding.path}\0{code}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def artifact_uri(path: str) -> str:
    """A repository path as a relative URI reference: its bytes percent-encoded where a URI needs it."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _rules(findings: list[tuple[Verdict, Finding]]) -> list[dict[str, Any]]:
    by_rule: dict[str, list[tuple[Verdict, Finding]]] = {}
    for verdict, finding in findings:
        by_rule.setdefault(finding.rule, []).append((verdict, finding))
    return [_rule(rule, by_rule[rule]) for rule in sorted(by_rule)]


def _rule(rule: str, found: list[tuple[Verdict, Finding]]) -> dict[str, Any]:
    verdict, example = found[0]
    worst = max((f.severity for _, f in found), key=lambda s: s.rank)
    security = _is_security(verdict, [f for _, f in found])
    # SARIF's property bags hold "a set of distinct strings": the reviewer named "security" is one tag.
    cwes = sorted({f.cwe for _, f in found if f.cwe})
    tags = list(dict.fromkeys([verdict.reviewer, *(["security"] if security else []), *cwes]))
    help_text = (
        f"Reported by the reviewkit reviewer '{visible(verdict.reviewer)}' "
        f"({'blocking' if verdict.blocking else 'warning only'}). Example: {_shown(example.message)}"
    )
    properties: dict[str, Any] = {"tags": tags, "precision": _precision(example)}
    if security:
        properties["security-severity"] = SECURITY_SEVERITY[worst]
    return {
        "id": rule,
        "name": _pascal(rule.split("/", 1)[-1]),
        "shortDescription": {"text": visible(f"{rule} ({verdict.reviewer})")},
        "fullDescription": {"text": _shown(example.message)},
        "help": {"text": help_text, "markdown": f"**{visible(rule)}**\n\n{help_text}"},
        "defaultConfiguration": {"level": LEVELS[worst]},
        "properties": properties,
    }


def _is_security(verdict: Verdict, findings: list[Finding]) -> bool:
    return verdict.reviewer == "security" or any(f.cwe for f in findings)


def _precision(finding: Finding) -> str:
    if finding.confidence is None:
        return "medium"
    return "very-high" if finding.confidence >= 0.9 else "high" if finding.confidence >= 0.7 else "medium"


def _pascal(text: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Finding"


def _shown(text: str) -> str:
    return visible(text, keep="\n\t")


def _result(
    verdict: Verdict,
    finding: Finding,
    rule_index: int,
    fingerprint: str,
    suggestions: list[Suggestion],
    files: tuple[FileChange, ...],
) -> dict[str, Any]:
    anchor = head_anchor(finding, files)
    path = anchor.path if anchor else finding.path
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(path), "uriBaseId": "%SRCROOT%"}}
    # Without a head line (a deleted file) the alert is on the file; the message names the base line.
    if anchor is not None:
        physical["region"] = {"startLine": anchor.start, "endLine": anchor.end}
        if finding.side is Side.HEAD and finding.evidence.strip():
            physical["region"]["snippet"] = {"text": _shown(finding.evidence)}
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": "note" if finding.fixed else LEVELS[finding.severity],
        "message": {"text": _shown(describe(finding))},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        "properties": _result_properties(verdict, finding),
    }
    fixes = [_fix(s) for s in suggestions if _covers(s, verdict, finding)]
    if fixes:
        result["fixes"] = fixes
    if finding.accepted is not None:  # code scanning shows it as dismissed, with who and why
        who = finding.accepted
        justification = _shown(f"accepted by {who.by} ({who.via}): {who.reason}")
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return result


def _result_properties(verdict: Verdict, finding: Finding) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "reviewer": verdict.reviewer,
        "severity": finding.severity.value,
        "blocking": verdict.status is Status.BLOCKING and not finding.fixed and finding.accepted is None,
        "fixed": finding.fixed,
        "side": finding.side.value,
    }
    if finding.confidence is not None:
        properties["confidence"] = finding.confidence
    if finding.cwe:
        properties["cwe"] = finding.cwe
    return properties


def _covers(suggestion: Suggestion, verdict: Verdict, finding: Finding) -> bool:
    return (
        suggestion.reviewer == verdict.reviewer
        and suggestion.path == finding.path
        and suggestion.start_line <= finding.last_line
        and finding.line <= suggestion.end_line
    )


def _fix(suggestion: Suggestion) -> dict[str, Any]:
    state = "merged after the test gate" if suggestion.merged else "proposed, not tested"
    return {
        "description": {"text": f"Fix from {suggestion.reviewer} ({state})"},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": artifact_uri(suggestion.path), "uriBaseId": "%SRCROOT%"},
                "replacements": [
                    {
                        "deletedRegion": {"startLine": suggestion.start_line, "endLine": suggestion.end_line},
                        "insertedContent": {"text": "".join(f"{line}\n" for line in suggestion.replacement)},
                    }
                ],
            }
        ],
    }


def _invocation(report: Report) -> dict[str, Any]:
    notes = []
    for verdict in report.verdicts:
        level = "error" if verdict.blocking else "warning"
        if verdict.status is Status.ERROR:
            notes.append(_note(level, f"{verdict.reviewer}: {verdict.error or verdict.summary}"))
        notes += [_note(level, f"{verdict.reviewer}: not reviewed: {n.path}: {n.reason}") for n in verdict.not_reviewed]
    notes += [_note("note", f"{s.reviewer}: skipped: {s.reason}") for s in report.skipped]
    # An incomplete review (a blocking reviewer errored or could not read a file) is not a successful run.
    completed = report.decision is not Decision.NOTIFY_MANAGEMENT
    invocation: dict[str, Any] = {"executionSuccessful": completed, "exitCode": report.exit_code}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _note(level: str, text: str) -> dict[str, Any]:
    return {"level": level, "message": {"text": _shown(text)}}
