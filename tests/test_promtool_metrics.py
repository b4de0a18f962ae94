"""`promtool check metrics` on every simulated gateway's /metrics: no warning that
docs/metrics.md does not explain."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from envoy_exporter.cli.demo import demo_target
from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.target import Target
from envoy_exporter.simulator.profiles import PROFILE_NAMES

from .conftest import SimulatorFactory

DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
PROMTOOL = shutil.which("promtool")


def _explained() -> set[tuple[str, str]]:
    """(metric, warning) pairs of the docs' "promtool check metrics" table."""
    section = DOCS.read_text(encoding="utf-8").split("## promtool check metrics", 1)[1]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `")]
    return {(row[0].strip("|` "), row[1].strip()) for row in rows}


@pytest.mark.skipif(PROMTOOL is None, reason="promtool not found (scripts/test installs it)")
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_promtool_warnings_are_explained(simulator: SimulatorFactory, profile: str) -> None:
    sim = simulator(profile, sleep=False)
    target = Target(demo_target(sim))
    server = build_server({"home": target}, single="home", listen="127.0.0.1:0").start()
    try:
        text = requests.get(server.url + "metrics", timeout=60).text
    finally:
        server.stop()
    assert "enphase_production_power_watts" in text
    done = subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    warnings = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    unexplained = [line for line in warnings if tuple(line.split(" ", 1)) not in _explained()]
    assert not unexplained, f"explain these in docs/metrics.md (or fix them): {unexplained}"
    # promtool exits 3 on lint findings alone, 1 on a format error
    assert done.returncode == (3 if warnings else 0), done.stderr
