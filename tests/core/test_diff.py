"""The diff model against real git repositories: every kind of change a review can meet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GitRepo

from reviewkit.diff import FileStatus, from_patch_file, parse_patch_text, unquote_c_path
from reviewkit.errors import InputError
from reviewkit.gitdiff import from_git


def change_of(repo: GitRepo, base: str = "main", head: str = "HEAD"):
    return from_git(repo.root, base, head)


def only_file(repo: GitRepo):
    change = change_of(repo)
    assert len(change.files) == 1, change.files
    return change.files[0]


def numstat(repo: GitRepo) -> dict[str, tuple[str, str]]:
    out = repo.git("diff", "--numstat", "-M", "-C", "main", "HEAD")
    rows = {}
    for line in out.splitlines():
        added, deleted, path = line.split("\t")
        rows[path] = (added, deleted)
    return rows


def test_modified_file_lines_and_numbers(feature_repo: GitRepo) -> None:
    feature_repo.git("checkout", "-q", "main")
    feature_repo.commit("base", **{"app.py": "a = 1\nb = 2\nc = 3\n"})
    feature_repo.git("checkout", "-q", "-B", "feature")
    feature_repo.commit("edit", **{"app.py": "a = 1\nb = 20\nc = 3\nd = 4\n"})
    file = only_file(feature_repo)
    assert file.status is FileStatus.MODIFIED
    assert (file.added, file.deleted) == (2, 1)
    assert [(a.number, a.text) for a in file.added_lines()] == [(2, "b = 20"), (4, "d = 4")]


def test_added_deleted_and_renamed_files(feature_repo: GitRepo) -> None:
    feature_repo.git("checkout", "-q", "main")
    body = "".join(f"line {i}\n" for i in range(30))
    feature_repo.commit("base", **{"old.py": body, "gone.py": "x = 1\n"})
    feature_repo.git("checkout", "-q", "-B", "feature")
    feature_repo.git("mv", "old.py", "new.py")
    feature_repo.remove("gone.py")
    feature_repo.commit("change", **{"new.py": body + "line 30\n", "added.py": "y = 2\n"})
    files = {f.path: f for f in change_of(feature_repo).files}
    assert files["added.py"].status is FileStatus.ADDED and files["added.py"].old_path is None
    assert files["gone.py"].status is FileStatus.DELETED and list(files["gone.py"].added_lines()) == []
    renamed = files["new.py"]
    assert renamed.status is FileStatus.RENAMED and renamed.old_path == "old.py"
    assert renamed.paths == ("new.py", "old.py")
    assert [a.text for a in renamed.added_lines()] == ["line 30"]


def test_pure_rename_has_no_hunks(feature_repo: GitRepo) -> None:
    feature_repo.git("mv", "README.md", "docs.md")
    feature_repo.commit("rename")
    file = only_file(feature_repo)
    assert (file.status, file.old_path, file.path, file.hunks) == (FileStatus.RENAMED, "README.md", "docs.md", ())


def test_copied_file(feature_repo: GitRepo) -> None:
    feature_repo.git("checkout", "-q", "main")
    body = "".join(f"value_{i} = {i}\n" for i in range(40))
    feature_repo.commit("base", **{"src.py": body})
    feature_repo.git("checkout", "-q", "-B", "feature")
    feature_repo.commit("copy", **{"src.py": body + "extra = 1\n", "copy.py": body})
    files = {f.path: f for f in change_of(feature_repo).files}
    assert files["copy.py"].status is FileStatus.COPIED
    assert files["copy.py"].old_path == "src.py"


def test_binary_mode_change_and_symlink(feature_repo: GitRepo) -> None:
    feature_repo.write("image.bin", b"\x89PNG\x00\x01\x02")
    script = feature_repo.write("run.sh", "echo hi\n")
    feature_repo.commit("add")
    feature_repo.git("checkout", "-q", "main")
    feature_repo.git("merge", "-q", "--ff-only", "feature")
    feature_repo.git("checkout", "-q", "feature")
    script.chmod(0o755)
    os.symlink("run.sh", feature_repo.root / "link")
    feature_repo.write("image.bin", b"\x89PNG\x00\x03")
    feature_repo.commit("modes")
    files = {f.path: f for f in change_of(feature_repo).files}
    assert files["image.bin"].binary and files["image.bin"].hunks == ()
    assert (files["run.sh"].old_mode, files["run.sh"].new_mode) == ("100644", "100755")
    assert files["run.sh"].status is FileStatus.MODIFIED and files["run.sh"].hunks == ()
    assert files["link"].is_symlink and [a.text for a in files["link"].added_lines()] == ["run.sh"]


def test_no_newline_at_eof_and_crlf(feature_repo: GitRepo) -> None:
    feature_repo.git("checkout", "-q", "main")
    feature_repo.commit("base", **{"a.txt": "one\ntwo", "win.txt": "x\r\ny\r\n"})
    feature_repo.git("checkout", "-q", "-B", "feature")
    feature_repo.commit("edit", **{"a.txt": "one\ntwo!", "win.txt": "x\r\nY\r\n"})
    files = {f.path: f for f in change_of(feature_repo).files}
    assert [a.text for a in files["a.txt"].added_lines()] == ["two!"]
    assert [a.text for a in files["win.txt"].added_lines()] == ["Y"]
    assert (files["a.txt"].added, files["a.txt"].deleted) == (1, 1)


def test_quoted_and_non_ascii_paths(feature_repo: GitRepo) -> None:
    names = ["café/naïve.py", 'with "quotes".py', "tab\there.py", "space name.py"]
    feature_repo.commit("add", **{name: "x = 1\n" for name in []})
    for name in names:
        feature_repo.write(name, "x = 1\n")
    feature_repo.commit("add weird names")
    assert sorted(f.path for f in change_of(feature_repo).files) == sorted(names)
    assert unquote_c_path('"caf\\303\\251.txt"') == "café.txt"


def test_invalid_utf8_content_is_replaced_not_fatal(feature_repo: GitRepo) -> None:
    feature_repo.commit("bad bytes", **{"latin1.txt": b"caf\xe9 au lait\n"})
    file = only_file(feature_repo)
    assert [a.text for a in file.added_lines()] == ["caf\ufffd au lait"]


def test_empty_diff(feature_repo: GitRepo) -> None:
    feature_repo.commit("nothing")
    assert change_of(feature_repo).is_empty


def test_merge_commit_as_head(feature_repo: GitRepo) -> None:
    feature_repo.commit("feature work", **{"f.py": "f = 1\n"})
    feature_repo.git("checkout", "-q", "main")
    feature_repo.git("checkout", "-q", "-b", "other")
    feature_repo.commit("other work", **{"o.py": "o = 1\n"})
    feature_repo.git("checkout", "-q", "feature")
    feature_repo.git("merge", "-q", "--no-ff", "-m", "merge other", "other")
    change = change_of(feature_repo)
    assert sorted(change.paths) == ["f.py", "o.py"]


def test_counts_equal_git_numstat_on_a_mixed_change(feature_repo: GitRepo) -> None:
    feature_repo.git("checkout", "-q", "main")
    feature_repo.commit("base", **{"a.py": "".join(f"a{i}\n" for i in range(50)), "b.py": "b\n"})
    feature_repo.git("checkout", "-q", "-B", "feature")
    feature_repo.remove("b.py")
    feature_repo.commit("mix", **{"a.py": "".join(f"a{i}\n" for i in range(0, 50, 2)) + "z\n", "c.py": "c\nd\n"})
    counts = numstat(feature_repo)
    for file in change_of(feature_repo).files:
        assert counts[file.path] == (str(file.added), str(file.deleted))


def test_unknown_revision_is_input_error(feature_repo: GitRepo) -> None:
    with pytest.raises(InputError, match="unknown revision 'nope'"):
        change_of(feature_repo, base="nope")


# --- patch files ---------------------------------------------------------------------------------------


def test_patch_file_matches_git_range(feature_repo: GitRepo, tmp_path: Path) -> None:
    feature_repo.commit("add", **{"src__m.py": "import os\nprint(os.name)\n", "README.md": "# project!\n"})
    patch = tmp_path / "change.patch"
    patch.write_text(feature_repo.git("diff", "main", "HEAD") + "\n")
    from_file = from_patch_file(patch)
    from_range = change_of(feature_repo)
    assert [f.to_dict() for f in from_file.files] == [f.to_dict() for f in from_range.files]


def test_plain_unified_diff_without_git_headers(tmp_path: Path) -> None:
    patch = tmp_path / "plain.diff"
    patch.write_text("--- a/x.py\t2024-01-01\n+++ b/x.py\t2024-01-02\n@@ -1 +1,2 @@\n x = 1\n+y = 2\n")
    change = from_patch_file(patch)
    assert [(f.path, f.status.value, f.added) for f in change.files] == [("x.py", "modified", 1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not a diff\njust text\n", "line 1: not a diff"),
        ("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n+d\n", "line 8"),
        ("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n", "malformed"),
        ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n?b\n", "line 5"),
    ],
    ids=["garbage", "hunk-longer-than-header", "hunk-shorter-than-header", "bad-line-prefix"],
)
def test_malformed_patches_are_refused_with_a_line(tmp_path: Path, text: str, message: str) -> None:
    patch = tmp_path / "bad.patch"
    patch.write_text(text)
    with pytest.raises(InputError, match=message):
        from_patch_file(patch)


def test_a_format_patch_with_many_files_is_read_file_by_file(feature_repo: GitRepo, tmp_path: Path) -> None:
    # git format-patch puts a mail header before the first file; each file is parsed on its own.
    files = {f"src__m{i}.py": "".join(f"line_{j} = {i}\n" for j in range(5)) for i in range(4)}
    feature_repo.commit("many", **files)
    patch = tmp_path / "many.patch"
    patch.write_text(feature_repo.git("format-patch", "--stdout", "main..HEAD") + "\n")
    change = from_patch_file(patch)
    assert [(f.path, f.added, sorted(f.added_line_numbers())) for f in change.files] == [
        (f"src/m{i}.py", 5, [1, 2, 3, 4, 5]) for i in range(4)
    ]


def test_an_error_in_a_later_file_names_its_line_in_the_whole_patch(tmp_path: Path) -> None:
    good = "diff --git a/{0} b/{0}\n--- a/{0}\n+++ b/{0}\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    bad = "diff --git a/z b/z\n--- a/z\n+++ b/z\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n+d\n"
    patch = tmp_path / "bad.patch"
    patch.write_text(good.format("x") + good.format("y") + bad)  # the stray "+d" is line 22
    with pytest.raises(InputError, match="line 22: malformed diff"):
        from_patch_file(patch)


def test_missing_patch_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read diff"):
        from_patch_file(tmp_path / "nope.patch")


def test_empty_patch_is_an_empty_change(tmp_path: Path) -> None:
    patch = tmp_path / "empty.patch"
    patch.write_text("\n")
    assert from_patch_file(patch).is_empty


def test_form_feed_and_unicode_separators_inside_lines(tmp_path: Path) -> None:
    text = "--- a/x\n+++ b/x\n@@ -0,0 +1,2 @@\n+page\x0cbreak\n+para\u2029graph\n"
    files = parse_patch_text(text, source="t")
    assert [a.text for a in files[0].added_lines()] == ["page\x0cbreak", "para\u2029graph"]


def test_stdin_patch(feature_repo: GitRepo) -> None:
    feature_repo.commit("add", **{"s.py": "s = 1\n"})
    text = feature_repo.git("diff", "main", "HEAD") + "\n"
    proc = subprocess.run(
        [sys.executable, "-c", "from reviewkit.diff import from_patch_file; print(from_patch_file('-').paths)"],
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    assert proc.stdout.decode().strip() == "('s.py',)"
