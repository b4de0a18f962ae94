"""`serve` and `demo` on an address they cannot have: one line, non-zero exit, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory

ENTRY = "from envoy_exporter.cli import main; main()"
# TEST-NET-1 (RFC 5737): never an address of this machine.
NOT_HERE = "192.0.2.1:9433"


@pytest.fixture
def taken() -> Iterator[str]:
    """A loopback address another socket is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield f"127.0.0.1:{holder.getsockname()[1]}"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=120
    )


def assert_one_line(result: subprocess.CompletedProcess[str], address: str, cause: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert address in lines[0] and cause in lines[0].lower(), lines[0]


def test_serve_on_a_port_in_use(simulator: SimulatorFactory, taken: str) -> None:
    sim: SimulatedEnvoy = simulator("metered-3phase")
    result = run("serve", "--envoy", sim.host, "--token", sim.token, "--web.listen-address", taken)
    assert_one_line(result, taken, "address already in use")


def test_serve_on_an_address_this_machine_lacks(simulator: SimulatorFactory) -> None:
    sim: SimulatedEnvoy = simulator("metered-3phase")
    result = run(
        "serve", "--envoy", sim.host, "--token", sim.token, "--web.listen-address", NOT_HERE
    )
    assert_one_line(result, NOT_HERE, "cannot assign requested address")


def test_demo_on_a_port_in_use(taken: str) -> None:
    assert_one_line(run("demo", "--web.listen-address", taken), taken, "address already in use")
