"""Tokens from Enlighten outlive a restart: the exporter served twice against the simulator and
its fake Enlighten, with a state directory, logs in to Enlighten once."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path
from typing import Any

import requests

from envoy_exporter.cli.demo import demo_target
from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.config import TargetConfig
from envoy_exporter.collector.target import Target
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory
from .test_server import samples


def cloud_only(sim: SimulatedEnvoy, state: Path | None) -> TargetConfig:
    """Enlighten credentials and no token: the exporter must fetch one."""
    return dataclasses.replace(demo_target(sim), name="home", token=None, state_dir=state)


def scrape(config: TargetConfig) -> dict[str, list[Any]]:
    """/metrics of one start of the exporter (stopped after the scrape, as at a restart)."""
    server = build_server({"home": Target(config)}, single="home", listen="127.0.0.1:0").start()
    try:
        return samples(requests.get(server.url + "metrics", timeout=60).text)
    finally:
        server.stop()


def scrape_up(config: TargetConfig) -> float:
    return float(scrape(config)["enphase_up"][0].value)


def test_a_restart_reuses_the_saved_token(simulator: SimulatorFactory, tmp_path: Path) -> None:
    sim = simulator("metered-3phase")
    config = cloud_only(sim, tmp_path / "state")
    assert scrape_up(config) == 1.0
    assert sim.enlighten.logins == 1
    saved = list((tmp_path / "state").iterdir())
    assert len(saved) == 1 and stat.S_IMODE(saved[0].stat().st_mode) == 0o600
    assert scrape_up(config) == 1.0  # the restart
    assert sim.enlighten.logins == 1


def test_without_a_state_dir_every_start_logs_in(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    sim = simulator("metered-3phase")
    config = cloud_only(sim, None)
    assert scrape_up(config) == 1.0
    assert scrape_up(config) == 1.0
    assert sim.enlighten.logins == 2


def test_a_saved_token_the_gateway_refuses_is_replaced(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    sim = simulator("metered-3phase")
    config = cloud_only(sim, tmp_path)
    saved = tmp_path / f"enlighten-token-{sim.serial}.json"
    saved.write_text(
        json.dumps({"serial": sim.serial, "username": sim.cloud_username, "token": "not.a.jwt"})
    )
    assert scrape_up(config) == 1.0
    assert sim.enlighten.logins == 1
    assert "not.a.jwt" not in saved.read_text()


def failures(config: TargetConfig) -> dict[str, float]:
    found = scrape(config)["enphase_exporter_enlighten_failures_total"]
    return {s.labels["reason"]: s.value for s in found}


def test_enlighten_failures_are_counted_by_kind(simulator: SimulatorFactory) -> None:
    sim = simulator("metered-3phase")
    wrong = dataclasses.replace(cloud_only(sim, None), password="not-the-password")
    assert failures(wrong) == {"refused": 1.0, "unexpected": 0.0, "unreachable": 0.0}
    sim.enlighten.changed_flow = True
    assert failures(cloud_only(sim, None))["unexpected"] == 1.0
    gone = dataclasses.replace(cloud_only(sim, None), enlighten_login_url="http://127.0.0.1:1/x")
    assert failures(gone)["unreachable"] == 1.0
