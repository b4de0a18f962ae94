"""2c. Instructions per refresh under valgrind: the CPU figures of bench_cpu without the noise.

`time.process_time` on a shared 2-core VM drifts by tens of percent between runs, more than
most changes to the exporter are worth; user-space instructions counted by callgrind are the
same from run to run (hash seed fixed), so a change can be judged by them. They leave out
the kernel's side of a request (sockets, the loopback), which `process_time` counts: they
are a development aid, and the goal stays on bench_cpu's CPU time.

Each figure is (instructions of N polls - instructions of 0 polls) / N, in a child process
that sets up the same way both times. Needs valgrind (Debian package `valgrind`).

    .venv/bin/python -m bench.bench_instructions                  # every capture, every kind
    .venv/bin/python -m bench.bench_instructions 5.0.62 --polls 100
    .venv/bin/python -m bench.bench_instructions 8.3.5167_3rd-pv --kinds poll poll_om refresh
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .bench_cpu import CAPTURE_NAMES
from .common import POLL_SECONDS, FakeClock, RefPoller, credentials, save, target_config
from .latency import CAPTURES
from .sim_server import SimProcess

ROOT = Path(__file__).resolve().parents[1]
#: what one poll is, per kind of run
KINDS = ("poll", "refresh", "request", "urllib3", "reference")
#: on demand (--kinds): a poll rendered in OpenMetrics, as Prometheus asks for it
EXTRA_KINDS = ("poll_om",)
_COLLECTED = re.compile(r"Collected : (\d+)")


def _child(kind: str, capture: str, polls: int) -> None:
    """One run: set up, warm up, then `polls` polls of `kind` (measured from outside)."""
    from envoy_exporter.collector.target import Target
    from envoy_exporter.envoy import Envoy
    from envoy_exporter.outputs.prometheus import render

    with SimProcess("--captures", str(CAPTURES / capture)) as sims:
        gateway = sims.gateways[0]
        if kind == "reference":
            poller = RefPoller(gateway)
            poller.start()
            for _ in range(3 + polls):
                poller.update()
            poller.close()
            return
        if kind == "urllib3":
            _urllib3_requests(gateway, 3 + polls)
            return
        if kind == "request":
            envoy = Envoy(gateway["host"])
            envoy.setup()
            envoy.authenticate(**credentials(gateway))
            path = "/api/v1/production" if gateway.get("token") is None else "/ivp/meters/readings"
            for _ in range(3 + polls):
                envoy.request(path)
            envoy.close()
            return
        clock = FakeClock(1.7e9)
        target = Target(target_config(gateway, cache_ttl=POLL_SECONDS), clock=clock)
        for _ in range(3 + polls):
            clock.advance(POLL_SECONDS)
            target.snapshot()
            if kind.startswith("poll"):
                render(target, openmetrics=kind == "poll_om")
        target.close()


def _urllib3_requests(gateway: dict[str, Any], count: int) -> None:
    """The alternative to requests (issue 12 item 6): the same GETs as the `request` kind,
    written on urllib3 alone as the client would: session cookie, retry policy with a
    budget, timeouts, a bounded read, the status kept. Firmware >= 7 captures only."""
    import urllib3

    from envoy_exporter.envoy.retry import retry_policy
    from envoy_exporter.envoy.ssl import NO_VERIFY_SSL_CONTEXT

    pool = urllib3.HTTPSConnectionPool(
        *gateway["host"].rsplit(":", 1), ssl_context=NO_VERIFY_SSL_CONTEXT, maxsize=1
    )
    timeout = urllib3.Timeout(connect=10.0, read=45.0)
    check = pool.request(
        "GET", "/auth/check_jwt", headers={"Authorization": f"Bearer {gateway['token']}"}
    )
    cookie = check.headers.get("Set-Cookie", "").split(";", 1)[0]
    policy = retry_policy()
    for _ in range(count):
        answer = pool.urlopen(
            "GET",
            "/ivp/meters/readings",
            headers={"Cookie": cookie, "Accept": "*/*", "User-Agent": "envoy-exporter"},
            retries=policy.starting_now(),
            timeout=timeout,
            preload_content=False,
        )
        body = answer.read(8 * 1024 * 1024 + 1, decode_content=True)
        assert answer.status == 200 and body
        answer.release_conn()
    pool.close()


def _instructions(kind: str, capture: str, polls: int) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.bench_instructions",
        "--child",
        kind,
        capture,
        "--polls",
        str(polls),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind run failed ({kind}, {capture}): {done.stderr[-2000:]}")
    return int(found.group(1))


def per_poll(kind: str, capture: str, polls: int) -> float:
    with ThreadPoolExecutor(2) as pool:
        empty, full = pool.map(lambda n: _instructions(kind, capture, n), (0, polls))
    return (full - empty) / polls


def run(
    names: tuple[str, ...] = CAPTURE_NAMES, polls: int = 200, kinds: tuple[str, ...] = KINDS
) -> dict[str, Any]:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    result: dict[str, Any] = {"polls": polls}
    for name in names:
        counts = {kind: per_poll(kind, name, polls) for kind in kinds}
        line = "  ".join(f"{k} {counts[k] / 1e6:.2f} M" for k in kinds)
        if {"poll", "refresh", "reference"} <= set(kinds):
            counts["ratio_poll"] = counts["poll"] / counts["reference"]
            counts["ratio_refresh"] = counts["refresh"] / counts["reference"]
            line += (
                f"  poll vs ref {counts['ratio_poll']:.2f}, "
                f"refresh vs ref {counts['ratio_refresh']:.2f}"
            )
        result[name] = counts
        print(f"{name:26} {line}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("captures", nargs="*", default=list(CAPTURE_NAMES))
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--kinds", nargs="+", choices=KINDS + EXTRA_KINDS, default=list(KINDS))
    parser.add_argument("--child", choices=KINDS + EXTRA_KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.captures[0], args.polls)
        return
    result = run(tuple(args.captures), args.polls, tuple(args.kinds))
    if tuple(args.kinds) == KINDS:
        save("instructions", result)


if __name__ == "__main__":
    main()
