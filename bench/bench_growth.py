"""6. Cost growth with the number of inverters (10, 100, 300, 1,000 on the "large" profile):
CPU per full refresh (our client's update(), the reference's update()), CPU of rendering a
new exposition, and the client-side time of a cached /metrics scrape. Writes a PNG plot."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import requests

from envoy_exporter.collector.target import Target
from envoy_exporter.outputs.prometheus import render

from .bench_cpu import cpu_per_call
from .common import POLL_SECONDS, FakeClock, RefPoller, percentile, save, target_config
from .exporter_process import ExporterProcess
from .sim_server import SimProcess

SIZES = (10, 100, 300, 1000)
PLOT = Path(__file__).resolve().parent / "plot" / "growth.png"


def measure(inverters: int, iterations: int, scrapes: int) -> dict[str, Any]:
    out: dict[str, Any] = {"inverters": inverters}
    with SimProcess("--profile", "large", "--inverters", str(inverters)) as sims:
        gateway = sims.gateways[0]
        # 300 s steps: every refresh re-reads the inverters, the worst case of the schedule.
        clock = FakeClock()
        target = Target(target_config(gateway, cache_ttl=POLL_SECONDS), clock=clock)

        def refresh() -> None:
            clock.advance(300.0)
            target.snapshot()

        def refresh_render() -> None:
            refresh()
            render(target)

        out["exporter_refresh_ms"] = cpu_per_call(refresh, iterations) * 1e3
        out["exporter_refresh_render_ms"] = cpu_per_call(refresh_render, iterations) * 1e3
        out["render_ms"] = out["exporter_refresh_render_ms"] - out["exporter_refresh_ms"]
        out["exposition_bytes"] = len(render(target))
        target.close()
        poller = RefPoller(gateway)
        poller.start()
        out["reference_update_ms"] = cpu_per_call(poller.update, iterations) * 1e3
        poller.close()
        with ExporterProcess(gateway) as exporter, requests.Session() as session:
            url = f"{exporter.url}/metrics"
            session.get(url, timeout=60).raise_for_status()
            times = []
            for _ in range(scrapes):
                started = time.perf_counter()
                session.get(url, timeout=60).raise_for_status()
                times.append(time.perf_counter() - started)
        out["scrape_p50_ms"] = percentile(times, 50) * 1e3
        out["scrape_p99_ms"] = percentile(times, 99) * 1e3
    return out


def plot(rows: list[dict[str, Any]], path: Path = PLOT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["inverters"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label in (
        ("exporter_refresh_render_ms", "exporter refresh + render (CPU)"),
        ("reference_update_ms", "pyenphase update() (CPU)"),
        ("render_ms", "render of a new exposition (CPU)"),
        ("scrape_p50_ms", "cached /metrics scrape p50 (wall)"),
    ):
        ax.plot(x, [r[key] for r in rows], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("inverters")
    ax.set_ylabel("milliseconds")
    ax.set_title("Cost growth with the number of inverters (large profile)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def run(sizes: tuple[int, ...] = SIZES, iterations: int = 30, scrapes: int = 50) -> dict[str, Any]:
    rows = [measure(n, iterations, scrapes) for n in sizes]
    return {"iterations": iterations, "scrapes": scrapes, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    result = run(iterations=args.iterations, scrapes=args.scrapes)
    save("growth", result)
    print(plot(result["rows"]))
    for r in result["rows"]:
        print(
            f"{r['inverters']:5} inverters  refresh+render "
            f"{r['exporter_refresh_render_ms']:7.2f} ms"
            f"  render {r['render_ms']:6.2f} ms  reference {r['reference_update_ms']:7.2f} ms"
            f"  scrape p50 {r['scrape_p50_ms']:6.2f} ms  {r['exposition_bytes']} bytes"
        )


if __name__ == "__main__":
    main()
