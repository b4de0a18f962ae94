"""A gateway that drips one answer, behind a small hostile proxy (loopback only, bounded).

The proxy stands between a Target and the legacy (plain HTTP) simulator and sends the
answer of one endpoint a byte at a time: each byte comes well within the read timeout, so
only the request's deadline ends it (issue 13 item 3).
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator

import pytest

from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy.const import URL_PRODUCTION_INVERTERS, URL_PRODUCTION_V1

from .conftest import SimulatorFactory
from .loopback import LoopbackServer, read_head

#: seconds between two bytes of a dripped body: 20 bytes a second
PAUSE = 0.05
#: bytes dripped (5 s), the rest then sent at once: a bound for a client without deadlines
DRIPPED = 100


class DripProxy(LoopbackServer):
    """Relays each connection to `upstream`; the answer to `path` is dripped when `dripping`."""

    def __init__(self, upstream: tuple[str, int], path: str) -> None:
        self.upstream, self.path = upstream, path
        self.dripping = False
        self.drips_finished = 0
        super().__init__()

    def handle(self, client: socket.socket) -> None:
        first = client.recv(1, socket.MSG_PEEK)
        if not first or first == b"\x16":
            return  # a TLS hello (the client tries HTTPS for /info first): refused
        request = read_head(client)
        # one request per connection: the gateway closes after its answer
        lines = [
            line for line in request.split(b"\r\n") if not line.lower().startswith(b"connection:")
        ]
        lines.insert(1, b"Connection: close")
        with socket.create_connection(self.upstream, timeout=5) as gateway:
            gateway.sendall(b"\r\n".join(lines))
            answer = b""
            while chunk := gateway.recv(65536):
                answer += chunk
        if not (self.dripping and request.split(b" ", 2)[1].decode() == self.path):
            client.sendall(answer)
            return
        head, _, body = answer.partition(b"\r\n\r\n")
        try:
            client.sendall(head + b"\r\n\r\n")
            for byte in body[:DRIPPED]:
                client.sendall(bytes([byte]))
                if self.stopped.wait(PAUSE):
                    return
            client.sendall(body[DRIPPED:])
        except OSError:
            return  # the client gave up on the drip
        self.drips_finished += 1


@pytest.fixture
def proxy() -> Iterator[list[DripProxy]]:
    made: list[DripProxy] = []
    yield made
    for each in made:
        each.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_dripping_endpoint_fails_alone_and_power_keeps_its_schedule(
    simulator: SimulatorFactory, proxy: list[DripProxy]
) -> None:
    sim = simulator("legacy", sleep=False)
    host, port = sim.host.rsplit(":", 1)
    drip = DripProxy((host, int(port)), URL_PRODUCTION_INVERTERS)
    proxy.append(drip)
    clock = Clock()
    config = TargetConfig(
        name="home",
        host=drip.host,
        username="envoy",
        password=sim.local_users["envoy"],
        timeout=1.0,
    )
    target = Target(config, clock=clock)
    assert target.snapshot().up  # probed while every answer comes whole
    inverters = next(name for name in target.snapshot().parts if "nverter" in name)
    drip.dripping = True
    clock.now += 3600  # every endpoint due
    power_reads: list[int] = []
    for _ in range(3):
        before = Counter(r.path for r in sim.request_log)[URL_PRODUCTION_V1]
        snap = target.snapshot()
        power_reads.append(Counter(r.path for r in sim.request_log)[URL_PRODUCTION_V1] - before)
        assert snap.up, snap.error
        part = snap.parts[inverters]
        assert not part.ok
        assert "sent too slowly" in (part.error or "")
        clock.now += config.cache_ttl
    # power was read at every refresh, the drip never got its whole answer out
    assert all(reads >= 1 for reads in power_reads), power_reads
    assert drip.drips_finished == 0
    target.close()
