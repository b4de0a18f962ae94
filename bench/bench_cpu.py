"""2. CPU per refresh, in process: our client's update(), the exporter's refresh and render,
and the reference's update(), on captures of different kinds.

The simulated gateway runs in another process, so only the client's CPU is counted
(time.process_time covers every thread of this process). The contenders take turns in
rounds and each figure is the median of its rounds' means: the machine's speed drifts by tens
of percent over a minute (a shared VM), which a one-after-the-other run would book on one side.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envoy_exporter.collector.target import Target
from envoy_exporter.envoy import Envoy
from envoy_exporter.envoy.ssl import NO_VERIFY_SSL_CONTEXT
from envoy_exporter.outputs.prometheus import render

from .common import POLL_SECONDS, FakeClock, RefPoller, credentials, save, target_config
from .latency import CAPTURES
from .sim_server import SimProcess

CAPTURE_NAMES = ("7.6.175_with_cts_3phase", "8.2.4382_ACB", "5.0.62", "8.3.5167_3rd-pv")
ROUNDS = 10


def cpu_per_call(call: Callable[[], object], iterations: int) -> float:
    """Mean CPU seconds of one call (after one warm-up call)."""
    call()
    started = time.process_time()
    for _ in range(iterations):
        call()
    return (time.process_time() - started) / iterations


class _Exporter:
    """The exporter's work per poll: a refresh 15 s on, then the render of the new snapshot."""

    def __init__(self, gateway: dict[str, Any]) -> None:
        self.clock = FakeClock()
        self.target = Target(target_config(gateway, cache_ttl=POLL_SECONDS), clock=self.clock)
        render(self.target)

    def run(self, iterations: int) -> tuple[float, float]:
        """Mean CPU seconds of (refresh, render) over `iterations` polls."""
        refresh = rendering = 0.0
        for _ in range(iterations):
            self.clock.advance(POLL_SECONDS)
            started = time.process_time()
            self.target.snapshot()
            refreshed = time.process_time()
            render(self.target)
            rendering += time.process_time() - refreshed
            refresh += refreshed - started
        return refresh / iterations, rendering / iterations


class _StdlibGET:
    """GETs over one kept http.client connection, nothing else: the least any Python client
    built on the standard library pays per request (the floor under requests and urllib3)."""

    def __init__(self, gateway: dict[str, Any]) -> None:
        self.host, port = str(gateway["host"]).rsplit(":", 1)
        self.port = int(port)
        self.tls = bool(gateway.get("token"))
        self.headers = {"Authorization": f"Bearer {gateway['token']}"} if self.tls else {}
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> bytes:
        if self.connection is None:
            self.connection = (
                http.client.HTTPSConnection(self.host, self.port, context=NO_VERIFY_SSL_CONTEXT)
                if self.tls
                else http.client.HTTPConnection(self.host, self.port)
            )
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.will_close:  # firmware 5 closes every connection
            self.close()
        return body

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _every_refresh(exporter: _Exporter, iterations: int = 20) -> list[str]:
    """The endpoints a refresh reads every time (power): counted from the snapshot's own
    request counters over `iterations` refreshes."""
    before = dict(exporter.target.snapshot().requests)
    exporter.run(iterations)
    after = exporter.target.snapshot().requests
    counts: dict[str, int] = {}
    for (endpoint, code), count in after.items():
        counts[endpoint] = counts.get(endpoint, 0) + count - before.get((endpoint, code), 0)
    return sorted(e for e, n in counts.items() if n >= iterations)


def _requests_alone(get: Callable[[str], object], endpoints: list[str]) -> Callable[[], None]:
    def one_refresh() -> None:
        for endpoint in endpoints:
            get(endpoint)

    return one_refresh


def measure(gateway: dict[str, Any], iterations: int, rounds: int = ROUNDS) -> dict[str, Any]:
    envoy = Envoy(gateway["host"])
    envoy.setup()
    envoy.authenticate(**credentials(gateway))
    exporter = _Exporter(gateway)
    power = _every_refresh(exporter)
    stdlib = _StdlibGET(gateway)
    poller = RefPoller(gateway)
    poller.start()
    per_round = max(iterations // rounds, 1)
    runs: dict[str, list[float]] = {
        name: [] for name in ("client", "refresh", "render", "reference", "alone", "stdlib")
    }
    try:
        for _ in range(rounds):
            runs["reference"].append(cpu_per_call(poller.update, per_round))
            refresh, rendering = exporter.run(per_round)
            runs["refresh"].append(refresh)
            runs["render"].append(rendering)
            runs["client"].append(cpu_per_call(envoy.update, per_round))
            runs["alone"].append(cpu_per_call(_requests_alone(envoy.request, power), per_round))
            runs["stdlib"].append(cpu_per_call(_requests_alone(stdlib.get, power), per_round))
    finally:
        poller.close()
        exporter.target.close()
        envoy.close()
        stdlib.close()
    out = {name: statistics.median(values) for name, values in runs.items()}
    both = [a + b for a, b in zip(runs["refresh"], runs["render"], strict=True)]
    ratios = [e / r for e, r in zip(both, runs["reference"], strict=True)]
    return {
        "client_update": out["client"],
        "exporter_refresh": out["refresh"],
        "exporter_render": out["render"],
        "exporter_refresh_render": statistics.median(both),
        "reference_update": out["reference"],
        "ratio_refresh_render": statistics.median(ratios),
        "ratio_refresh_render_range": [min(ratios), max(ratios)],
        "ratio_client_update": out["client"] / out["reference"],
        # What every refresh must send at 15 s freshness, without the exporter around it:
        # through the client (requests, urllib3), and through bare http.client.
        "every_refresh_endpoints": power,
        "requests_alone": out["alone"],
        "requests_alone_stdlib": out["stdlib"],
        "ratio_requests_alone": statistics.median(
            [a / r for a, r in zip(runs["alone"], runs["reference"], strict=True)]
        ),
        "ratio_requests_alone_stdlib": statistics.median(
            [a / r for a, r in zip(runs["stdlib"], runs["reference"], strict=True)]
        ),
    }


def run(iterations: int = 400, names: tuple[str, ...] = CAPTURE_NAMES) -> dict[str, Any]:
    result: dict[str, Any] = {
        "iterations": iterations,
        "rounds": ROUNDS,
        "poll_seconds": POLL_SECONDS,
    }
    for name in names:
        with SimProcess("--captures", str(Path(CAPTURES) / name)) as sims:
            result[name] = measure(sims.gateways[0], iterations)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=400)
    args = parser.parse_args()
    result = run(args.iterations)
    save("cpu", result)
    for name, r in result.items():
        if isinstance(r, dict):
            low, high = r["ratio_refresh_render_range"]
            print(
                f"{name:28} client {r['client_update'] * 1e3:5.2f} ms  refresh "
                f"{r['exporter_refresh'] * 1e3:5.2f} ms  render {r['exporter_render'] * 1e3:5.2f}"
                f" ms  reference {r['reference_update'] * 1e3:5.2f} ms  ratio "
                f"{r['ratio_refresh_render']:.2f} ({low:.2f}-{high:.2f})  requests alone "
                f"{r['ratio_requests_alone']:.2f}, stdlib {r['ratio_requests_alone_stdlib']:.2f}"
            )


if __name__ == "__main__":
    main()
