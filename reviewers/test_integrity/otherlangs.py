"""JavaScript/TypeScript (jest, vitest, mocha) and Go tests, read line by line.

No parser for either language ships with Python, and the questions asked here need none: which tests
exist (by name), which are skipped or focused, and how many checks each holds. A JS test's block runs
from its ``it(``/``test(`` line to the next test declaration; a Go test's from ``func TestX`` to the
closing brace gofmt puts in column 0.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from reviewkit import Side

from .pairs import Analysis, FilePair, Restore, finding, split

_JS_DECL = re.compile(
    r"^\s*(?P<prefix>[xf]?)(?P<kind>it|test|describe|context|suite)(?P<mods>(?:\.\w+)*)"
    r"(?:\s*\.each\s*(?:`[^`]*`|\([^)]*\)))?\s*\(\s*(?P<q>['\"`])(?P<name>.*?)(?P=q)"
)
_JS_SKIPS = frozenset({"skip", "todo", "failing", "fails", "only"})
_JS_STRENGTH = [
    (re.compile(r"\.(toBeTruthy|toBeFalsy|toBeDefined|toBeUndefined|toBeInstanceOf|toHaveBeenCalled)\(\)?"), 1),
    (re.compile(r"\.not\.(toBeNull|toBeUndefined|toBe\(null\)|toThrow\(\))"), 1),
    (
        re.compile(
            r"\.(toContain|toMatch|toBeGreaterThan\w*|toBeLessThan\w*|toHaveLength|toHaveProperty"
            r"|toBeCloseTo|toThrow\(\))"
        ),
        2,
    ),
    (re.compile(r"expect\(\s*(true|1|!0)\s*\)\.(toBe|toEqual)\(\s*(true|1)\s*\)"), 0),
]
_JS_CHECK = re.compile(r"\bexpect\s*\(|\bassert(\.\w+)?\s*\(|\bexpectTypeOf\s*\(")
_GO_TEST = re.compile(r"^func\s+(Test\w+|Benchmark\w+|Fuzz\w+|Example\w*)\s*\(")
_GO_CHECK = re.compile(r"\bt\.(Error|Errorf|Fatal|Fatalf|Fail|FailNow)\b|\b(assert|require)\.\w+\(|\bb\.Fatal")
_GO_SKIP = re.compile(r"\bt\.(Skip|Skipf|SkipNow)\(")


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    name: str
    line: int
    end: int
    modifiers: frozenset[str]
    checks: tuple[int, ...]  # strength of each check, in order
    skips: int
    body: str  # the block without its declaration line: equal bodies mean a rename


def js_blocks(text: str | None) -> dict[str, Block]:
    lines = split(text)
    decls = []
    for number, line in enumerate(lines, start=1):
        match = _JS_DECL.match(line)
        if match:
            decls.append((number, match))
    blocks: dict[str, Block] = {}
    stack: list[str] = []
    for index, (number, match) in enumerate(decls):
        end = decls[index + 1][0] - 1 if index + 1 < len(decls) else len(lines)
        mods = {m for m in match["mods"].split(".") if m} | ({"skip"} if match["prefix"] == "x" else set())
        mods |= {"only"} if match["prefix"] == "f" else set()
        body = lines[number - 1 : end]
        name = match["name"]
        if match["kind"] in ("describe", "context", "suite"):
            stack = [name]
            name = f"describe {name}"
        else:
            name = " > ".join([*stack, name])
        blocks.setdefault(
            name,
            Block(
                name=name,
                line=number,
                end=end,
                modifiers=frozenset(mods),
                checks=tuple(_js_strength(line) for line in body if _JS_CHECK.search(line)),
                skips=0,
                body=_body(body),
            ),
        )
    return blocks


def _js_strength(line: str) -> int:
    for pattern, strength in reversed(_JS_STRENGTH):
        if pattern.search(line):
            return strength
    return 3


def go_blocks(text: str | None) -> dict[str, Block]:
    lines = split(text)
    blocks: dict[str, Block] = {}
    for number, line in enumerate(lines, start=1):
        match = _GO_TEST.match(line)
        if not match:
            continue
        end = next((n for n in range(number, len(lines) + 1) if lines[n - 1].startswith("}")), len(lines))
        body = lines[number - 1 : end]
        blocks[match[1]] = Block(
            name=match[1],
            line=number,
            end=end,
            modifiers=frozenset(),
            checks=tuple(3 for b in body if _GO_CHECK.search(b)),
            skips=sum(1 for b in body if _GO_SKIP.search(b)),
            body=_body(body),
        )
    return blocks


def _body(lines: Sequence[str]) -> str:
    return "\n".join(line.strip() for line in lines[1:] if line.strip())


def compare_blocks(pairs: Sequence[FilePair], *, go: bool) -> Analysis:
    parse = go_blocks if go else js_blocks
    result = Analysis()
    heads = {p.path: parse(p.head) for p in pairs if p.head is not None}
    everywhere = Counter(name for blocks in heads.values() for name in blocks)
    bodies = Counter(b.body for blocks in heads.values() for b in blocks.values() if b.body)
    for pair in pairs:
        base = parse(pair.base)
        head = heads.get(pair.path, {})
        gone = [
            b
            for name, b in base.items()
            if name not in head and everywhere[name] == 0 and not name.startswith("describe ") and bodies[b.body] == 0
        ]
        if pair.head is None and gone:
            _file_gone(pair, gone, result)
            continue
        for block in gone:
            result.findings.append(
                finding(
                    "test-deleted",
                    "high",
                    pair.old_path,
                    block.line,
                    split(pair.base)[block.line - 1],
                    f"test '{block.name}' ({len(block.checks)} check(s)) is removed; no test in the change replaces it",
                    side=Side.BASE,
                )
            )
            if go:  # gofmt ends a test at a column-0 brace, so the block is exact: put it back at the end
                result.restores.append(
                    Restore(
                        path=pair.path,
                        old_path=pair.old_path,
                        base_start=block.line,
                        base_end=block.end,
                        anchor=len(split(pair.head)),
                    )
                )
        for name, now in head.items():
            if name in base:
                _compare(pair, base[name], now, result, go=go)
    return result


def _file_gone(pair: FilePair, gone: list[Block], result: Analysis) -> None:
    first = min(gone, key=lambda b: b.line)
    result.findings.append(
        finding(
            "test-file-deleted",
            "high",
            pair.old_path,
            first.line,
            split(pair.base)[first.line - 1],
            f"{pair.old_path} is deleted with its {len(gone)} test(s); no test in the change replaces them",
            side=Side.BASE,
        )
    )
    result.restores.append(
        Restore(path=pair.old_path, old_path=pair.old_path, base_start=1, base_end=len(split(pair.base)), anchor=-1)
    )


def _compare(pair: FilePair, was: Block, now: Block, result: Analysis, *, go: bool) -> None:
    lines = split(pair.head)
    before = len(result.findings)

    def add(rule: str, line: int, message: str) -> None:
        result.findings.append(finding(rule, "high", pair.path, line, lines[line - 1], f"{now.name}: {message}"))

    added = (now.modifiers & _JS_SKIPS) - was.modifiers
    if added:
        what = "focuses the run on this block (every other test is skipped)" if "only" in added else "skips it"
        add("test-skipped", now.line, f"the change {what} ({', '.join(sorted(added))})")
    if now.skips > was.skips:
        add("test-skipped", now.line, "the change adds t.Skip: the test no longer runs")
    if len(now.checks) < len(was.checks):
        add("assertion-removed", now.line, f"{len(was.checks)} check(s) in the base, {len(now.checks)} now")
    elif any(h < b for h, b in zip(sorted(now.checks, reverse=True), sorted(was.checks, reverse=True), strict=False)):
        add("assertion-weakened", now.line, "its checks are weaker than the base's (e.g. toEqual -> toBeTruthy)")
    if go and len(result.findings) > before:
        result.restores.append(
            Restore(
                path=pair.path,
                old_path=pair.old_path,
                base_start=was.line,
                base_end=was.end,
                head_start=now.line,
                head_end=now.end,
            )
        )
