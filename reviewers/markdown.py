"""Reviewers written as markdown prompt files in the repository (``[[review_agents]]`` in the config).

Each entry becomes one reviewer of this kind: the prompt file is its instructions, run by a model, which
then fixes what it found in the reviewer's workspace through the text-editor tool. Without a model they
are skipped with the reason; their triggers still route (``reviewkit explain``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reviewkit import AgentSpec, Config, Finding, ReviewContext, Reviewer, Skip, fix_with_model, hookimpl


class PromptReviewer(Reviewer):
    """A reviewer whose instructions are a markdown file; ``spec`` is its ``[[review_agents]]`` entry."""

    needs_model = True
    # A prompt reviewer reports on the files in front of it: review memory reuses its findings for a
    # file until that file (or one it asked to see) changes.
    memory_scope = "file"

    def __init__(self, spec: AgentSpec) -> None:
        self.spec = spec
        # Instance attributes shadow the class-level defaults a code-defined reviewer would set.
        self.name = spec.name  # type: ignore[misc]
        self.description = spec.description or f"prompt reviewer from {spec.prompt_file}"  # type: ignore[misc]
        self.blocking = spec.blocking  # type: ignore[misc]
        self.trigger = list(spec.trigger.specs)  # type: ignore[misc]

    def review(self, context: ReviewContext) -> Iterable[Finding]:
        if not self.spec.prompt.strip():
            raise Skip(f"the prompt file {self.spec.prompt_file} is empty")
        if context.model is None:
            raise Skip("needs a model")
        findings = context.model.review_with_prompt(context, instructions=self.spec.prompt, model=self.spec.model)
        # Fix, don't just complain: with a test gate configured the model edits this reviewer's workspace,
        # and the fix stage merges the edits only if the gate passes ([reviewer.NAME.options] fix = ...).
        fix_with_model(context, findings)
        return findings


@hookimpl
def register_reviewers(register: Callable[[Reviewer], None], config: Config) -> None:
    for spec in config.review_agents:
        register(PromptReviewer(spec))
