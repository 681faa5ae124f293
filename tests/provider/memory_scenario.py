"""A pull request of 20 changed files reviewed by two prompt reviewers through the fake Messages API,
for the review-memory tests (local and GitHub) and bench/bench_memory.py.

The fake model "reads" what it is sent: for every file shown in the prompt (or in a ``show_change``
answer it asked for) it reports each added line holding ``eval(``. So a finding comes back whenever a
file with such a line is in front of it, and never from memory of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fake_anthropic import Recorded, Reply, answer, finding

FILES = 20
REVIEWERS = ("bugs", "style")
FLAGGED = (3, 7)  # files whose code holds an eval(
_HEADER = re.compile(r"^=== (.+?) \((?:added|modified|deleted|renamed|copied)[^)]*\) ===$")
_ADDED = re.compile(r"^\s*(\d+) \+ (.*)$")


def path(index: int) -> str:
    return f"service/handlers_{index:02d}.py"


def source(index: int, *, version: int = 1, flagged: bool | None = None) -> str:
    """A module of ~110 lines (about 4 KB, like a real changed file); ``version`` changes its content."""
    lines = [f'"""Handlers, part {index} (v{version})."""', "", "from service import compute, respond", ""]
    for n in range(12):
        lines += [
            "",
            f"def handler_{index}_{n}(request):",
            f"    value = compute(request, {index * 100 + n})",
            f"    if value > {n + version}:",
            f"        return respond(request, value, code={n})",
            "    return respond(request, None, code=0)",
            "",
            f"# handler {n} of module {index}: see the service documentation for its contract",
        ]
    if index in FLAGGED if flagged is None else flagged:
        lines += ["", "def unsafe(request):", "    return eval(request.args['expr'])"]
    return "\n".join(lines) + "\n"


def all_files(version: int = 1) -> dict[str, str]:
    return {path(i): source(i, version=version) for i in range(FILES)}


def config() -> str:
    agents = "".join(
        f'[[review_agents]]\nname = "{name}"\nprompt_file = ".agents/reviewers/{name}.md"\nblocking = true\n\n'
        for name in REVIEWERS
    )
    return "[code_review]\nreviewers = []\n\n" + agents


def prompts() -> dict[str, str]:
    return {
        f".agents/reviewers/{name}.md": f"# {name}\nReport every use of eval on request data.\n" for name in REVIEWERS
    }


def shown_files(text: str) -> dict[str, list[tuple[int, str]]]:
    """The added lines of every file rendered in ``text`` (the prompt, or a show_change answer)."""
    files: dict[str, list[tuple[int, str]]] = {}
    current = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = files.setdefault(header.group(1), [])
            continue
        added = _ADDED.match(line)
        if added and current is not None:
            current.append((int(added.group(1)), added.group(2)))
    return files


def reviewer_of(request: Recorded) -> str:
    match = re.search(r"Reviewer: ([\w-]+)", request.user_text)
    return match.group(1) if match else ""


def responder(consult: Callable[[Recorded], list[str]] | None = None) -> Callable[[Recorded], Reply]:
    """The fake model: findings for every eval( it is shown; ``consult(request)`` names files to ask for
    (with show_change) before answering, once per conversation."""

    def respond(request: Recorded) -> Reply:
        messages = request.body["messages"]
        wanted = consult(request) if consult is not None and len(messages) == 1 else []
        if wanted:
            return Reply(tool_uses=[("show_change", {"path": name}) for name in wanted], stop_reason="tool_use")
        seen = shown_files(request.system_text)
        for message in messages[1:]:
            for block in message["content"] if isinstance(message["content"], list) else []:
                if block.get("type") == "tool_result":
                    seen.update(shown_files(str(block.get("content", ""))))
        scope = _scope(request, seen)
        found = [
            finding(name, number, text.strip(), rule="eval", message="eval() of request data runs arbitrary code")
            for name, lines in seen.items()
            if name in scope
            for number, text in lines
            if "eval(" in text
        ]
        return answer(*found, summary=f"looked at {len(scope)} file(s)")

    return respond


def _scope(request: Recorded, seen: dict[str, list[tuple[int, str]]]) -> set[str]:
    match = re.search(r"Files in your scope: (.*)", request.user_text)
    listed = match.group(1) if match else ""
    if listed == "every file shown above":
        return set(shown_files(request.system_text))
    return {name.strip() for name in listed.split(",")} & set(seen)


def billed(report_json: dict) -> int:
    usage = report_json["usage"]
    return usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"]


def eval_findings(report_json: dict) -> set[tuple[str, str, int]]:
    return {(v["reviewer"], f["path"], f["line"]) for v in report_json["verdicts"] for f in v["findings"]}


def dumps(data: object) -> str:
    return json.dumps(data, indent=1)
