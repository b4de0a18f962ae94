"""Microinverter health from the inventory, end to end: a real gateway's capture served by the
simulator, the client, and the exporter's /metrics over a real socket."""

from __future__ import annotations

from pathlib import Path

import requests

from envoy_exporter.catalogue.inverter_status import MOD_GONE
from envoy_exporter.envoy.models.inverter import EnvoyInverter
from envoy_exporter.envoy.models.inverter_status import status_flag
from envoy_exporter.simulator.profiles import load_profile

from .conftest import SimulatorFactory
from .test_client_envoy import connect
from .test_server import ServerFactory, exporter, samples  # noqa: F401 (fixture)

#: three microinverters (two with one anonymised serial), none producing or communicating
CAPTURE = "8.3.5169_ACB_inventory"


def test_status_flags_lose_their_prefix() -> None:
    assert status_flag("envoy.cond_flags.pcu_ctrl.dc-pwr-low") == "pcu_ctrl.dc-pwr-low"
    assert status_flag("envoy.global.ok") == "ok"
    assert status_flag("something.else") == "something.else"


def test_the_client_reads_each_inverters_state(
    simulator: SimulatorFactory, captures_dir: Path
) -> None:
    envoy = connect(simulator(captures_dir / CAPTURE))
    envoy.probe()
    assert "inverter_status" in [u.name for u in envoy.updaters]
    statuses = envoy.update().inverter_status
    assert statuses is not None and set(statuses) == {"122013000000", "122012100000"}
    silent = statuses["122013000000"]
    assert (silent.producing, silent.communicating, silent.provisioned) == (False, False, False)
    assert silent.status_flags == ("obs_strs.failure", "pcu_ctrl.dc-pwr-low")
    envoy.close()


def test_inverter_health_on_metrics(
    simulator: SimulatorFactory,
    captures_dir: Path,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    sim = simulator(captures_dir / CAPTURE)
    server = exporter({"home": sim}, single="home")
    found = samples(requests.get(server.url + "metrics", timeout=60).text)
    communicating = {s.labels["serial"]: s.value for s in found["enphase_inverter_communicating"]}
    assert communicating == {"122013000000": 0.0, "122012100000": 0.0}
    producing = {s.labels["serial"]: s.value for s in found["enphase_inverter_producing"]}
    assert producing["122013000000"] == 0.0
    flags = {
        (s.labels["serial"], s.labels["flag"])
        for s in found["enphase_inverter_status_flag"]
        if s.value == 1.0
    }
    assert ("122013000000", "pcu_ctrl.dc-pwr-low") in flags
    # /ivp/pdm/device_data marks the same silent inverters modGone, and lists one more
    assert {(serial, MOD_GONE) for serial in ("122013000000", "122012100000")} <= flags
    assert ("12122012100000", MOD_GONE) in flags


def test_device_data_alone_flags_only_gone_inverters(
    simulator: SimulatorFactory,
    captures_dir: Path,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    # device data for 12 active inverters (modGone false) and 3 inactive (modGone true,
    # removed: left out, as the client leaves them out of the inverters' reports); no inventory
    sim = simulator(captures_dir / "8.3.5289_modGone")
    text = requests.get(exporter({"home": sim}, single="home").url + "metrics", timeout=60).text
    found = samples(text)
    assert len(found["enphase_inverter_power_watts"]) == 12
    assert "enphase_inverter_status_flag" not in found


def test_device_data_reads_mod_gone() -> None:
    device = {
        "sn": "1",
        "active": True,
        "modGone": True,
        "channels": [{"watts": {"now": 0, "max": 0}, "lastReading": {"endDate": 1}}],
    }
    assert EnvoyInverter.from_device_data(device).mod_gone is True
    assert EnvoyInverter.from_device_data({**device, "modGone": "yes"}).mod_gone is None
    del device["modGone"]
    assert EnvoyInverter.from_device_data(device).mod_gone is None


def test_a_site_whose_inventory_lists_no_inverter_has_no_status_part(
    simulator: SimulatorFactory,
) -> None:
    # the battery profile's inventory with its AC Batteries only
    source = load_profile("battery")
    inventory = source.builder("/inventory.json")
    source.route(
        "/inventory.json",
        lambda now, q: [
            {**entry, "devices": []} if entry["type"] == "PCU" else entry
            for entry in inventory(now, q)
        ],
    )
    envoy = connect(simulator(source))
    envoy.probe()
    assert "inverter_status" not in [u.name for u in envoy.updaters]
    envoy.close()
