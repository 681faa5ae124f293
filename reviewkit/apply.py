"""Taking the fixes: ``--apply`` writes them into the working tree, ``--fix-patch FILE`` into a file.

Both run after the report is written, and both say in one line on stderr what they did: which files
were written (and that they still need a commit), or why nothing was. A fix already in the working
tree (``--apply`` run twice) is recognised by applying the patch in reverse, not reported as a failure.
"""

from __future__ import annotations

from pathlib import Path

from reviewkit.diff import parse_patch_text
from reviewkit.errors import InputError
from reviewkit.fixes import apply_to_checkout
from reviewkit.report import Fixes
from reviewkit.workspace import git


def apply_fixes(repo: Path | None, fixes: Fixes, *, test_gate: bool = True) -> str:
    """``--apply``: write the merged fixes into ``repo``'s working tree; returns what happened."""
    if repo is None:
        return "--apply: nothing written: a patch reviewed outside a repository has no working tree to write to"
    if not fixes.patch:
        return "--apply: nothing written: no reviewer proposed a fix"
    if not fixes.merged:
        return f"--apply: nothing written: {_not_merged_reason(fixes, test_gate)}; the proposal is in --fix-patch FILE"
    try:
        apply_to_checkout(repo, fixes.patch)
    except InputError as exc:
        if _already_applied(repo, fixes.patch):
            return "--apply: nothing written: the fixes are already in the working tree (commit them)"
        return f"{exc}; --fix-patch FILE saves them to apply by hand"
    paths = changed_paths(fixes.patch)
    return (
        f"--apply: wrote fixes to {len(paths)} file(s): {', '.join(paths)}; review them (git diff) and commit: "
        "the reviewed commit still holds what they fix"
    )


def write_fix_patch(target: str, fixes: Fixes, *, test_gate: bool = True) -> str:
    """``--fix-patch FILE``: write the fixes as one patch (``git apply FILE``); returns what happened."""
    from reviewkit.console import write_output

    if not fixes.patch:
        return f"--fix-patch: {target} not written: no reviewer proposed a fix"
    write_output(fixes.patch, target)
    state = "merged fixes (the test gate passed)" if fixes.merged else _not_merged_reason(fixes, test_gate)
    count = len(changed_paths(fixes.patch))
    return f"--fix-patch: wrote the fixes to {count} file(s) into {target} (git apply {target}): {state}"


def _not_merged_reason(fixes: Fixes, test_gate: bool) -> str:
    if not test_gate and fixes.tests is None:
        return "fixes are proposed, not merged: the test gate is off (--no-test-gate)"
    return fixes.note or "fixes are proposed, not merged"


def _already_applied(repo: Path, patch: str) -> bool:
    data = patch.encode("utf-8", "surrogateescape")
    check = git(repo, "apply", "--check", "--reverse", "--binary", "--whitespace=nowarn", "-", input=data, check=False)
    return check.returncode == 0


def changed_paths(patch: str) -> list[str]:
    return [file.path for file in parse_patch_text(patch, source="fixes")]
