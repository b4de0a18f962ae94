"""Every benchmark of issue 7 in one run, side by side with pyenphase 4.2.0; writes
bench/results/*.json, bench/plot/growth.png and the tables of bench/README.md.

    .venv/bin/python -m bench.run            # the figures in bench/README.md
    .venv/bin/python -m bench.run --fleet 1000 --heavy-seconds 60
"""

from __future__ import annotations

import argparse

from . import (
    bench_cpu,
    bench_fleet,
    bench_growth,
    bench_load,
    bench_memory,
    bench_render,
    bench_scrape,
)
from .common import save
from .report import update_readme


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=1.0, help="simulated hours counted")
    parser.add_argument("--iterations", type=int, default=400, help="CPU: calls per figure")
    parser.add_argument("--scrapers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="scrape: per measurement")
    parser.add_argument("--heavy-seconds", type=float, default=20.0, help="200 scrapers for")
    parser.add_argument("--fleet", type=int, default=200, help="simulated gateways")
    parser.add_argument("--fleet-rounds", type=int, default=3, help="probe periods of 60 s")
    parser.add_argument("--skip", action="append", default=[], help="load, cpu, scrape, ...")
    args = parser.parse_args()
    skip = set(args.skip)
    if "load" not in skip:
        save("load", bench_load.run(args.hours))
    if "cpu" not in skip:
        save("cpu", bench_cpu.run(args.iterations))
    if "render" not in skip:
        save("render", bench_render.run())
    if "scrape" not in skip:
        save("scrape", bench_scrape.run(args.scrapers, args.seconds, 200, args.heavy_seconds))
    if "memory" not in skip:
        save("memory", bench_memory.run())
    if "growth" not in skip:
        growth = bench_growth.run()
        save("growth", growth)
        bench_growth.plot(growth["rows"])
    if "fleet" not in skip:
        save(f"fleet_{args.fleet}", bench_fleet.run(args.fleet, 60.0, args.fleet_rounds))
    update_readme()


if __name__ == "__main__":
    main()
