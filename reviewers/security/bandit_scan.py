"""bandit, run in-process once over all changed Python files, its results kept on added lines only.

bandit's tests run over the trees the reviewer already parsed (bandit's own parse and tokenize are not
repeated), under neutral file names (never the repository's own paths: a patch may name ``../x``). Its
tests that are noise in a diff review, or that reviewkit's own rules and secrets scanner do better, are off
by default and can be turned back on with the ``enable`` option.
"""

from __future__ import annotations

import ast
import functools
import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewers.security import bandit_calls
from reviewers.security.common import Source, cite
from reviewkit import Finding, Severity

# Off by default, with why: a reviewer that cries wolf is switched off by its users.
DEFAULT_OFF = frozenset(
    {
        "B101",  # assert: the point of tests, and a style question elsewhere
        "B105",
        "B106",
        "B107",  # hard-coded passwords: the secrets scanner checks values, not just names
        "B103",  # chmod: it flags group-executable 0o755 too; security/permissive-chmod flags world-writable
        "B104",  # binding 0.0.0.0 is what servers in containers must do
        "B110",
        "B112",  # try/except/pass: error handling style, not a vulnerability
        "B113",  # requests without timeout: availability, and most calls pass one through a session
        "B308",  # mark_safe on anything, literals too: B703 and security/xss judge the argument
        "B303",
        "B324",  # MD5/SHA1 anywhere, cache keys too: security/weak-hash judges where a secret is made
        "B311",  # random: flagged by security/insecure-random only where a token or secret is made
        "B403",
        "B404",
        "B405",
        "B406",
        "B407",
        "B408",
        "B409",
        "B410",
        "B411",
        "B412",  # imports; calls are checked
        "B703",  # django mark_safe() on any variable: security/xss flags it where request data flows in
        "B704",  # Markup() on anything: security/xss flags it where request data flows in
        "B603",
        "B606",
        "B607",  # subprocess with an argument list: the safe way to run a program
        "B608",  # SQL-looking strings: security/sql-injection checks where the SQL is executed
    }
)

_CODE_EXECUTION = frozenset({"B102", "B307"})
_SEVERITY = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}
_CONFIDENCE = {"HIGH": 0.9, "MEDIUM": 0.6, "LOW": 0.3}


@dataclass(frozen=True, slots=True, kw_only=True)
class Mapping:
    """How a bandit test reads as a reviewkit rule: its name, severity (None: bandit's) and the fix."""

    rule: str
    fix: str
    severity: Severity | None = None
    cwe: str | None = None  # when bandit's is vaguer than the weakness (it files yaml.load under CWE-20)


_MAP: dict[str, Mapping] = {
    "B102": Mapping(rule="exec", cwe="CWE-95", fix="Do not exec code built at run time; dispatch to known functions."),
    "B103": Mapping(rule="permissive-chmod", fix="Grant the least permission needed, e.g. 0o600 or 0o644."),
    "B108": Mapping(
        rule="hardcoded-tmp",
        severity=Severity.LOW,
        fix="Use tempfile.mkstemp()/TemporaryDirectory() instead of a fixed path in /tmp.",
    ),
    "B201": Mapping(
        rule="flask-debug",
        severity=Severity.HIGH,
        fix="Never run with debug=True outside development: the debugger executes code. Read it from configuration.",
    ),
    "B202": Mapping(
        rule="tarfile-extractall",
        severity=Severity.HIGH,
        fix="Pass filter='data' (Python 3.12+) or check every member's path before extracting.",
    ),
    "B301": Mapping(
        rule="pickle",
        severity=Severity.HIGH,
        fix="Unpickling untrusted data runs code. Use JSON or another data-only format.",
    ),
    "B302": Mapping(
        rule="marshal",
        severity=Severity.HIGH,
        fix="marshal is not safe for untrusted data. Use JSON or another data-only format.",
    ),
    "B303": Mapping(rule="weak-hash", fix="Use hashlib.sha256 or better for security purposes."),
    "B304": Mapping(rule="weak-cipher", fix="Use AES-GCM or ChaCha20-Poly1305 from a maintained library."),
    "B305": Mapping(rule="weak-cipher-mode", fix="Use an authenticated mode such as GCM instead of ECB."),
    "B306": Mapping(rule="mktemp", fix="tempfile.mktemp() is racy: use tempfile.mkstemp() or NamedTemporaryFile."),
    "B307": Mapping(
        rule="eval",
        severity=Severity.HIGH,
        cwe="CWE-95",
        fix="Do not eval strings; use ast.literal_eval for literals or a real parser.",
    ),
    "B310": Mapping(
        rule="urlopen-scheme",
        severity=Severity.LOW,
        fix="Check the URL's scheme is http(s) before urlopen: file:// reads local files.",
    ),
    "B323": Mapping(
        rule="unverified-ssl-context",
        severity=Severity.HIGH,
        fix="Use ssl.create_default_context(); an unverified context accepts any certificate.",
    ),
    "B324": Mapping(
        rule="weak-hash",
        severity=Severity.MEDIUM,
        fix="MD5/SHA1 are broken for security use: use hashlib.sha256, or pass "
        "usedforsecurity=False when the hash is only a checksum or cache key.",
    ),
    "B501": Mapping(
        rule="tls-verify-disabled",
        severity=Severity.HIGH,
        fix="Remove verify=False: it accepts any certificate. Pass a CA bundle path if needed.",
    ),
    "B502": Mapping(rule="weak-tls-version", fix="Use ssl.PROTOCOL_TLS_CLIENT with a minimum of TLS 1.2."),
    "B503": Mapping(rule="weak-tls-version", fix="Use ssl.PROTOCOL_TLS_CLIENT with a minimum of TLS 1.2."),
    "B504": Mapping(rule="weak-tls-version", fix="Use ssl.create_default_context() instead of wrap_socket."),
    "B506": Mapping(
        rule="yaml-load",
        severity=Severity.HIGH,
        cwe="CWE-502",
        fix="yaml.load can build arbitrary objects: use yaml.safe_load.",
    ),
    "B507": Mapping(
        rule="ssh-host-key",
        severity=Severity.HIGH,
        fix="Do not auto-add unknown host keys: load known_hosts and use RejectPolicy.",
    ),
    "B602": Mapping(rule="shell-true", fix="Pass the command as a list without shell=True, or shlex.quote input."),
    "B604": Mapping(rule="shell-true", fix="Pass the command as a list without shell=True."),
    "B605": Mapping(rule="os-system", fix="Use subprocess.run([...]) with an argument list instead of a shell."),
    "B609": Mapping(rule="wildcard-injection", fix="Expand wildcards in Python (glob) and pass a list."),
    "B610": Mapping(rule="django-extra", fix="Use ORM expressions; extra() with user input is SQL injection."),
    "B611": Mapping(rule="django-rawsql", fix="Use RawSQL with params=[...], never formatted SQL."),
    "B614": Mapping(rule="torch-load", fix="Pass weights_only=True, or load safetensors files."),
    "B701": Mapping(
        rule="jinja2-autoescape",
        severity=Severity.HIGH,
        fix="Create the Environment with autoescape=select_autoescape() (or True).",
    ),
    "B702": Mapping(rule="mako-templates", fix="Mako does not escape by default: use default_filters=['h']."),
    "B703": Mapping(rule="mark-safe", fix="Do not mark_safe() values that contain user input; use format_html."),
    "B704": Mapping(rule="markup-xss", fix="Do not wrap user input in Markup(); use Markup.format or escape()."),
}
_XML = Mapping(
    rule="xml-unsafe-parser",
    severity=Severity.MEDIUM,
    fix="Parse untrusted XML with defusedxml (e.g. defusedxml.ElementTree.fromstring).",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BanditOptions:
    enabled: frozenset[str] = frozenset()  # DEFAULT_OFF tests turned back on
    disabled: frozenset[str] = frozenset()  # test ids the user turned off
    min_confidence: str = "MEDIUM"


def scan(files: Sequence[tuple[Source, ast.Module]], options: BanditOptions | None = None) -> list[Finding]:
    """bandit's findings on the lines the change added to each ``(source, tree)``."""
    if not files:
        return []
    options = options or BanditOptions()
    results = _run_bandit(files, (DEFAULT_OFF - options.enabled) | options.disabled)
    generated: dict[int, set[int]] = {}
    findings = []
    for index, result in results:
        source, tree = files[index]
        if str(result.test_id) in _CODE_EXECUTION:
            if index not in generated:
                generated[index] = _compiled_code_runs(tree)
            if int(result.lineno) in generated[index]:
                continue
        if str(result.test_id) == "B202" and _filtered_extraction(tree, int(result.lineno)):
            continue
        finding = _to_finding(source, result, options)
        if finding is not None:
            findings.append(finding)
    return findings


def _filtered_extraction(tree: ast.Module, line: int) -> bool:
    """``extractall(..., filter=...)`` (PEP 706): the archive's members are checked; bandit flags it anyway."""
    return any(
        isinstance(node, ast.Call) and node.lineno == line and any(k.arg == "filter" for k in node.keywords)
        for node in ast.walk(tree)
    )


def _compiled_code_runs(tree: ast.Module) -> set[int]:
    """Lines where eval/exec run a code object the program compiled itself (code generation, as in attrs,
    jinja2 and werkzeug), not a string from outside. Request data reaching eval/exec is reported by
    security/code-injection whatever its form."""
    lines = set()
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        compiled = _code_object_names(func)
        for node in ast.walk(func):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec"):
                first = node.args[0] if node.args else None
                if _is_compile_call(first) or (isinstance(first, ast.Name) and first.id in compiled):
                    lines.add(node.lineno)
    return lines


def _code_object_names(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = {a.arg for a in [*func.args.args, *func.args.kwonlyargs] if _is_code_type(a.annotation)}
    for node in ast.walk(func):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _is_code_type(node.annotation):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign) and _is_compile_call(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _is_compile_call(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name.endswith("compile") or name == "CodeType"


def _is_code_type(annotation: ast.AST | None) -> bool:
    return annotation is not None and ast.unparse(annotation).split(".")[-1].strip("'\"") == "CodeType"


def run_default(paths: Iterable[Path]) -> list[Any]:
    """bandit alone with its default settings over files on disk (for the corpus comparison)."""
    from bandit.core import config, manager

    bandit = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
    bandit.discover_files([str(p) for p in paths])
    bandit.run_tests()
    return list(bandit.get_issue_list())


def _run_bandit(files: Sequence[tuple[Source, ast.Module]], excluded: frozenset[str]) -> Iterator[tuple[int, Any]]:
    """bandit's tests over the trees reviewkit already parsed (one parse per file, shared), with bandit's
    own ``# nosec`` handling off: :func:`cite` applies it, and knows which suppressions the change added.
    Tests that are off are not run at all (bandit runs every test on every node of its kind)."""
    # bandit logs per-file trouble (which the reviewer notes itself), and stevedore logs an ERROR when one
    # of bandit's optional report formatters (sarif) lacks its extra: neither is the user's concern.
    for name in ("bandit", "stevedore.extension"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from bandit.core import blacklisting, metrics

    tests, blacklist = _bandit_tests(excluded)
    meta = _NoMetaAst()
    # bandit keeps the blacklist's filtered table on its (global) blacklist function: set ours back.
    blacklisting.blacklist._config, blacklisting.blacklist._checks = blacklist, blacklist.keys()
    stats = metrics.Metrics()
    for index, (source, tree) in enumerate(files):
        name = f"f{index}.py"  # neutral: bandit derives a module name from it, never a repository path
        stats.begin(name)
        visitor = _visitor_class()(
            name, io.BytesIO(source.text.encode("utf-8", "replace")), meta, tests, False, {}, stats
        )
        visitor.generic_visit(tree)
        visitor.context = {"file_data": visitor.fdata, "filename": name, "lineno": 0, "linerange": [0, 1]}
        visitor.context["col_offset"] = 0
        visitor.update_scores(visitor.tester.run_tests(visitor.context, "File"))
        for result in visitor.tester.results:
            yield index, result


# The node kinds of which Python makes one instance for all trees (``ast.Load()``, ``ast.Add()``, ...).
_SHARED_NODES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_SKIP, _LINK, _VISIT = range(3)  # what the visitor does with a node, by its kind (see _visitor_class)


@functools.cache
def _visitor_class() -> Any:
    """bandit's node visitor, less its bookkeeping on nodes no test can look at and on results reviewkit
    does not use.

    bandit prepares a context for every node and asks for the tests of its kind, though most nodes (names,
    attributes, operators, load/store markers) have none: three in four nodes of ordinary code, and over
    half of bandit's time. Here such a node only gets the parent and sibling links tests read on other
    nodes, and its children are visited as before. The shared nodes (one ``Load()`` for all trees) get no
    links at all: bandit would make that one object point into the newest tree, keeping the whole tree
    alive after its module's analysis. Every node with a test or a visit method of bandit's goes through
    bandit's steps, so the findings are bandit's; what is left out is its debug logging, its scores and
    its ``# nosec`` reading (:func:`cite` applies suppressions, knowing which ones the change added).
    """
    from bandit.core import context as b_context
    from bandit.core import node_visitor, tester
    from bandit.core import utils as b_utils

    no_scores: dict[str, list[int]] = {}  # see update_scores

    class Tester(tester.BanditTester):  # type: ignore[misc]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self._plans: dict[str, list[tuple[Any, tuple[Any, ...]]]] = {}  # each node kind's tests, once
            self._calls = bandit_calls.CallTests(self._plan("Call"))

        def _plan(self, checktype: str) -> list[tuple[Any, tuple[Any, ...]]]:
            plan = self._plans.get(checktype)
            if plan is None:
                plan = self._plans[checktype] = [
                    (test, (test._config,) if hasattr(test, "_config") else ())
                    for test in self.testset.get_tests(checktype)
                ]
            return plan

        def run_tests(self, raw_context: dict[str, Any], checktype: str) -> dict[str, list[int]]:
            # bandit's loop gives each test its own copy of the context; no test writes to it, so one serves
            # all the tests of a node. A call gets only the tests that could report it (bandit_calls.py).
            if checktype == "Call":
                keywords = tuple(keyword.arg for keyword in raw_context["call"].keywords)
                plan = self._calls.for_call(raw_context.get("name") or "", keywords)
            else:
                plan = self._plan(checktype)
            if plan:
                context = b_context.Context(raw_context)
                for test, config in plan:
                    try:
                        result = test(context, *config)
                    except Exception as exc:
                        self.report_error(test.__name__, context, exc)
                        continue
                    if result is not None:
                        self._keep(result, test, raw_context)
            return no_scores

        def _keep(self, result: Any, test: Any, context: dict[str, Any]) -> None:
            """Complete the result from the node's context, as bandit does."""
            result.fname, result.fdata = context["filename"], context["file_data"]
            if result.lineno is None:
                result.lineno = context["lineno"]
            if result.linerange == []:
                result.linerange = context["linerange"]
            if result.col_offset == -1:
                result.col_offset = context["col_offset"]
            result.end_col_offset = context.get("end_col_offset", 0)
            result.test = test.__name__
            if result.test_id == "":
                result.test_id = test._test_id
            self.results.append(result)

    class Visitor(node_visitor.BanditNodeVisitor):  # type: ignore[misc]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.tester = Tester(self.testset, self.debug, self.tester.nosec_lines, self.tester.metrics)
            self._roles: dict[type, int] = {}

        def _role(self, kind: type) -> int:
            name = kind.__name__
            tested = hasattr(self, f"visit_{name}") or bool(self.tester.testset.get_tests(name))
            role = _VISIT if tested else _SKIP if issubclass(kind, _SHARED_NODES) else _LINK
            self._roles[kind] = role
            return role

        def generic_visit(self, node: ast.AST) -> None:
            for field_name in node._fields:
                value = getattr(node, field_name, None)
                if isinstance(value, list):
                    last = len(value) - 1
                    for index, item in enumerate(value):
                        if isinstance(item, ast.AST):
                            self._enter(item, node, value[index + 1] if index < last else None)
                elif isinstance(value, ast.AST):
                    self._enter(value, node, None)

        def _enter(self, item: ast.AST, parent: ast.AST, sibling: ast.AST | None) -> None:
            kind = type(item)
            role = self._roles.get(kind)
            if role is None:
                role = self._role(kind)
            if role == _SKIP:
                return
            item._bandit_sibling = sibling  # type: ignore[attr-defined]
            item._bandit_parent = parent  # type: ignore[attr-defined]
            if role == _LINK:
                self.generic_visit(item)
            elif self.pre_visit(item):
                self.visit(item)
                self.generic_visit(item)
                self.post_visit(item)

        def pre_visit(self, node: ast.AST) -> bool:
            context = {"imports": self.imports, "import_aliases": self.import_aliases}
            for key in ("lineno", "col_offset", "end_col_offset"):
                if hasattr(node, key):
                    context[key] = getattr(node, key)
            context["node"] = node
            context["linerange"] = b_utils.linerange(node)
            context["filename"] = self.fname
            context["file_data"] = self.fdata
            self.context = context
            self.depth += 1
            return True

        def post_visit(self, node: ast.AST) -> None:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                super().post_visit(node)  # leaves the function's or class's namespace
            else:
                self.depth -= 1

        def update_scores(self, scores: Any) -> None:
            pass  # bandit's per-file score totals: reviewkit ranks findings itself

    return Visitor


@functools.lru_cache(maxsize=8)
def _bandit_tests(excluded: frozenset[str]) -> tuple[Any, dict[str, Any]]:
    # Imported here: bandit loads its plugins at import, which a run without Python files need not pay.
    from bandit.core import blacklisting, config, test_set

    tests = test_set.BanditTestSet(config.BanditConfig(), {"exclude": sorted(excluded)})
    return tests, dict(getattr(blacklisting.blacklist, "_config", {}) or {})


class _NoMetaAst:
    """Stands for bandit's BanditMetaAst, which records every node bandit visits in a dict on its class,
    for ever (nothing reads it: it is for bandit's debugging): the trees of every module reviewed would
    stay reachable from it, and a big change's memory would grow with each one."""

    def add_node(self, node: ast.AST, parent_id: str, depth: int) -> None:
        pass


def _to_finding(source: Source, result: Any, options: BanditOptions) -> Finding | None:
    test_id = str(result.test_id)
    if test_id in options.disabled or (test_id in DEFAULT_OFF and test_id not in options.enabled):
        return None
    if _CONFIDENCE.get(result.confidence, 0) < _CONFIDENCE[options.min_confidence]:
        return None
    mapping = _mapping(test_id, str(result.test))
    lines = [int(n) for n in (result.linerange or [result.lineno])]
    cwe = getattr(result.cwe, "id", 0)
    return cite(
        source,
        rule=f"security/{mapping.rule}",
        severity=mapping.severity or _SEVERITY.get(result.severity, Severity.LOW),
        start=min(lines),
        end=max(lines),
        message=f"{result.text.rstrip('.')}. {mapping.fix} (bandit {test_id})",
        cwe=mapping.cwe or (f"CWE-{cwe}" if cwe else None),
        confidence=_CONFIDENCE.get(result.confidence, 0.5),
        bandit_id=test_id,
    )


def _mapping(test_id: str, test_name: str) -> Mapping:
    if test_id in _MAP:
        return _MAP[test_id]
    if test_name.startswith("xml") or test_id in {"B313", "B314", "B315", "B316", "B317", "B318", "B319", "B320"}:
        return _XML
    return Mapping(rule=test_name.replace("_", "-") or test_id.lower(), fix="See bandit's documentation for the fix.")
