"""architecture: cycles the change creates (not inherited ones), declared contracts (import-linter,
tach, options) and private modules, each cited on the added import line."""

from __future__ import annotations

from conftest import GitRepo, assert_valid

from reviewkit.pipeline import ReviewRequest, review

BASE = {
    "src/shop/__init__.py": "",
    "src/shop/models.py": "class Order:\n    pass\n",
    "src/shop/views.py": "from shop.models import Order\n\n\ndef show():\n    return Order()\n",
    "src/shop/_internal/__init__.py": "",
    "src/shop/_internal/cache.py": "CACHE = {}\n",
    "src/billing/__init__.py": "",
    "src/billing/invoice.py": "def total():\n    return 1\n",
}


def architecture(repo: GitRepo, **request: object):
    report = review(ReviewRequest(repo=repo.root, base="main", head="HEAD", reviewers=("architecture",), **request))
    assert_valid("report", report.to_dict())
    return report.verdicts[0]


def commit(repo: GitRepo, message: str, files: dict[str, str]) -> None:
    """GitRepo.commit spells '/' as '__' in its keywords, which __init__.py cannot survive."""
    for path, text in files.items():
        repo.write(path, text)
    repo.commit(message)


def base_repo(repo: GitRepo, extra: dict[str, str] | None = None) -> GitRepo:
    commit(repo, "base", {**BASE, **(extra or {})})
    repo.branch("feature")
    return repo


def test_a_new_cycle_is_cited_on_the_added_import_with_its_path(repo: GitRepo) -> None:
    base_repo(repo)
    commit(repo, "cycle", {"src/shop/models.py": "from shop import views\n\n\nclass Order:\n    pass\n"})
    verdict = architecture(repo)
    (finding,) = verdict.findings
    assert (finding.rule, finding.path, finding.line) == ("architecture/import-cycle", "src/shop/models.py", 1)
    assert "shop.models -> shop.views -> shop.models" in finding.message
    assert finding.evidence == "from shop import views" and not finding.blocking


def test_an_inherited_cycle_is_not_this_changes_doing(repo: GitRepo) -> None:
    base_repo(repo, {"src/shop/models.py": "from shop import views\n\n\nclass Order:\n    pass\n"})
    commit(repo, "touch", {"src/shop/views.py": BASE["src/shop/views.py"] + "\n\ndef more():\n    return 2\n"})
    assert architecture(repo).findings == ()


def test_importlinter_layers_from_the_base_bind_an_untrusted_change(repo: GitRepo) -> None:
    layers = "[importlinter]\nroot_packages = shop\n\n[importlinter:contract:1]\nname = Layers\ntype = layers\n"
    base_repo(repo, {".importlinter": layers + "layers =\n    shop.views\n    shop.models\n"})
    commit(
        repo,
        "reach up",
        {
            ".importlinter": "[importlinter]\nroot_packages = shop\n",  # the change deletes the contract
            "src/shop/models.py": "import shop.views\n\n\nclass Order:\n    pass\n",
        },
    )
    rules = {f.rule for f in architecture(repo, untrusted=True).findings}
    assert rules == {"architecture/contract", "architecture/import-cycle"}
    assert [f.rule for f in architecture(repo).findings] == ["architecture/import-cycle"]  # trusted: head config


def test_contracts_from_the_options_and_tach(repo: GitRepo) -> None:
    repo.config(
        '[[reviewer.architecture.options.contracts]]\nname = "apps apart"\ntype = "independence"\n'
        'modules = ["shop", "billing"]\n'
    )
    base_repo(repo, {"tach.toml": '[[modules]]\npath = "billing"\ndepends_on = []\n[[modules]]\npath = "shop"\n'})
    commit(repo, "couple", {"src/billing/invoice.py": "import shop.models\n\n\ndef total():\n    return 1\n"})
    (finding,) = architecture(repo).findings
    assert finding.rule == "architecture/contract" and "'apps apart'" in finding.message


def test_reaching_into_another_packages_private_module(repo: GitRepo) -> None:
    base_repo(repo)
    repo.commit(
        "reach in",
        **{
            "src/billing/invoice.py": "from shop._internal.cache import CACHE\n\n\ndef total():\n    return 1\n",
            "src/shop/views.py": "from shop._internal import cache\n" + BASE["src/shop/views.py"],
        },
    )
    (finding,) = architecture(repo).findings  # shop.views is inside shop: its own private module is fine
    assert (finding.rule, finding.path) == ("architecture/private-module", "src/billing/invoice.py")
    assert "shop._internal" in finding.message
