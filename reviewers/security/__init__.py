"""security: what a change introduces that an attacker could use, found with no model and no network.

Python files the change touches go through bandit (in-process, once) and reviewkit's own AST rules for
request-to-sink flows and misconfigurations; every text file is scanned for hard-coded secrets; only lines
the diff added are reported. Unambiguous problems get a mechanical fix as a patch. With a model, a second
pass looks for logic flaws and lets the model dismiss false positives, each dismissal noted in the verdict.

Options (``[reviewer.security.options]``): ``disable`` (rule ids or bandit test ids, globs allowed),
``enable_bandit`` (bandit tests that are off by default), ``min_severity``, ``max_file_bytes``,
``max_program_bytes`` (Python source analysed as one program; more is analysed in parts and is not a
complete review), ``bandit`` (false: own rules only), ``model_triage`` (false: the model may add findings
but never dismiss one).
"""

from __future__ import annotations

import ast
import fnmatch
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewers.security import (
    bandit_scan,
    fixes,
    groups,
    introduced,
    linecheck,
    misconfig,
    parsing,
    rules,
    secrets,
)
from reviewers.security.common import NOSEC_MARKER, Source, is_test_path
from reviewers.security.program import Program
from reviewers.security.rule_docs import RULES
from reviewkit import (
    FileChange,
    FileStatus,
    Finding,
    ReviewContext,
    Reviewer,
    Severity,
    collect_after,
    hookimpl,
    in_halves,
)

PYTHON_SUFFIXES = (".py", ".pyw")
_SHELL_RULES = frozenset({"security/os-system", "security/shell-true"})
_BANDIT_ID = re.compile(r"[Bb]\d{3}")

LOGIC_INSTRUCTIONS = """\
You are the security reviewer. Deterministic tools (bandit, taint rules, a secrets scanner) already ran;
look only for what they cannot see in the added lines: missing or wrong authorization checks (IDOR, a
route without the login/permission decorator its neighbours have), SSRF or injection through helper
functions, unsafe redirects, race conditions on security checks, secrets written to logs, crypto misuse.
Report only flaws you can point to in an added line, quoting it. Rule ids: security/<kebab-case-name>.
Severity: critical/high when exploitable as written, medium when it depends on context.
"""

TRIAGE_INSTRUCTIONS = """\
These are findings of deterministic security tools on the added lines. Dismiss a finding only when the
code shown proves it cannot be exploited (e.g. the value is a constant, or validated against an
allow-list just before), and say why in one sentence. Keep every finding you are unsure about.
"""


OPTIONS_SCHEMA = {
    "properties": {
        "disable": {"type": "array", "items": {"type": "string"}, "default": []},
        "enable_bandit": {"type": "array", "items": {"type": "string"}, "default": []},
        "min_severity": {"type": "string", "pattern": "(?i)^(critical|high|medium|low|info)$", "default": "low"},
        "max_file_bytes": {"type": "integer", "minimum": 1, "default": 1_000_000},
        "max_program_bytes": {"type": "integer", "minimum": 1, "default": 8_000_000},
        "bandit": {"type": "boolean", "default": True},
        "model_triage": {"type": "boolean", "default": True},
    }
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The reviewer's options (checked by the core against OPTIONS_SCHEMA, defaults filled in)."""

    disable: tuple[str, ...] = ()
    enable_bandit: frozenset[str] = field(default_factory=frozenset)
    min_severity: Severity = Severity.LOW
    max_file_bytes: int = 1_000_000
    max_program_bytes: int = 8_000_000  # Python source analysed together (its syntax trees take ~40x that)
    bandit: bool = True
    model_triage: bool = True

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Settings:
        return cls(
            disable=tuple(options["disable"]),
            enable_bandit=frozenset(s.upper() for s in options["enable_bandit"]),
            min_severity=Severity(options["min_severity"].lower()),
            max_file_bytes=options["max_file_bytes"],
            max_program_bytes=options["max_program_bytes"],
            bandit=options["bandit"],
            model_triage=options["model_triage"],
        )

    @property
    def disabled_bandit_tests(self) -> frozenset[str]:
        return frozenset(p.upper() for p in self.disable if _BANDIT_ID.fullmatch(p))

    def wants(self, finding: Finding) -> bool:
        return finding.severity.rank >= self.min_severity.rank and not any(
            fnmatch.fnmatchcase(finding.rule, pattern) for pattern in self.disable
        )


class SecurityReviewer(Reviewer):
    name = "security"
    description = "Vulnerabilities and hard-coded secrets the change adds (bandit, taint rules, secrets scan)."
    blocking = True
    trigger = "always"
    rules = RULES
    options_schema = OPTIONS_SCHEMA

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        settings = Settings.from_options(context.options)
        sources, python = self._sources(context)
        # A group of modules at a time (see groups.py), so that only one group's syntax trees are alive; on
        # a big change, half the groups in a second process when there is a second CPU.
        work = groups.grouped(python, [s.path for s, _ in python], [s.text + (b or "") for s, b in python])
        work = _within_budget(context, work, settings.max_program_bytes)
        analysed = _Analysis()
        for part in in_halves(
            lambda batch: self._analyse(context, settings, batch),
            work,
            weight=lambda group: sum(len(source.text) for source, _ in group),
        ):
            analysed.merge(part)
        for path, reason in analysed.unreviewed:
            context.not_reviewed(path, reason)
        for text in analysed.notes:
            context.note(text)
        findings: list[Finding] = list(analysed.secrets)
        scanned = {source.path for source, _ in python}  # for secrets, with their groups
        for source in sources:
            if source.path not in scanned:
                findings.extend(secrets.scan(source))
            findings.extend(misconfig.scan_template(source))
        findings.extend(f for f in analysed.findings if _matters_here(f))
        findings = _deduplicate(f for f in findings if settings.wants(f))
        _note_suppressions(context, sources)
        if context.model is not None:
            findings = model_pass(context, findings, sources, triage=settings.model_triage, blocks=self.blocks)
        patch, fixed = fixes.patch_for(findings, {s.path: s for s in sources})
        if patch:
            context.propose_fix(patch, fixes=fixed)
        return sorted(findings, key=lambda f: (f.path, f.line, f.rule))

    def _code_findings(
        self, context: ReviewContext, settings: Settings, python: list[tuple[Source, ast.Module]]
    ) -> list[Finding]:
        """reviewkit's rules and bandit over the parsed files: findings on added lines, and those on old
        lines of modified files that the change introduced (see :mod:`introduced`)."""

        def analyse(files: Sequence[tuple[Source, ast.Module]]) -> list[Finding]:
            program = rules.program(files)
            found = list(rules.scan(program))
            if settings.bandit and files:
                options = bandit_scan.BanditOptions(
                    enabled=settings.enable_bandit, disabled=settings.disabled_bandit_tests
                )
                found.extend(_without_sanitized_commands(bandit_scan.scan(files, options), program))
            return found

        wide = introduced.widened(python)
        new, old = introduced.split(analyse(wide), python)
        return new + introduced.introduced(context, old, python, analyse)

    def blocks(self, finding: Finding) -> bool:
        """Only high and critical findings block; medium and below are warnings."""
        return finding.severity.rank >= Severity.HIGH.rank

    def _sources(self, context: ReviewContext) -> tuple[list[Source], list[tuple[Source, str | None]]]:
        """Every changed text file as a Source, and the Python ones with their base text. Files that cannot
        be analysed are reported with ``not_reviewed``."""
        sources, python = [], []
        for file in context.files:
            source = _source(context, file)
            if source is None:
                if file.path.endswith(PYTHON_SUFFIXES) and _unreadable_python(file):
                    context.not_reviewed(file.path, "binary content (NUL bytes, or UTF-16): not Python source")
                continue
            if "\0" in source.text:
                if file.path.endswith(PYTHON_SUFFIXES):
                    context.not_reviewed(file.path, "NUL bytes in Python source")
                continue
            sources.append(source)
            if file.path.endswith(PYTHON_SUFFIXES):
                python.append((source, introduced.base_text(context, file)))
        return sources, python

    def _analyse(
        self, context: ReviewContext, settings: Settings, work: Sequence[Sequence[tuple[Source, str | None]]]
    ) -> _Analysis:
        """The code findings of groups of modules, each group parsed, analysed and let go in turn (bandit
        links each node to its parent, so a group's trees are cycles: collected after each group)."""
        result = _Analysis()
        for group in work:
            with collect_after():
                self._analyse_group(context, settings, group, result)
        return result

    def _analyse_group(
        self, context: ReviewContext, settings: Settings, group: Sequence[tuple[Source, str | None]], result: _Analysis
    ) -> None:
        parsed, unparsed = [], []
        for source, base in group:
            tree, lines = _parse(result, source, settings, base)
            if tree is not None:
                parsed.append(tree)
            if lines:
                unparsed.append((source, lines))
        docs = {source.path: parsing.docstring_lines(tree) for source, tree in parsed}
        for source, _ in group:
            result.secrets.extend(secrets.scan(source, docs.get(source.path, frozenset())))
        result.findings.extend(self._code_findings(context, settings, parsed))
        result.findings.extend(f for source, lines in unparsed for f in linecheck.scan(source, lines))


@dataclass(kw_only=True)
class _Analysis:
    """What analysing some of the modules found, and what it has to say of them (kept, not yet said, so
    that a worker process can hand it back)."""

    findings: list[Finding] = field(default_factory=list)  # of the code rules and bandit
    secrets: list[Finding] = field(default_factory=list)  # of the secrets scan (docstrings read as docs)
    unreviewed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def not_reviewed(self, path: str, reason: str) -> None:
        self.unreviewed.append((path, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def merge(self, other: _Analysis) -> None:
        self.findings += other.findings
        self.secrets += other.secrets
        self.unreviewed += other.unreviewed
        self.notes += other.notes


def _within_budget(
    context: ReviewContext, work: list[list[tuple[Source, str | None]]], budget: int
) -> list[list[tuple[Source, str | None]]]:
    """Groups over ``budget`` bytes of source analysed in parts (in the change's order), so that memory
    stays bounded; their modules are reported not reviewed, since calls between the parts are not
    followed and a flow through them could be missed."""
    result = []
    for group in work:
        size = sum(len(source.text) for source, _ in group)
        if size <= budget:
            result.append(group)
            continue
        parts: list[list[tuple[Source, str | None]]] = [[]]
        used = 0
        for item in group:
            if parts[-1] and used + len(item[0].text) > budget:
                parts.append([])
                used = 0
            parts[-1].append(item)
            used += len(item[0].text)
        result.extend(parts)
        reason = (
            f"one of {len(group)} modules ({size} bytes) that can call each other, over max_program_bytes "
            f"({budget}): analysed in {len(parts)} parts, calls between the parts not followed; raise "
            "[reviewer.security.options] max_program_bytes to analyse them whole"
        )
        for source, _ in group:
            context.not_reviewed(source.path, reason)
    return result


def _source(context: ReviewContext, file: FileChange) -> Source | None:
    if file.status is FileStatus.DELETED or file.binary or file.is_symlink:
        return None
    text = context.read(file.path)
    if text is None:
        return None
    # git shows a copy as its differences from the original, but every line is new code at this path:
    # copying a vulnerable function into a new module is how the vulnerability is introduced there.
    copied = file.status is FileStatus.COPIED
    added = frozenset(range(1, text.count("\n") + 2)) if copied else file.added_line_numbers()
    if not added and not file.path.endswith(PYTHON_SUFFIXES):
        return None  # a Python file that only lost lines may have lost a check (see introduced.py)
    base_lines: frozenset[str] = frozenset()
    if context.untrusted:
        base_lines = frozenset(line.strip() for line in (introduced.base_text(context, file) or "").split("\n"))
    return Source(path=file.path, text=text, added=added, untrusted=context.untrusted, base_lines=base_lines)


def _unreadable_python(file: FileChange) -> bool:
    return file.binary and file.status is not FileStatus.DELETED and not file.is_symlink


def _parse(
    report: _Analysis, source: Source, settings: Settings, base: str | None
) -> tuple[tuple[Source, ast.Module] | None, list[int]]:
    """The module's AST for the rules (statements that do not parse blanked) and the added lines left to
    the line-level checks. Added code that no check could fully analyse makes the file ``not_reviewed``:
    over ``max_file_bytes``, an encoding Python reads differently from UTF-8, or unparsable statements
    (other than comments and call-free ``type`` aliases). A generated file is skipped only when its base
    already carried the marker."""
    size = len(source.text.encode("utf-8", "replace"))
    added = sorted(source.added)
    if size > settings.max_file_bytes:
        report.not_reviewed(
            source.path,
            f"{size} bytes is over max_file_bytes ({settings.max_file_bytes}); raise "
            "[reviewer.security.options] max_file_bytes to analyse it",
        )
        return None, added
    encoding = parsing.unreadable_encoding(source.text)
    if encoding is not None:
        report.not_reviewed(source.path, f"declares the source encoding {encoding!r}; save it as UTF-8")
        return None, added
    if parsing.generated(source.text, base):
        report.note(f"skipped {source.path}: generated code (marked so in the base revision too)")
        return None, []
    parsed = parsing.parse(source.text, source.path)
    unanalysed = parsing.unanalysed_added(source.text, parsed.unparsed, source.added)
    if unanalysed:
        shown = ", ".join(map(str, unanalysed[:5])) + (" ..." if len(unanalysed) > 5 else "")
        report.not_reviewed(
            source.path,
            f"added line(s) {shown} do not parse as Python {sys.version_info.major}.{sys.version_info.minor}; "
            "line-level checks only (review with a newer Python if this is newer syntax)",
        )
    # The rules quote the head as it is; only the tree comes from the text with unparsable lines blanked.
    return (None if parsed.tree is None else (source, parsed.tree)), unanalysed


def _without_sanitized_commands(findings: list[Finding], program: Program) -> list[Finding]:
    """bandit's shell warnings, less those on commands built from literals and sanitised values."""
    shell = {f.path for f in findings if f.rule in _SHELL_RULES}
    quiet = rules.sanitized_commands(program, shell)
    return [f for f in findings if f.rule not in _SHELL_RULES or f.line not in quiet[f.path]]


def _note_suppressions(context: ReviewContext, sources: list[Source]) -> None:
    """Say where the change itself adds ``# nosec``: a suppression is part of what a reviewer reviews."""
    marked = [f"{s.path}:{n}" for s in sources for n in sorted(s.added) if NOSEC_MARKER.search(s.line(n))]
    if marked:
        shown = ", ".join(marked[:5]) + (f" and {len(marked) - 5} more" if len(marked) > 5 else "")
        context.note(f"the change adds # nosec at {shown}")


def _matters_here(finding: Finding) -> bool:
    """Test code is not deployed: there only critical code findings are worth a reviewer's word
    (secrets are reported everywhere, by the secrets scanner)."""
    return finding.severity is Severity.CRITICAL or not is_test_path(finding.path)


def _deduplicate(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per weakness per line: bandit and reviewkit's rules often see the same call; the more
    severe (then the more specific, reviewkit's) reading wins."""
    result = list(findings)
    for by_cwe in (False, True):
        best: dict[tuple[str, int, str], Finding] = {}
        for finding in result:
            slot = (finding.path, finding.line, (finding.cwe or finding.rule) if by_cwe else finding.rule)
            current = best.get(slot)
            if current is None or finding.severity.rank > current.severity.rank:
                best[slot] = finding
        result = list(best.values())
    return result


def model_pass(
    context: ReviewContext,
    findings: list[Finding],
    sources: list[Source],
    *,
    triage: bool,
    blocks: Callable[[Finding], bool] = lambda _: False,
) -> list[Finding]:
    """Ask the model for logic flaws on the added lines and, when ``triage``, to dismiss false positives.

    Critical findings and secrets are never offered for dismissal: text in the diff must not be able
    to talk the model out of a finding that matters most. In an untrusted review no finding that blocks
    is offered either (``blocks``): a stranger's change must not argue its way past the gate. A model
    failure leaves the deterministic findings as they are, with a note.
    """
    from reviewkit import ProviderError

    by_path = {s.path: s for s in sources}
    try:
        extra = context.model.review_with_prompt(context, instructions=LOGIC_INSTRUCTIONS) if context.model else []
        kept = findings
        if triage and context.model is not None:
            offered = [f for f in findings if _dismissable(f) and not (context.untrusted and blocks(f))]
            still, dismissed = context.model.triage(context, offered, instructions=TRIAGE_INSTRUCTIONS)
            for finding, reason in dismissed:
                context.note(f"model dismissed {finding.rule} at {finding.path}:{finding.line}: {reason}")
            gone = {f for f, _ in dismissed} - set(still)
            kept = [f for f in findings if f not in gone]
    except ProviderError as exc:
        context.note(f"model pass not completed ({exc}); deterministic findings stand")
        return findings
    added = [f for f in extra if f.rule.startswith("security/") and _on_added_line(f, by_path)]
    return _deduplicate([*kept, *added])


def _dismissable(finding: Finding) -> bool:
    return finding.severity is not Severity.CRITICAL and finding.cwe != "CWE-798"


def _on_added_line(finding: Finding, sources: dict[str, Source]) -> bool:
    source = sources.get(finding.path)
    return source is not None and source.first_added(finding.line, finding.last_line) is not None


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None]) -> None:
    register(SecurityReviewer())
