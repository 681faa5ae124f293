from conftest import review_with

from reviewkit import Finding, Reviewer


class Flags(Reviewer):
    name = "flags"
    blocking = True

    def review(self, context):
        for line in context.change.added_lines():
            if "TODO" in line.text:
                yield Finding(
                    rule="flags/todo",
                    severity="high",
                    path=line.path,
                    line=line.number,
                    message="no TODOs",
                    evidence=line.text,
                )


def test_smoke(feature_repo):
    feature_repo.commit("add", **{"src__a.py": "x = 1  # TODO\n"})
    report = review_with([Flags()], feature_repo)
    assert report.decision.value == "CONTINUE_DEVELOPMENT"
    assert report.verdicts[0].findings[0].path == "src/a.py"
