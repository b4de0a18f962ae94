"""5. Memory: RSS of the exporter process serving one gateway (after some scrapes) against
the RSS of a process polling the same gateway with the reference library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from .common import rss_bytes, save
from .exporter_process import ExporterProcess
from .sim_server import SimProcess

PROFILES = ("battery", "large")


def measure(profile: str, scrapes: int) -> dict[str, Any]:
    with SimProcess("--profile", profile) as sims:
        gateway = sims.gateways[0]
        with ExporterProcess(gateway) as exporter:
            for _ in range(scrapes):
                requests.get(f"{exporter.url}/metrics", timeout=60).raise_for_status()
            ours = rss_bytes(exporter.pid)
        ref = subprocess.run(
            [sys.executable, "-m", "bench.ref_poller", str(scrapes)],
            input=json.dumps(gateway) + "\n",
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        theirs = json.loads(ref.stdout.strip().splitlines()[-1])["rss"]
    return {
        "exporter_rss_mb": ours / 2**20,
        "reference_rss_mb": theirs / 2**20,
        "ratio": ours / theirs,
    }


def run(scrapes: int = 20) -> dict[str, Any]:
    return {"scrapes": scrapes, **{p: measure(p, scrapes) for p in PROFILES}}


def main() -> None:
    result = run()
    save("memory", result)
    for profile in PROFILES:
        r = result[profile]
        print(
            f"{profile:8} exporter {r['exporter_rss_mb']:.1f} MB  reference "
            f"{r['reference_rss_mb']:.1f} MB  ratio {r['ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
