"""3. Scrape cost on the "large" profile: cached /metrics against /-/healthy on the same
server, many scrapers at once (threads, one requests.Session each), client-side over loopback.
Then 200 concurrent scrapers for a while (issue 8's load): p99 and gateway refreshes seen.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter
from typing import Any

import requests

from .common import percentile, save
from .exporter_process import ExporterProcess
from .sim_server import SimProcess


def hammer(url: str, scrapers: int, seconds: float, encoding: str = "gzip") -> dict[str, Any]:
    """`scrapers` threads GET `url` in a loop for `seconds`; latency percentiles in ms."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    # Prometheus asks for gzip; "identity" shows the cost of compressing at every scrape.
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": "10", "Accept-Encoding": encoding}

    def scraper() -> None:
        session = requests.Session()
        mine: list[float] = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            status = None
            try:
                response = session.get(url, headers=headers, timeout=15)
                status = response.status_code
                ok = status == 200
                _ = response.content
            except requests.RequestException as err:
                ok, status = False, None
                with lock:
                    errors.append(type(err).__name__)
            if ok:
                mine.append(time.perf_counter() - started)
            elif status is not None:
                with lock:
                    errors.append(f"HTTP {status}")
        session.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=scraper) for _ in range(scrapers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "scrapers": scrapers,
        "seconds": seconds,
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": dict(Counter(errors)),
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "per_second": len(latencies) / seconds,
    }


def refreshes(url: str) -> float:
    """Gateway requests the exporter made so far, from its own counters (a proxy for refreshes)."""
    text = requests.get(f"{url}/metrics", timeout=30).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("enphase_exporter_requests_total{") and "meters/readings" in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def run(
    scrapers: int = 16,
    seconds: float = 10.0,
    heavy: int = 200,
    heavy_seconds: float = 20.0,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with (
        SimProcess("--profile", "large") as sims,
        ExporterProcess(sims.gateways[0]) as exporter,
    ):
        body = requests.get(f"{exporter.url}/metrics", timeout=60)
        result["metrics_bytes"] = len(body.content)
        result["metrics_series"] = sum(
            1 for line in body.text.splitlines() if line and not line.startswith("#")
        )
        result["healthy"] = hammer(f"{exporter.url}/-/healthy", scrapers, seconds)
        result["metrics"] = hammer(f"{exporter.url}/metrics", scrapers, seconds)
        result["metrics_identity"] = hammer(
            f"{exporter.url}/metrics", scrapers, seconds, encoding="identity"
        )
        result["ratio_p50"] = result["metrics"]["p50_ms"] / result["healthy"]["p50_ms"]
        result["ratio_p50_identity"] = (
            result["metrics_identity"]["p50_ms"] / result["healthy"]["p50_ms"]
        )
        result["ratio_p99"] = result["metrics"]["p99_ms"] / result["healthy"]["p99_ms"]
        before = refreshes(exporter.url)
        result["heavy"] = hammer(f"{exporter.url}/metrics", heavy, heavy_seconds)
        result["heavy"]["meters_readings_requests"] = refreshes(exporter.url) - before
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scrapers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--heavy", type=int, default=200)
    parser.add_argument("--heavy-seconds", type=float, default=20.0)
    args = parser.parse_args()
    result = run(args.scrapers, args.seconds, args.heavy, args.heavy_seconds)
    save("scrape", result)
    for key in ("healthy", "metrics", "metrics_identity", "heavy"):
        r = result[key]
        print(
            f"{key:8} {r['scrapers']:4} scrapers {r['requests']:6} ok {r['errors']:4} errors "
            f"p50 {r['p50_ms']:7.2f} ms p99 {r['p99_ms']:7.2f} ms {r['per_second']:.0f}/s"
        )
    print(
        f"ratio p50 {result['ratio_p50']:.2f} p99 {result['ratio_p99']:.2f}; "
        f"{result['metrics_bytes']} bytes, {result['metrics_series']} series"
    )


if __name__ == "__main__":
    main()
