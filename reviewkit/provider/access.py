"""Model access for reviewers (the ModelAccess protocol of reviewkit.reviewer), backed by Anthropic.

One object serves a whole run. It renders the change once into the shared prompt prefix, pre-counts
tokens and chunks the diff only when it might not fit, and lets the first reviewer of each prefix
write the prompt cache before the others send theirs: a cache entry exists only once a response has
begun, so N reviewers started together would otherwise each pay the 1.25x write. The anthropic SDK
is imported on the first call, never when the object is made.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewkit.config import Config
from reviewkit.diff import Change
from reviewkit.errors import ProviderError
from reviewkit.findings import Finding
from reviewkit.learnings import prompt_text
from reviewkit.provider import prompt
from reviewkit.provider.output import Answer, ToolLoopResult, parse_answer, request_schema
from reviewkit.provider.pricing import CACHE_READ_FACTOR, CACHE_WRITE_FACTOR, model_info
from reviewkit.provider.safety import env_secrets, fence, new_boundary
from reviewkit.provider.settings import Settings
from reviewkit.reviewer import ReviewContext

if TYPE_CHECKING:
    from reviewkit.provider.transport import Transport

# Room kept for a reviewer's own part and the schema, beside the shared prefix and the answer.
_PART_RESERVE_TOKENS = 6_000
# A rough tokens-per-character figure, only to decide whether a prefix is worth waiting for the cache.
_CHARS_PER_TOKEN_GUESS = 4.0
# How long a reviewer waits for the leader's response to begin before it sends its own request anyway.
_MAX_GATE_WAIT_S = 120.0
_PRIVATE = -1  # the index of a reviewer's own prefix: never shared, never waited for
# An incremental review may ask for this many other files' diffs before it must answer.
_MAX_CONTEXT_REQUESTS = 8
_ANSWERS = frozenset({"end_turn", "stop_sequence"})
_WITH_TOOLS = frozenset({"end_turn", "stop_sequence", "tool_use"})


@dataclass(kw_only=True)
class Plan:
    """How one model sees one change: the shared prefixes (one, or one per chunk) and their gates."""

    change: Change
    boundary: str
    material: prompt.Material
    prefixes: list[prompt.Prefix]
    tokens_per_char: float | None = None
    gates: Path | None = None  # the run's gate folder (see FileGate)
    elsewhere: tuple[str, ...] = ()  # an incremental plan: the change's files left out of the prompt

    def prefixes_for(self, scope: Collection[str]) -> list[prompt.Prefix]:
        """The prefixes a reviewer of ``scope`` sends: the shared ones that hold its files, or one of
        its own when its files are so small a part of the diff that sending them alone, even with a
        cache write (1.25x), costs less than reading the shared prefix from the cache (0.1x)."""
        shared = [p for p in self.prefixes if p.covers(scope)]
        own = tuple(f for f in self.material.files if f.path in scope)
        if not own or len(self.prefixes) > 1:
            return shared
        subset = prompt.Material(files=own, goal=self.material.goal, invisible=0, learnings=self.material.learnings)
        private = replace(prompt.build_prefixes(subset, boundary=self.boundary, limit_chars=None)[0], index=_PRIVATE)
        if private.chars * CACHE_WRITE_FACTOR < sum(p.chars for p in shared) * CACHE_READ_FACTOR:
            return [private]
        return shared

    def gate(self, prefix: prompt.Prefix, model: str) -> tuple[FileGate, bool]:
        """The gate that opens when ``prefix`` is cached for ``model``, and whether the caller leads.

        Reviewers run in processes of their own: the gate is a file in a folder the run made before
        they started, so the first reviewer of any process leads and the others wait for it.
        """
        assert self.gates is not None
        digest = hashlib.sha256("\0".join([model, *(b["text"] for b in prefix.system)]).encode()).hexdigest()[:32]
        gate = FileGate(self.gates / digest)
        return gate, gate.claim()


class FileGate:
    """A one-shot gate between processes: ``claim`` elects one leader, ``set`` opens, ``wait`` polls."""

    _POLL_S = 0.05

    def __init__(self, path: Path) -> None:
        self.path = path

    def claim(self) -> bool:
        try:
            os.close(os.open(f"{self.path}.lead", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        return True

    def set(self) -> None:
        Path(f"{self.path}.open").touch()

    def wait(self, timeout: float) -> None:
        until = time.monotonic() + timeout
        while not Path(f"{self.path}.open").exists() and time.monotonic() < until:
            time.sleep(self._POLL_S)


class AnthropicAccess:
    """What ``context.model`` is when a model is available."""

    def __init__(self, config: Config, *, settings: Settings | None = None) -> None:
        self.config = config
        self.settings = settings or Settings.from_env()
        self._env_values = env_secrets()
        self._repo_url = _repo_url()
        # Drawn here, in the process that starts the reviewers, so that all of them agree (see Plan.gate).
        self._seed = secrets.token_hex(12)
        self._gates = Path(tempfile.mkdtemp(prefix="reviewkit-cache-gates-"))
        weakref.finalize(self, shutil.rmtree, self._gates, ignore_errors=True)
        self._transport: Transport | None = None
        self._plans: dict[tuple[int, str, frozenset[str] | None], Plan] = {}
        self._lock = threading.Lock()  # guards the transport
        self._plan_lock = threading.Lock()  # guards the plans (held across a token count)

    def preload(self) -> None:
        """Import the SDK now, in the process that starts the reviewers: each reviewer's process then
        inherits it instead of paying the import (seconds on a small machine) again."""
        import reviewkit.provider.transport  # noqa: F401

    # --- the ModelAccess protocol ----------------------------------------------------------------

    def review_with_prompt(
        self, context: ReviewContext, *, instructions: str, model: str | None = None
    ) -> list[Finding]:
        model = self._model(context, model)
        plan = self._plan(context, model)
        findings: list[Finding] = []
        outside = 0
        for prefix in plan.prefixes_for({f.path for f in context.files}):
            answer = self._ask(context, model, plan, prefix, self._part(context, plan, instructions, prefix))
            findings += answer.findings
            outside += answer.out_of_scope
            if answer.summary:
                context.note(f"model: {' '.join(answer.summary.split())[:300]}")
        self._notes(context, plan, outside)
        return findings

    def triage(
        self, context: ReviewContext, findings: list[Finding], *, instructions: str
    ) -> tuple[list[Finding], list[tuple[Finding, str]]]:
        if context.untrusted:
            # A stranger's change may not talk the model out of a finding that blocks: only the others
            # are offered for dismissal; the blocking ones are kept whatever the reviewer passed in.
            held = [f for f in findings if context.would_block(f)]
            kept, dismissed = self._triage(context, [f for f in findings if f not in held], instructions)
            return [*held, *kept], dismissed
        return self._triage(context, findings, instructions)

    def _triage(
        self, context: ReviewContext, findings: list[Finding], instructions: str
    ) -> tuple[list[Finding], list[tuple[Finding, str]]]:
        if not findings:
            return [], []
        model = self._model(context, None)
        plan = self._plan(context, model)
        reasons: dict[int, str] = {}
        for prefix in plan.prefixes_for({f.path for f in context.files} | {f.path for f in findings}):
            batch = [i for i, f in enumerate(findings) if f.path in prefix.paths]
            if not batch:
                continue
            listing = prompt.triage_part(
                [findings[i] for i in batch], boundary=plan.boundary, env_values=self._env_values
            )
            part = self._part(context, plan, instructions, prefix) + "\n\n" + listing
            answer = self._ask(context, model, plan, prefix, part)
            for index, reason in answer.dismissals:
                if 0 <= index < len(batch):
                    reasons[batch[index]] = reason
        kept = [f for i, f in enumerate(findings) if i not in reasons]
        return kept, [(findings[i], reason) for i, reason in sorted(reasons.items())]

    # --- the tool loop for model-backed fixers ---------------------------------------------------

    def run_tool_loop(
        self,
        context: ReviewContext,
        *,
        instructions: str,
        tools: Sequence[dict[str, Any]],
        execute: Callable[[str, dict[str, Any]], str],
        max_turns: int = 20,
        max_tokens: int = 4096,
        model: str | None = None,
    ) -> ToolLoopResult:
        from reviewkit.provider.tools import ToolLoop

        model = self._model(context, model)
        plan = self._plan(context, model)
        prefix = (plan.prefixes_for({f.path for f in context.files}) or plan.prefixes)[0]
        loop = ToolLoop(transport=self._get_transport(), env_values=self._env_values, repo_url=self._repo_url)
        first = self._part(context, plan, instructions, prefix, asks=False)  # a fixer has its own tools
        return loop.run(
            context,
            model=model,
            system=list(prefix.system),
            first=first,
            tools=tools,
            execute=execute,
            max_turns=max_turns,
            max_tokens=max_tokens,
        )

    # --- internals -------------------------------------------------------------------------------

    def _model(self, context: ReviewContext, model: str | None) -> str:
        return model or context.config.settings_for(context.reviewer).model or context.config.model

    def _get_transport(self) -> Transport:
        with self._lock:
            if self._transport is None:
                from reviewkit.provider.transport import Transport  # imports anthropic: seconds

                self._transport = Transport(self.settings)
            return self._transport

    def _part(
        self, context: ReviewContext, plan: Plan, instructions: str, prefix: prompt.Prefix, *, asks: bool = True
    ) -> str:
        """The reviewer's user turn; ``asks``: it may ask for the files left out of an incremental prompt."""
        scope = [f.path for f in context.files if f.path in prefix.paths]
        return prompt.reviewer_part(
            reviewer=context.reviewer,
            instructions=instructions,
            scope=scope,
            all_files=set(scope) == prefix.paths,
            boundary=plan.boundary,
            env_values=self._env_values,
            elsewhere=plan.elsewhere if asks else (),
        )

    def _ask(self, context: ReviewContext, model: str, plan: Plan, prefix: prompt.Prefix, part: str) -> Answer:
        params: dict[str, Any] = {
            "model": model,
            "max_tokens": self.settings.max_output_tokens,
            "system": list(prefix.system),
            "messages": [{"role": "user", "content": part}],
            "output_config": {"format": {"type": "json_schema", "schema": request_schema()}},
        }
        if plan.elsewhere:
            params["tools"] = [prompt.SHOW_CHANGE]
        estimate = int((prefix.chars + len(part)) * (plan.tokens_per_char or 1 / _CHARS_PER_TOKEN_GUESS))
        message = self._gated(context, model, plan, prefix, params, estimate)
        for _request in range(_MAX_CONTEXT_REQUESTS):
            if message.stop_reason != "tool_use":
                break
            params["messages"] = [*params["messages"], *self._context_turn(context, plan, message)]
            message = self._get_transport().create(context, params, allow=_WITH_TOOLS, input_estimate=estimate)
        else:
            if message.stop_reason == "tool_use":
                raise ProviderError(f"the model asked for context more than {_MAX_CONTEXT_REQUESTS} times")
        text = "".join(block.text for block in message.content if block.type == "text")
        scope = {f.path for f in context.files} & prefix.paths
        return parse_answer(
            text, reviewer=context.reviewer, scope=scope, env_values=self._env_values, repo_url=self._repo_url
        )

    def _context_turn(self, context: ReviewContext, plan: Plan, message: Any) -> list[dict[str, Any]]:
        """The assistant's request for other files' diffs and the answer to it. What the model reads is
        recorded on the context: review memory then depends on those files as well."""
        from reviewkit.provider.tools import block_param

        results = []
        for block in message.content:
            if block.type != "tool_use":
                continue
            path = str((block.input or {}).get("path", ""))
            file = context.change.file(path) if path in plan.elsewhere else None
            if file is None:
                text, is_error = "not a file of this change outside your scope; answer from what you have", True
            else:
                context.consulted(path)
                shown = prompt.render_safely(file, self._env_values)
                text, is_error = fence(shown, boundary=plan.boundary, kind="diff"), False
            results.append({"type": "tool_result", "tool_use_id": block.id, "content": text, "is_error": is_error})
        return [
            {"role": "assistant", "content": [block_param(block) for block in message.content]},
            {"role": "user", "content": results},
        ]

    def _gated(
        self,
        context: ReviewContext,
        model: str,
        plan: Plan,
        prefix: prompt.Prefix,
        params: dict[str, Any],
        estimate: int,
    ) -> Any:
        transport = self._get_transport()
        allow = _WITH_TOOLS if "tools" in params else _ANSWERS
        if prefix.index == _PRIVATE or prefix.chars / _CHARS_PER_TOKEN_GUESS < model_info(model).min_cacheable_tokens:
            # nobody to share a cache with
            return transport.create(context, params, allow=allow, input_estimate=estimate)
        gate, leader = plan.gate(prefix, model)
        if not leader:
            gate.wait(timeout=min(max(context.remaining_s() - 1.0, 0.0), _MAX_GATE_WAIT_S))
            return transport.create(context, params, allow=allow, input_estimate=estimate)
        try:
            return transport.create(context, params, on_start=gate.set, allow=allow, input_estimate=estimate)
        finally:
            gate.set()  # a failed leader must not hold the others back

    def _plan(self, context: ReviewContext, model: str) -> Plan:
        # An incremental review (review memory reused some of the reviewer's files) puts only the files
        # it reviews now in the prompt; reviewers that review the same files still share that prefix.
        scope = frozenset(f.path for f in context.files) if context.reused else None
        key = (id(context.change), model, scope)
        with self._plan_lock:
            plan = self._plans.get(key)
            if plan is None or plan.change is not context.change:
                plan = self._plans[key] = self._make_plan(context, model, scope)
            return plan

    def _make_plan(self, context: ReviewContext, model: str, scope: frozenset[str] | None = None) -> Plan:
        shown: Change = context.change
        elsewhere: tuple[str, ...] = ()
        if scope is not None:
            shown = Change(files=tuple(f for f in context.change.files if f.path in scope))
            elsewhere = tuple(f.path for f in context.change.files if f.path not in scope)
        learnings = prompt_text(context.learnings)
        material = prompt.prepare_material(shown, context.goal, self._env_values, learnings=learnings)
        boundary = new_boundary(
            *(f.text for f in material.files), material.goal or "", material.learnings, seed=self._seed
        )
        prefixes = prompt.build_prefixes(material, boundary=boundary, limit_chars=None)
        plan = Plan(
            change=context.change,
            boundary=boundary,
            material=material,
            prefixes=prefixes,
            gates=self._gates,
            elsewhere=elsewhere,
        )
        window = self.settings.context_window or model_info(model).context_window
        room = window - self.settings.max_output_tokens - _PART_RESERVE_TOKENS
        if room <= 0:
            raise ProviderError(f"context window {window} leaves no room for a prompt (REVIEWKIT_MODEL_*)")
        whole = prefixes[0]
        size = sum(len(block["text"].encode()) for block in whole.system)
        # A token is at least one byte, so a prefix of fewer bytes than the room surely fits: no count.
        if size <= room:
            return plan
        counted = self._count(context, model, whole, size)
        plan.tokens_per_char = counted / max(whole.chars, 1)
        if counted <= room:
            return plan
        limit = int(room / plan.tokens_per_char * 0.9)
        material = prompt.prepare_material(
            shown, context.goal, self._env_values, limit_chars=limit, learnings=learnings
        )
        plan.material = material
        plan.prefixes = prompt.build_prefixes(material, boundary=boundary, limit_chars=limit)
        return plan

    def _count(self, context: ReviewContext, model: str, whole: prompt.Prefix, size: int) -> int:
        try:
            return self._get_transport().count_tokens(
                context, {"model": model, "system": list(whole.system), "messages": [{"role": "user", "content": "."}]}
            )
        except ProviderError as exc:
            # A gateway without count_tokens: the byte count is an upper bound, so chunks cut by it still fit.
            context.note(f"token count unavailable ({exc}); the diff was cut by its size in bytes")
            return size

    def _notes(self, context: ReviewContext, plan: Plan, outside: int) -> None:
        if plan.material.invisible:
            context.note(
                f"{plan.material.invisible} invisible or bidi control character(s) in the change were shown "
                "to the model as [U+XXXX] markers"
            )
        if len(plan.prefixes) > 1:
            context.note(f"the diff exceeded the model's context window: reviewed in {len(plan.prefixes)} chunks")
        if outside:
            context.note(f"{outside} model finding(s) outside this reviewer's files were dropped")


def _repo_url() -> str | None:
    """The repository's web address in CI, so links into it survive sanitizing."""
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    return f"{server.rstrip('/')}/{repository}" if server and repository else None
