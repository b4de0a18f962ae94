"""Shared pieces of the benchmarks: clocks, credentials, the reference poller, process stats."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
POLL_SECONDS = 15.0


class FakeClock:
    """A clock the benchmark moves by hand (the collector's injectable clock)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def credentials(sim: Any) -> dict[str, str | None]:
    """An owner token for firmware >= 7, the local `envoy` digest user below.

    `sim`: a SimulatedEnvoy, or a gateway line of bench.sim_server (a dict).
    """
    if isinstance(sim, dict):
        return {k: sim[k] for k in ("username", "password", "token")}
    if sim.base_url.startswith("https"):
        return {"username": None, "password": None, "token": sim.token}
    return {"username": "envoy", "password": sim.local_users["envoy"], "token": None}


def target_config(sim: Any, name: str = "bench", **options: Any) -> Any:
    from envoy_exporter.collector.target import TargetConfig

    creds = credentials(sim)
    return TargetConfig(
        name=name,
        host=host_of(sim),
        token=creds["token"],
        username=creds["username"],
        password=creds["password"],
        **options,
    )


def host_of(sim: Any) -> str:
    return str(sim["host"] if isinstance(sim, dict) else sim.host)


class RefPoller:
    """pyenphase 4.2.0 driven as Home Assistant drives it: set up once, one update() per poll."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.loop = asyncio.new_event_loop()
        self.envoy: Any = None

    def start(self) -> None:
        from pyenphase import Envoy as RefEnvoy

        async def setup() -> Any:
            # v3 ACB mode, as the oracle tests use: ACB batteries are not inverters.
            envoy = RefEnvoy(host_of(self.sim), v2_acb_mode=False)
            await envoy.setup()
            await envoy.authenticate(**credentials(self.sim))
            return envoy

        self.envoy = self.loop.run_until_complete(setup())

    def update(self) -> Any:
        return self.loop.run_until_complete(self.envoy.update())

    def close(self) -> None:
        if self.envoy is not None:
            self.loop.run_until_complete(self.envoy.close())
        self.loop.close()


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def threads_and_fds(pid: int | str = "self") -> tuple[int, int, int]:
    """(threads, open file descriptors, sockets) of a process."""
    threads = len(os.listdir(f"/proc/{pid}/task"))
    fds = os.listdir(f"/proc/{pid}/fd")
    sockets = 0
    for fd in fds:
        try:
            sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return threads, len(fds), sockets


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def save(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2, sort_keys=True) + "\n")
    return path
