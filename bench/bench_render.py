"""CPU of rendering the exposition on the large profile with 10-1,000 inverters, in format
0.0.4 (text) and in OpenMetrics (which Prometheus asks for first): prometheus_client's writer
over the whole catalogue (`render_snapshot`, what the output did before: for OpenMetrics until
it shared the renderer), the output's own writer writing everything (a renderer's first
snapshot), and the renderer at a power refresh (CT readings, battery power and the exporter's
health written again, the rest kept). The texts are compared byte for byte before timing."""

from __future__ import annotations

import argparse
from typing import Any

from envoy_exporter.collector.config import MAX_SERIES
from envoy_exporter.collector.snapshot import Snapshot
from envoy_exporter.collector.target import Target
from envoy_exporter.outputs.prometheus import SnapshotRenderer, render_snapshot
from envoy_exporter.outputs.text import OPENMETRICS_EOF

from .bench_cpu import cpu_per_call
from .common import POLL_SECONDS, FakeClock, save, target_config
from .sim_server import SimProcess

SIZES = (10, 300, 1000)
#: row name -> openmetrics
FORMATS = {"text": False, "openmetrics": True}


def _figures(first: Snapshot, later: list[Snapshot], iterations: int, om: bool) -> dict[str, Any]:
    def full(snapshot: Snapshot) -> bytes:
        return render_snapshot(snapshot, om, max_series=MAX_SERIES)

    def ours(renderer: SnapshotRenderer, snapshot: Snapshot) -> bytes:
        return renderer.render(snapshot, om) + (OPENMETRICS_EOF if om else b"")

    same = ours(SnapshotRenderer(), first) == full(first)
    renderer = SnapshotRenderer()
    renderer.render(first, om)
    same = same and all(ours(renderer, s) == full(s) for s in later[:3])
    incremental = SnapshotRenderer()
    incremental.render(first, om)
    steps = iter(later)
    return {
        "same_bytes": same,
        "prometheus_client_ms": cpu_per_call(lambda: full(first), iterations) * 1e3,
        "writer_all_ms": cpu_per_call(lambda: SnapshotRenderer().render(first, om), iterations)
        * 1e3,
        "refresh_render_ms": cpu_per_call(lambda: incremental.render(next(steps), om), iterations)
        * 1e3,
    }


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
    text = render_snapshot(first)
    # the text format's figures at the top level, as before OpenMetrics had a row
    figures = {name: _figures(first, later, iterations, om) for name, om in FORMATS.items()}
    return {
        "inverters": inverters,
        "series": text.count(b"\n") - text.count(b"\n#"),
        **figures["text"],
        "formats": figures,
    }


def run(sizes: tuple[int, ...] = SIZES, iterations: int = 50) -> dict[str, Any]:
    return {"iterations": iterations, "rows": [measure(n, iterations) for n in sizes]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=50)
    result = run(iterations=parser.parse_args().iterations)
    save("render", result)
    for r in result["rows"]:
        for name, f in r["formats"].items():
            print(
                f"{r['inverters']:5} inverters {r['series']:5} series {name:11} "
                f"same={f['same_bytes']} prometheus_client {f['prometheus_client_ms']:.2f} ms, "
                f"writer {f['writer_all_ms']:.2f} ms, at a refresh "
                f"{f['refresh_render_ms']:.2f} ms"
            )


if __name__ == "__main__":
    main()
