"""Which of bandit's call tests to run on a call: those that could report it.

bandit runs each of its two dozen call tests on every call of the code, though each test reports only calls
of a few functions (``yaml.load``, ``exec``) or with a certain keyword (``shell=``, ``verify=``): on call-dense
code that was most of bandit's time. Here each test is asked only about calls it could report, by what
bandit itself knows of the call: its ``name`` (the last part of the qualified name bandit resolved) and the
names of its keyword arguments.

What each test needs was read from its plugin's source in bandit 1.9.4 (the blacklist's from its table),
and holds only for that source: a test runs on every call, as bandit runs it, when its module is not byte
for byte the one read (another bandit version), when it is not listed here (a new test, a plugin of the
user's), or when its needs cannot be read from its configuration. So a bandit upgrade can make reviews
slower, never quieter. tests/reviewers/security/test_security_bandit.py makes every listed test report a
call with bandit alone and through this module, and compares the two.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewers.security.common import ShapeMemo


@dataclass(frozen=True, slots=True, kw_only=True)
class Needs:
    """What a call must have for a test to report it (any one of): a name among ``names``, a name
    containing one of ``parts``, a keyword among ``keywords``, or a name that is the last part of a
    qualified name listed under one of the test's configuration keys ``config``."""

    names: frozenset[str] = frozenset()
    parts: tuple[str, ...] = ()
    keywords: frozenset[str] = frozenset()
    config: tuple[str, ...] = ()


# Plugin modules as read (first 16 hex digits of their SHA-256), and what their call tests need.
_READ = {
    "bandit.core.blacklisting": "01c5765defe0166a",
    "bandit.plugins.app_debug": "d19a7e0d388b9eeb",
    "bandit.plugins.crypto_request_no_cert_validation": "03211280167b26dc",
    "bandit.plugins.django_sql_injection": "898340594fa3d034",
    "bandit.plugins.exec": "e64a2c4a6808f18d",
    "bandit.plugins.huggingface_unsafe_download": "a24f93d9ec6f060f",
    "bandit.plugins.injection_paramiko": "6c06ea1fee021d06",
    "bandit.plugins.injection_shell": "66c49c2d001bca4d",
    "bandit.plugins.injection_wildcard": "19e1c9721a03c542",
    "bandit.plugins.insecure_ssl_tls": "56b47dab23b263ba",
    "bandit.plugins.jinja2_templates": "e7ed213dc26a9be4",
    "bandit.plugins.logging_config_insecure_listen": "5330ed2d3888c119",
    "bandit.plugins.mako_templates": "1c1871b687e8d601",
    "bandit.plugins.pytorch_load": "c83cc5727d7b3a79",
    "bandit.plugins.snmp_security_check": "b537689d174a30ab",
    "bandit.plugins.ssh_no_host_key_verification": "d45ab1e64e60b4bb",
    "bandit.plugins.tarfile_unsafe_members": "f952acad2d3a21d1",
    "bandit.plugins.weak_cryptographic_key": "4861f760cdcb881a",
    "bandit.plugins.yaml_load": "6ce7c264139c4970",
}
_NEEDS = {
    # the blacklist: a call's qualified name equal to a listed one (B301 pickle.loads, ...), or the module
    # named by __import__("x") / importlib.import_module("x")
    "B001": Needs(names=frozenset({"__import__", "import_module"}), config=("Call",)),
    "B102": Needs(names=frozenset({"exec"})),  # qualname == "exec"
    "B201": Needs(names=frozenset({"run"})),  # qualname ends with ".run", with debug=True
    "B202": Needs(parts=("extractall",)),  # "extractall" in name
    "B501": Needs(keywords=frozenset({"verify"})),  # verify=False
    "B502": Needs(keywords=frozenset({"ssl_version", "method"})),  # a bad protocol in one of them
    "B504": Needs(names=frozenset({"wrap_socket"})),  # ssl.wrap_socket without ssl_version
    "B505": Needs(names=frozenset({"generate_private_key", "generate"})),  # key generation, weak size
    "B506": Needs(names=frozenset({"load"})),  # yaml.load
    "B507": Needs(names=frozenset({"set_missing_host_key_policy"})),
    "B508": Needs(names=frozenset({"CommunityData"})),
    "B509": Needs(names=frozenset({"UsmUserData"})),
    "B601": Needs(names=frozenset({"exec_command"})),
    "B602": Needs(keywords=frozenset({"shell"})),  # a subprocess function with shell=True
    "B604": Needs(keywords=frozenset({"shell"})),  # any other function with shell=True
    "B605": Needs(config=("shell",)),  # a function of the "shell" list
    "B609": Needs(keywords=frozenset({"shell"}), config=("shell",)),  # a shell function, or shell=True
    "B610": Needs(names=frozenset({"extra"})),
    "B611": Needs(names=frozenset({"RawSQL"})),
    "B612": Needs(names=frozenset({"listen"})),  # logging.config.listen
    "B614": Needs(names=frozenset({"load"})),  # torch.load
    "B615": Needs(
        names=frozenset({"from_pretrained", "load_dataset", "hf_hub_download", "snapshot_download", "repository_id"})
    ),
    "B701": Needs(names=frozenset({"Environment"})),  # jinja2.Environment
    "B702": Needs(names=frozenset({"Template"})),  # mako Template
}

Test = tuple[Any, tuple[Any, ...]]  # a test function and the configuration it is called with


class CallTests:
    """The call tests to run on each call, by its name and keyword names (kept per such shape)."""

    def __init__(self, tests: Sequence[Test]) -> None:
        self._tests = list(tests)
        self._needs = [_needs_of(test, config) for test, config in self._tests]
        self._chosen: ShapeMemo[tuple[str, tuple[str | None, ...]], list[Test]] = ShapeMemo()

    def for_call(self, name: str, keywords: tuple[str | None, ...]) -> list[Test]:
        chosen = self._chosen.get((name, keywords))
        return chosen if chosen is not None else self._chosen.keep((name, keywords), self._choose(name, keywords))

    def _choose(self, name: str, keywords: tuple[str | None, ...]) -> list[Test]:
        return [test for test, needs in zip(self._tests, self._needs, strict=True) if _wanted(needs, name, keywords)]


def _wanted(needs: Needs | None, name: str, keywords: tuple[str | None, ...]) -> bool:
    if needs is None:
        return True
    return (
        name in needs.names
        or any(part in name for part in needs.parts)
        or any(keyword in needs.keywords for keyword in keywords)
    )


def _needs_of(test: Any, config: tuple[Any, ...]) -> Needs | None:
    """The test's needs, with its configured names added; None when it must run on every call."""
    needs = _NEEDS.get(str(getattr(test, "_test_id", "")))
    if needs is None or not _as_read(test):
        return None
    if not needs.config:
        return needs
    settings = config[0] if config else None
    configured = [_qualified_names(settings.get(key)) if isinstance(settings, dict) else None for key in needs.config]
    if any(names is None for names in configured):
        return None
    last = {name.rsplit(".", 1)[-1] for names in configured for name in names or ()}
    return Needs(names=needs.names | last, parts=needs.parts, keywords=needs.keywords)


def _qualified_names(value: Any) -> list[str] | None:
    """The qualified names a configuration entry lists: plain (the shell plugins' lists) or in entries'
    ``qualnames`` (the blacklist's); None when it is neither."""
    if not isinstance(value, list):
        return None
    names = []
    for item in value:
        listed = [item] if isinstance(item, str) else item.get("qualnames") if isinstance(item, dict) else None
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            return None
        names.extend(listed)
    return names


def _as_read(test: Any) -> bool:
    module = inspect.getmodule(test)
    expected = _READ.get(getattr(module, "__name__", ""))
    if module is None or expected is None:
        return False
    return _digest(getattr(module, "__file__", None) or "") == expected


_DIGESTS: dict[str, str] = {}


def _digest(path: str) -> str:
    if path not in _DIGESTS:
        try:
            _DIGESTS[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
        except OSError:
            _DIGESTS[path] = ""
    return _DIGESTS[path]
