"""Names and text a reader could not see are escaped visibly in every format; JSON keeps the real path.

File names come from the change under review: a bidi override (U+202E) makes a name read as another,
a newline forges a log line or a workflow command, an escape sequence repaints a terminal, and bytes
that are not UTF-8 (surrogate escapes) cannot even be encoded for output.
"""

from __future__ import annotations

import json

import jsonschema
from conftest import GitRepo, assert_valid, review_with

from reviewkit import Finding, Reviewer
from reviewkit.diff import FileChange, FileStatus
from reviewkit.display import json_text, visible
from reviewkit.policy import Decision
from reviewkit.report import Report
from reviewkit.reporters.github import GithubReporter
from reviewkit.reporters.json import JsonReporter
from reviewkit.reporters.markdown import MarkdownReporter
from reviewkit.reporters.rdjson import RdjsonReporter
from reviewkit.reporters.sarif import SarifReporter
from reviewkit.reporters.text import TextReporter
from reviewkit.verdict import NotReviewed, Status, Verdict

BIDI_NAME = "invoice\u202eyp.py"  # shows as "invoiceyp.py" reversed: "invoice" + "py.py"
HOSTILE_NAMES = (
    "a\n::stop-commands::pwned\nb.py",  # would switch off every annotation after it
    "c\x1b]0;owned\x07d.py",  # a terminal escape sequence
    "e\udcff.py",  # a byte that is not UTF-8, kept by os.fsdecode as a surrogate escape
    BIDI_NAME,
    "tag\U000e0041.py",  # an invisible "tag" character
)


class Evals(Reviewer):
    name = "evals"
    description = "flags eval()"
    blocking = True

    def review(self, context):
        for line in context.change.added_lines():
            if "eval(" in line.text:
                yield Finding(
                    rule="evals/eval",
                    severity="high",
                    path=line.path,
                    line=line.number,
                    message="eval() on input\u202e (reversed text)",
                    evidence=line.text,
                )


def test_visible_escapes_what_a_reader_cannot_see_and_nothing_else():
    assert visible("src/app.py") == "src/app.py"
    assert visible("naïve café.py") == "naïve café.py"  # ordinary non-ASCII text is shown as it is
    assert visible("a\nb\tc\x1bd") == "a\\nb\\tc\\x1bd"
    assert visible("x\u202ey\u2066z\u200bw") == "x\\u202ey\\u2066z\\u200bw"
    assert visible("e\udcff.py") == "e\\xff.py"
    assert visible("tag\U000e0041") == "tag\\U000e0041"
    assert visible("line one\n\tline two", keep="\n\t") == "line one\n\tline two"


def test_a_bidi_file_name_is_escaped_in_every_shown_format(repo: GitRepo, spec_schema):
    repo.commit("base", **{"README.md": "# x\n"})
    repo.branch("feature")
    repo.commit("add", **{BIDI_NAME: "value = eval(data)\n"})
    report = review_with([Evals()], repo)
    assert report.decision is Decision.CONTINUE_DEVELOPMENT

    shown = {
        "text": TextReporter().render(report),
        "markdown": MarkdownReporter().render(report),
        "github": GithubReporter().render(report),
        "rdjson": RdjsonReporter().render(report),
        "sarif": SarifReporter().render(report),
    }

    for name, text in shown.items():
        assert "\u202e" not in text, name
    assert "invoice\\u202eyp.py:1" in shown["text"] and "eval() on input\\u202e" in shown["text"]
    assert "`invoice\\u202eyp.py:1`" in shown["markdown"]
    # The annotation is not attached to a name GitHub would display raw; the escaped name is in the message.
    [annotation] = [line for line in shown["github"].splitlines() if line.startswith("::error")]
    assert "file=" not in annotation and "invoice\\u202eyp.py:1: eval() on input\\u202e" in annotation
    sarif = json.loads(shown["sarif"])
    jsonschema.Draft4Validator(spec_schema("sarif-schema-2.1.0.json")).validate(sarif)
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "invoice%E2%80%AEyp.py"
    assert json.loads(shown["rdjson"])["diagnostics"][0]["location"]["path"] == "invoice\\u202eyp.py"
    # The JSON report is for machines: it keeps the real name.
    assert json.loads(JsonReporter().render(report))["files"][0]["path"] == BIDI_NAME


def _report_on(names: tuple[str, ...]) -> Report:
    findings = tuple(
        Finding(rule="evals/eval", severity="high", path=name, line=1, message="eval()", evidence="eval(x)")
        for name in names
    )
    verdict = Verdict(
        reviewer="evals",
        status=Status.BLOCKING,
        blocking=True,
        findings=findings,
        not_reviewed=(NotReviewed(path=names[0], reason="over the size limit"),),
    )
    return Report(
        decision=Decision.NOTIFY_MANAGEMENT,
        exit_code=3,
        reason="evals could not review 1 file",
        base="a" * 40,
        head="b" * 40,
        files=tuple(FileChange(path=name, old_path=None, status=FileStatus.ADDED, added=1) for name in names),
        verdicts=(verdict,),
    )


def test_hostile_names_cannot_forge_lines_commands_or_terminal_escapes():
    report = _report_on(HOSTILE_NAMES)

    for reporter in (TextReporter(), MarkdownReporter(), GithubReporter(), RdjsonReporter(), SarifReporter()):
        text = reporter.render(report)
        text.encode("utf-8")  # a surrogate escape would make this raise
        assert "\x1b" not in text and "\u202e" not in text and "\U000e0041" not in text, reporter.name
        assert not any(line.startswith("::stop-commands") for line in text.splitlines()), reporter.name
    github = GithubReporter().render(report).splitlines()
    # Every line the runner reads is either a workflow command reviewkit wrote, or plain text.
    assert all(line.startswith(("::error ", "::warning ", "::notice ", "reviewkit: ")) for line in github)
    assert any("a\\n::stop-commands::pwned\\nb.py:1" in line for line in github)
    markdown = MarkdownReporter().render(report)
    assert "### Files not reviewed (1)" in markdown and "over the size limit" in markdown
    assert "e\\xff.py" in TextReporter().render(report)


def test_json_keeps_a_name_that_is_not_utf8_exactly_and_stays_valid(repo: GitRepo):
    report = _report_on(HOSTILE_NAMES)

    text = JsonReporter().render(report)

    data = json.loads(text.encode("utf-8"))  # valid UTF-8, valid JSON
    assert_valid("report", data)
    assert [f["path"] for f in data["files"]] == list(HOSTILE_NAMES)
    assert "e\\udcff.py" in text  # the byte travels as a JSON escape that reads back as the same name
    assert json.loads(json_text({"p": "e\udcff"}))["p"].encode("utf-8", "surrogateescape") == b"e\xff"
