"""2. CPU per refresh, in process: our client's update(), the exporter's refresh (with and
without rendering the exposition) and the reference's update(), on captures of different kinds.

The simulated gateway runs in another process, so only the client's CPU is counted
(time.process_time covers every thread of this process).
"""

from __future__ import annotations

import argparse
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


def cpu_per_call(call: Callable[[], object], iterations: int) -> float:
    """Mean CPU seconds of one call (after one warm-up call)."""
    call()
    started = time.process_time()
    for _ in range(iterations):
        call()
    return (time.process_time() - started) / iterations


def measure(gateway: dict[str, Any], iterations: int) -> dict[str, float]:
    out: dict[str, float] = {}
    envoy = Envoy(gateway["host"])
    try:
        envoy.setup()
        envoy.authenticate(**credentials(gateway))
        out["client_update"] = cpu_per_call(envoy.update, iterations)
    finally:
        envoy.close()

    clock = FakeClock()
    target = Target(target_config(gateway, cache_ttl=POLL_SECONDS), clock=clock)

    def refresh() -> None:
        clock.advance(POLL_SECONDS)
        target.snapshot()

    def refresh_and_render() -> None:
        refresh()
        render(target)

    try:
        out["exporter_refresh"] = cpu_per_call(refresh, iterations)
        out["exporter_refresh_render"] = cpu_per_call(refresh_and_render, iterations)
    finally:
        target.close()

    poller = RefPoller(gateway)
    try:
        poller.start()
        out["reference_update"] = cpu_per_call(poller.update, iterations)
    finally:
        poller.close()
    out["ratio_refresh_render"] = out["exporter_refresh_render"] / out["reference_update"]
    out["ratio_client_update"] = out["client_update"] / out["reference_update"]
    return out


def run(iterations: int = 200, names: tuple[str, ...] = CAPTURE_NAMES) -> dict[str, Any]:
    result: dict[str, Any] = {"iterations": iterations, "poll_seconds": POLL_SECONDS}
    for name in names:
        with SimProcess("--captures", str(Path(CAPTURES) / name)) as sims:
            result[name] = measure(sims.gateways[0], iterations)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    result = run(args.iterations)
    save("cpu", result)
    for name, r in result.items():
        if isinstance(r, dict):
            print(
                f"{name:28} client {r['client_update'] * 1e3:6.2f} ms  exporter refresh "
                f"{r['exporter_refresh'] * 1e3:6.2f} ms  +render "
                f"{r['exporter_refresh_render'] * 1e3:6.2f} ms  reference "
                f"{r['reference_update'] * 1e3:6.2f} ms  ratio {r['ratio_refresh_render']:.2f}"
            )


if __name__ == "__main__":
    main()
