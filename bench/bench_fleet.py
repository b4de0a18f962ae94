"""4. Fleet: one exporter process in multi-target mode (--config.file) with many simulated
gateways (one simulator process, one port each), every target probed once per period, as
Prometheus would: CPU share, RSS, probe latency, threads and sockets of the exporter."""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from .common import cpu_seconds, percentile, rss_bytes, save, threads_and_fds
from .exporter_process import ExporterProcess, free_port
from .sim_server import SimProcess

SCRAPE_TIMEOUT = 10.0


def config_yaml(gateways: list[dict[str, Any]]) -> str:
    lines = ["auths:"]
    for i, g in enumerate(gateways):
        lines.append(f"  a{i}:")
        if g.get("token"):
            lines.append(f"    token: {g['token']}")
        else:
            lines += [f"    username: {g['username']}", f"    password: '{g['password']}'"]
    lines.append("targets:")
    for i, g in enumerate(gateways):
        lines += [f"  g{i}:", f"    host: {g['host']}", f"    auth: a{i}"]
    return "\n".join(lines) + "\n"


def run(
    count: int = 200,
    period: float = 60.0,
    rounds: int = 3,
    profile: str = "battery",
    workers: int = 8,
    ramp: float | None = None,
    otlp: bool = False,
) -> dict[str, Any]:
    """Round 0 connects every target, spread over `ramp` seconds (default: one period);
    the later rounds are the steady state, each target probed once per `period`."""
    ramp = period if ramp is None else ramp
    result: dict[str, Any] = {
        "gateways": count,
        "period": period,
        "rounds": rounds,
        "profile": profile,
        "scrape_timeout": SCRAPE_TIMEOUT,
        "workers": workers,
        "ramp": ramp,
        "otlp": otlp,
    }
    extra = ["--web.max-threads", str(workers)]
    if otlp:
        # A collector that refuses every connection: the worst case for the push (each export
        # retries until its timeout), all on the same work pool as the probes' refreshes.
        extra += ["--otlp", "--otlp.endpoint", f"http://127.0.0.1:{free_port()}"]
        extra += ["--otlp.interval", str(period)]
    with SimProcess("--profile", profile, "--count", str(count)) as sims:
        config = config_yaml(sims.gateways)
        with ExporterProcess(
            config=config,
            log_level="warning",
            extra_args=tuple(extra),
        ) as exporter:
            result["idle_rss_mb"] = rss_bytes(exporter.pid) / 2**20
            samples: list[dict[str, float]] = []
            probes: list[tuple[int, float, int]] = []  # (round, seconds, status)
            lock = threading.Lock()
            local = threading.local()

            def probe(i: int, round_: int) -> None:
                session = getattr(local, "session", None)
                if session is None:
                    session = local.session = requests.Session()
                started = time.perf_counter()
                try:
                    status = session.get(
                        f"{exporter.url}/probe",
                        params={"target": f"g{i}"},
                        headers={"X-Prometheus-Scrape-Timeout-Seconds": str(SCRAPE_TIMEOUT)},
                        timeout=SCRAPE_TIMEOUT + 5,
                    ).status_code
                except requests.RequestException:
                    status = 0
                with lock:
                    probes.append((round_, time.perf_counter() - started, status))

            start = time.monotonic()

            def length(round_: int) -> float:
                return ramp if round_ == 0 else period

            def round_start(round_: int) -> float:
                return start + (ramp + (round_ - 1) * period if round_ > 0 else 0.0)

            cpu0 = cpu_seconds(exporter.pid)
            round_cpu = [cpu0]
            sim_cpu0 = cpu_seconds(sims.proc.pid)
            with ThreadPoolExecutor(max_workers=128) as pool:
                for round_ in range(rounds):
                    for i in range(count):
                        due = round_start(round_) + i * length(round_) / count
                        while (wait := due - time.monotonic()) > 0:
                            time.sleep(min(wait, 1.0))
                            if int(time.monotonic() - start) % 5 == 0:
                                threads, fds, socks = threads_and_fds(exporter.pid)
                                samples.append(
                                    {
                                        "t": time.monotonic() - start,
                                        "threads": threads,
                                        "fds": fds,
                                        "sockets": socks,
                                        "rss_mb": rss_bytes(exporter.pid) / 2**20,
                                    }
                                )
                        pool.submit(probe, i, round_)
                    round_cpu.append(cpu_seconds(exporter.pid))
                    while time.monotonic() < round_start(round_ + 1):
                        time.sleep(0.2)
                    round_cpu[-1] = cpu_seconds(exporter.pid)
            result["rounds_detail"] = []
            for r in range(rounds):
                mine = [s for rr, s, _ in probes if rr == r]
                bad = [st for rr, _, st in probes if rr == r and st != 200]
                statuses: dict[str, int] = {}
                for st in bad:
                    statuses[str(st)] = statuses.get(str(st), 0) + 1
                result["rounds_detail"].append(
                    {
                        "round": r,
                        "probes": len(mine),
                        "failed": len(bad),
                        "failed_by_status": statuses,
                        "over_timeout": sum(1 for x in mine if x > SCRAPE_TIMEOUT),
                        "p50_ms": percentile(mine, 50) * 1e3,
                        "p99_ms": percentile(mine, 99) * 1e3,
                        "max_ms": max(mine) * 1e3 if mine else float("nan"),
                        "cpu_share": (round_cpu[r + 1] - round_cpu[r]) / length(r),
                    }
                )
            result["simulator_cpu_share"] = (cpu_seconds(sims.proc.pid) - sim_cpu0) / (
                time.monotonic() - start
            )
            result["samples"] = samples
            result["max_threads"] = max(s["threads"] for s in samples)
            result["max_sockets"] = max(s["sockets"] for s in samples)
            result["max_fds"] = max(s["fds"] for s in samples)
            result["max_rss_mb"] = max(s["rss_mb"] for s in samples)
            result["final_rss_mb"] = rss_bytes(exporter.pid) / 2**20
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--period", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="battery")
    parser.add_argument("--workers", type=int, default=8, help="--web.max-threads")
    parser.add_argument("--ramp", type=float, help="seconds over which round 0 connects")
    parser.add_argument(
        "--otlp", action="store_true", help="also push every target (collector refusing)"
    )
    args = parser.parse_args()
    result = run(
        args.count,
        args.period,
        args.rounds,
        profile=args.profile,
        workers=args.workers,
        ramp=args.ramp,
        otlp=args.otlp,
    )
    suffix = f"_w{args.workers}" if args.workers != 8 else ""
    suffix += "_otlp" if args.otlp else ""
    save(f"fleet_{args.count}_{args.profile}{suffix}", result)
    for r in result["rounds_detail"]:
        print(
            f"round {r['round']}: {r['probes']} probes, {r['failed']} failed, "
            f"{r['over_timeout']} over the timeout, p50 "
            f"{r['p50_ms']:.0f} ms p99 {r['p99_ms']:.0f} ms max {r['max_ms']:.0f} ms, "
            f"CPU {r['cpu_share']:.2f} core"
        )
    print(
        f"RSS max {result['max_rss_mb']:.0f} MB, threads max {result['max_threads']}, "
        f"sockets max {result['max_sockets']}, fds max {result['max_fds']}"
    )


if __name__ == "__main__":
    main()
