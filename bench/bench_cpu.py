"""2. CPU per refresh, in process: our client's update(), the exporter's refresh and render,
and the reference's update(), on captures of different kinds.

The simulated gateway runs in another process, so only the client's CPU is counted
(time.process_time covers every thread of this process). The contenders take turns in
rounds and each figure is the median of its rounds' means: the machine's speed drifts by tens
of percent over a minute (a shared VM), which a one-after-the-other run would book on one side.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envoy_exporter.collector.target import Target
from envoy_exporter.envoy import Envoy
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


def measure(gateway: dict[str, Any], iterations: int, rounds: int = ROUNDS) -> dict[str, float]:
    envoy = Envoy(gateway["host"])
    envoy.setup()
    envoy.authenticate(**credentials(gateway))
    exporter = _Exporter(gateway)
    poller = RefPoller(gateway)
    poller.start()
    per_round = max(iterations // rounds, 1)
    runs: dict[str, list[float]] = {"client": [], "refresh": [], "render": [], "reference": []}
    try:
        for _ in range(rounds):
            runs["reference"].append(cpu_per_call(poller.update, per_round))
            refresh, rendering = exporter.run(per_round)
            runs["refresh"].append(refresh)
            runs["render"].append(rendering)
            runs["client"].append(cpu_per_call(envoy.update, per_round))
    finally:
        poller.close()
        exporter.target.close()
        envoy.close()
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
                f"{r['ratio_refresh_render']:.2f} ({low:.2f}-{high:.2f})"
            )


if __name__ == "__main__":
    main()
