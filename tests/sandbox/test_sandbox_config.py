"""``code_review.test_network = false``: the test gate runs with loopback only, as configured."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest
from hostile import APP, Replacer, config

from reviewkit.sandbox import SandboxError, choose_isolation

from conftest import review_with  # isort: skip

CONNECT = (
    "import socket, sys\n"
    "try:\n"
    "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2).close()\n"
    "    print('reached the host')\n"
    "except OSError as exc:\n"
    "    print('no network:', type(exc).__name__)\n"
)


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("network", [False, True])
def test_test_network_false_cuts_the_gate_off_from_a_server_on_the_host(feature_repo, listening, network):
    try:
        tier = choose_isolation()
    except SandboxError as exc:
        pytest.skip(str(exc))
    if tier.value == "none":
        pytest.skip("no namespace sandbox works here")
    command = f"{sys.executable} connect.py {listening}"
    extra = "" if network else "test_network = false\n"
    toml = config(test_command=command).replace("[code_review]\n", "[code_review]\n" + extra)
    feature_repo.commit("app", **{"app.py": APP, "connect.py": CONNECT, ".agents__config.toml": toml})
    report = review_with([Replacer("fixer", 'eval(str(x) + " * 2")', "x * 2")], feature_repo)

    tests = report.fixes.tests
    assert tests is not None and tests.passed and tests.isolation == tier.value
    expected = "reached the host" if network else "no network: ConnectionRefusedError"
    assert expected in tests.output_tail


def test_test_network_must_be_a_boolean(feature_repo, cli):
    feature_repo.commit("cfg", **{".agents__config.toml": '[code_review]\ntest_network = "no"\n'})
    result = cli("review", "--base", "main", cwd=feature_repo.root)
    assert result.exit_code == 2
    assert "test_network" in result.stderr and ".agents/config.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
