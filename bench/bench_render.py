"""CPU of rendering the exposition on the large profile with 10-1,000 inverters:
prometheus_client's generate_latest over the whole catalogue (`render_snapshot`), the
output's own writer writing everything (a renderer's first snapshot), and the renderer at a
power refresh (CT readings, battery power and the exporter's health written again, the rest
kept). The three texts are compared byte for byte before timing."""

from __future__ import annotations

import argparse
from typing import Any

from envoy_exporter.collector.target import Target
from envoy_exporter.outputs.prometheus import SnapshotRenderer, render_snapshot

from .bench_cpu import cpu_per_call
from .common import POLL_SECONDS, FakeClock, save, target_config
from .sim_server import SimProcess

SIZES = (10, 300, 1000)


def measure(inverters: int, iterations: int) -> dict[str, Any]:
    with SimProcess("--profile", "large", "--inverters", str(inverters)) as sims:
        clock = FakeClock()
        target = Target(target_config(sims.gateways[0], cache_ttl=POLL_SECONDS), clock=clock)
        snapshots = [target.snapshot()]
        for _ in range(iterations + 1):
            clock.advance(POLL_SECONDS)
            snapshots.append(target.snapshot())
        target.close()
    first, later = snapshots[0], snapshots[1:]
    same = SnapshotRenderer().render(first) == render_snapshot(first)
    renderer = SnapshotRenderer()
    renderer.render(first)
    same = same and all(renderer.render(s) == render_snapshot(s) for s in later[:3])
    incremental = SnapshotRenderer()
    incremental.render(first)
    steps = iter(later)
    return {
        "inverters": inverters,
        "series": render_snapshot(first).count(b"\n") - render_snapshot(first).count(b"\n#"),
        "same_bytes": same,
        "prometheus_client_ms": cpu_per_call(lambda: render_snapshot(first), iterations) * 1e3,
        "writer_all_ms": cpu_per_call(lambda: SnapshotRenderer().render(first), iterations) * 1e3,
        "refresh_render_ms": cpu_per_call(lambda: incremental.render(next(steps)), iterations)
        * 1e3,
    }


def run(sizes: tuple[int, ...] = SIZES, iterations: int = 50) -> dict[str, Any]:
    return {"iterations": iterations, "rows": [measure(n, iterations) for n in sizes]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=50)
    result = run(iterations=parser.parse_args().iterations)
    save("render", result)
    for r in result["rows"]:
        print(
            f"{r['inverters']:5} inverters {r['series']:5} series same={r['same_bytes']} "
            f"prometheus_client {r['prometheus_client_ms']:.2f} ms, writer "
            f"{r['writer_all_ms']:.2f} ms, at a refresh {r['refresh_render_ms']:.2f} ms"
        )


if __name__ == "__main__":
    main()
