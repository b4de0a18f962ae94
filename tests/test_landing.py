"""The landing page for the person who owns the panels, in a real browser (headless Chromium)
against a running exporter and simulated gateways: the figures equal /metrics, and the
gateway's state says what went wrong in plain words.

Set LANDING_SCREENSHOT=docs/landing.png to write the README's screenshot from this test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter.cli.demo import demo_target
from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.config import TargetConfig
from envoy_exporter.collector.target import Target
from envoy_exporter.server.app import ExporterServer
from envoy_exporter.simulator.profiles import load_profile
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory

CHROMIUM = shutil.which("chromium")
# 2026-06-15 13:00 in the battery site's zone (UTC-8): the sun is up, the battery charges
NOON = 1_781_481_600.0 + 21 * 3600.0
Serve = Callable[[TargetConfig], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(credentials) -> URL of an exporter for one gateway (single-target mode)."""
    servers: list[ExporterServer] = []

    def start(config: TargetConfig) -> str:
        target = Target(config)
        server = build_server({"home": target}, single="home", listen="127.0.0.1:0").start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


class _Figures(HTMLParser):
    """Every `data-metric`/`data-value` cell of the page, with its text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, tuple[float, str]] = {}
        self._open: tuple[str, float] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-metric"):
            self._open = (str(found["data-metric"]), float(str(found["data-value"])))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.cells[self._open[0]] = (self._open[1], data.strip())
            self._open = None


def _chromium(url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--hide-scrollbars", f"--user-data-dir={folder / 'profile'}", *args, url,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def _metrics(url: str) -> dict[str, float]:
    """Every metric of /metrics summed over its series."""
    text = requests.get(url + "metrics", timeout=60).text
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
    return sums


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (scripts/test installs it)")
def test_landing_page_in_a_browser_shows_the_figures_of_metrics(
    simulator: SimulatorFactory, serve: Serve, tmp_path: Path
) -> None:
    # A gateway frozen at one instant: every refresh answers the same, so the page and
    # /metrics can be compared whatever refreshes run between them.
    sim = simulator(load_profile("battery", frozen_at=NOON), sleep=False)
    url = serve(demo_target(sim))
    dom = _chromium(url, tmp_path, "--dump-dom").stdout
    figures = _Figures()
    figures.feed(dom)
    metrics = _metrics(url)

    expected = {
        "enphase_production_power_watts": ("Producing now", r"\d+\.\d\d kW"),
        "enphase_consumption_power_watts": ("Using now", r"\d+\.\d\d kW"),
        "enphase_net_consumption_power_watts": (
            "Grid now",
            r"(importing \S+ kW from|exporting \S+ kW to) the grid",
        ),
        "enphase_battery_state_of_charge_ratio": ("Battery charge", r"\d+ %"),
        "enphase_encharge_power_watts+enphase_acb_power_watts": (
            "Battery is",
            r"charging at \d+\.\d\d kW",
        ),
        "enphase_production_energy_today_joules": ("Produced today", r"\d+\.\d\d kWh"),
        "enphase_consumption_energy_today_joules": ("Used today", r"\d+\.\d\d kWh"),
    }
    assert set(figures.cells) == set(expected)
    for names, (label, words) in expected.items():
        value, text = figures.cells[names]
        assert label in dom
        assert value == sum(metrics.get(name, 0.0) for name in names.split("+")), names
        assert re.fullmatch(words, text), (names, text)
    watts = metrics["enphase_production_power_watts"]
    assert figures.cells["enphase_production_power_watts"][1] == f"{watts / 1000:.2f} kW"
    assert metrics["enphase_production_power_watts"] > 0
    grid, words = figures.cells["enphase_net_consumption_power_watts"]
    assert words.startswith("importing" if grid > 0 else "exporting")
    # the technical details below, in words: no internal part name shown as text
    assert "CT meter readings" in dom and "IQ Batteries" in dom
    assert ">meters<" not in dom and ">ENCHARGE<" not in dom
    assert 'href="/metrics"' in dom and "dashboards/README.md" in dom and "docs/runbook.md" in dom

    shot = tmp_path / "landing.png"
    _chromium(url, tmp_path, "--window-size=1000,1300", f"--screenshot={shot}")
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1000
    if os.environ.get("LANDING_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["LANDING_SCREENSHOT"])


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not found (scripts/test installs it)")
def test_the_demo_command_in_a_browser(tmp_path: Path) -> None:
    """`envoy-exporter demo` as a user runs it: its page shows the figures of its /metrics.

    The demo's gateway follows the clock, so a refresh may land between the page and
    /metrics: /metrics is read before and after the page, and a pair that differs (a refresh
    in between) is read again."""
    entry = "from envoy_exporter.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", entry, "demo", "--web.listen-address", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on " in line, proc.communicate(timeout=30)[1]
        url = line.split("listening on ", 1)[1].strip()
        for _ in range(5):
            before = _metrics(url)
            figures = _Figures()
            figures.feed(_chromium(url, tmp_path, "--dump-dom").stdout)
            after = _metrics(url)
            shown = {name for names in figures.cells for name in names.split("+")}
            if all(before.get(name) == after.get(name) for name in shown):
                break
        else:
            pytest.fail("the demo refreshed between every page and /metrics pair")
        assert len(figures.cells) == 7  # the battery site: every figure
        for names, (value, _) in figures.cells.items():
            assert value == sum(before.get(name, 0.0) for name in names.split("+")), names
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def _state(url: str) -> str:
    page = requests.get(url, timeout=60).text
    found = re.search(r'id="state">([^<]*)<', page)
    assert found, page
    return found.group(1)


def test_wrong_local_password_is_an_authentication_failure(
    simulator: SimulatorFactory, serve: Serve
) -> None:
    """Firmware < 7 answers some reads without a password: the page must not say "up"."""
    sim = simulator("legacy", sleep=False)
    url = serve(
        TargetConfig(name="home", host=sim.host, username="envoy", password="not-the-password")
    )
    assert _state(url).startswith("authentication failed")
    # the right password: up, and what a gateway without CTs cannot measure said so, undated
    good = serve(demo_target(sim))
    assert _state(good) == "up"
    page = requests.get(good, timeout=60).text
    using = page.split("<th>Using now</th>", 1)[1].split("</tr>", 1)[0]
    assert "not measured by this gateway" in using and "ago" not in using
    assert 'data-metric="enphase_production_power_watts"' in page


def test_wrong_token_is_an_authentication_failure_not_unreachable(
    simulator: SimulatorFactory, serve: Serve
) -> None:
    sim: SimulatedEnvoy = simulator("battery", sleep=False)
    # a well-formed token signed for another gateway: this one refuses it
    foreign = simulator("battery", sleep=False).token
    url = serve(TargetConfig(name="home", host=sim.host, token=foreign))
    assert _state(url).startswith("authentication failed")
    good = serve(demo_target(sim))
    assert _state(good) == "up"


def test_a_gateway_that_does_not_answer_is_unreachable(
    simulator: SimulatorFactory, serve: Serve
) -> None:
    sim = simulator("battery", sleep=False)
    host = sim.host
    sim.stop()  # nothing listens there any more: connections are refused
    assert _state(serve(TargetConfig(name="home", host=host, token="x.y.z"))).startswith(
        "unreachable"
    )
