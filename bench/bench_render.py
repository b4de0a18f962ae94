"""CPU of rendering one new snapshot: the output's render_snapshot against the prototype
writer of bench/fast_render.py, on the large profile with 10-1,000 inverters. The two
expositions are parsed back and compared series by series before timing."""

from __future__ import annotations

import argparse
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter.collector.target import Target
from envoy_exporter.outputs.prometheus import render_snapshot

from .bench_cpu import cpu_per_call
from .common import FakeClock, save, target_config
from .fast_render import render_text
from .sim_server import SimProcess

SIZES = (10, 300, 1000)


def series(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def measure(inverters: int, iterations: int) -> dict[str, Any]:
    with SimProcess("--profile", "large", "--inverters", str(inverters)) as sims:
        target = Target(target_config(sims.gateways[0]), clock=FakeClock())
        snapshot = target.snapshot()
        target.close()
    ours, fast = render_snapshot(snapshot), render_text(snapshot)
    a, b = series(ours), series(fast)
    return {
        "inverters": inverters,
        "series": len(a),
        "same_series": a == b,
        "differences": sorted(str(k) for k in set(a) ^ set(b))[:5],
        "render_snapshot_ms": cpu_per_call(lambda: render_snapshot(snapshot), iterations) * 1e3,
        "prototype_ms": cpu_per_call(lambda: render_text(snapshot), iterations) * 1e3,
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
            f"{r['inverters']:5} inverters {r['series']:5} series same={r['same_series']} "
            f"render_snapshot {r['render_snapshot_ms']:.2f} ms prototype {r['prototype_ms']:.2f} ms"
            f" {r['differences']}"
        )


if __name__ == "__main__":
    main()
