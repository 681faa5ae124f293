"""Fix patches cut into suggestion blocks over exactly the lines they replace."""

from __future__ import annotations

from reviewkit.github.suggestions import fence_for, suggestion_block, suggestions_for_patch

PATCH = """\
--- a/app.py
+++ b/app.py
@@ -2,7 +2,6 @@
 two
-three
-four
+THREE_AND_FOUR
 five
+five_and_a_half
 six
-seven
 eight
"""


def _cut(patch: str):
    return [
        (s.start_line, s.end_line, s.original, s.replacement)
        for s in suggestions_for_patch(patch, reviewer="r", merged=False)
    ]


def test_replacement_insertion_and_deletion_each_cover_exactly_their_lines():
    assert _cut(PATCH) == [
        (3, 4, ("three", "four"), ("THREE_AND_FOUR",)),
        (5, 5, ("five",), ("five", "five_and_a_half")),  # an insertion repeats the line it hangs on
        (7, 7, ("seven",), ()),
    ]


def test_an_insertion_at_the_top_of_a_hunk_hangs_on_the_line_after():
    patch = "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n+import ast\n one\n two\n"
    assert _cut(patch) == [(1, 1, ("one",), ("import ast", "one"))]


def test_new_files_and_unreadable_patches_give_no_suggestions():
    assert _cut("--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n") == []
    assert _cut("this is not a diff\n") == []


def test_the_fence_is_longer_than_any_backtick_run_in_the_code():
    assert fence_for("no ticks") == "```"
    assert fence_for("a ```` b") == "`````"
    [suggestion] = suggestions_for_patch(
        "--- a/r.md\n+++ b/r.md\n@@ -1 +1 @@\n-x\n+````py\n", reviewer="r", merged=True
    )
    assert suggestion_block(suggestion) == "`````suggestion\n````py\n`````"
