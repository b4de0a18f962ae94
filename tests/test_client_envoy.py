"""Envoy end to end against the simulator: /info, probe, update, caches, retries, actions."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
import requests
from packaging.version import Version
from urllib3.exceptions import InsecureRequestWarning

from envoy_exporter.envoy import Envoy, RequestRecord, SupportedFeatures
from envoy_exporter.envoy.const import MAX_RESPONSE_BYTES
from envoy_exporter.envoy.exceptions import (
    EnvoyCommunicationError,
    EnvoyDataError,
    EnvoyError,
    EnvoyFeatureNotAvailable,
    EnvoyFirmwareCheckError,
    EnvoyFirmwareFatalCheckError,
    EnvoyPoorDataQuality,
    EnvoyProbeFailed,
)
from envoy_exporter.envoy.firmware import parse_firmware_version
from envoy_exporter.envoy.models.tariff import EnvoyStorageMode
from envoy_exporter.simulator.server import DropConnection, Request, SimulatedEnvoy
from envoy_exporter.simulator.source import Answer

INFO = """<?xml version='1.0' encoding='UTF-8'?>
<envoy_info><device><sn>{sn}</sn><pn>800-00555-r03</pn><software>{fw}</software>
<imeter>{imeter}</imeter></device></envoy_info>"""


class PageSource:
    """A small in-memory gateway: fixed pages, writes recorded."""

    def __init__(self, firmware: str, pages: dict[str, Answer], imeter: str = "false") -> None:
        self.firmware = firmware
        self.serial = "202312345678"
        info = INFO.format(sn=self.serial, fw=firmware, imeter=imeter).encode()
        self.pages = {"/info": Answer(200, info, "text/xml"), **pages}

    def answer(self, path: str, now: float) -> Answer | None:
        return self.pages.get(path)

    def write(self, method: str, path: str, body: bytes, now: float) -> Answer | None:
        return None


def v1_production(watts: int, today: int, week: int, lifetime: int) -> Answer:
    body = (
        f'{{"wattHoursToday": {today}, "wattHoursSevenDays": {week}, '
        f'"wattHoursLifetime": {lifetime}, "wattsNow": {watts}}}'
    )
    return Answer(200, body.encode())


class DropFirst:
    """Fault: drop the first `count` connections asking for `path`."""

    def __init__(self, path: str, count: int) -> None:
        self.path = path
        self.count = count

    def apply(self, request: Request, answer: Callable[[], Answer]) -> Answer:
        if request.path == self.path and self.count > 0:
            self.count -= 1
            raise DropConnection
        return answer()


def connect(sim: SimulatedEnvoy, **kwargs: Any) -> Envoy:
    envoy = Envoy(sim.host, **kwargs)
    envoy.set_retry_policy(backoff_factor=0)
    envoy.setup()
    if sim.legacy:
        envoy.authenticate(username="envoy", password=sim.local_users["envoy"])
    else:
        envoy.authenticate(token=sim.token)
    return envoy


def log_paths(sim: SimulatedEnvoy) -> list[str]:
    return [r.path for r in sim.request_log]


# -- /info ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("software", "version"),
    [
        ("D7.6.175", "7.6.175"),
        ("R3.9.36", "3.9.36"),
        ("D8.2.4264", "8.2.4264"),
        ("5.0.62", "5.0.62"),
    ],
)
def test_parse_firmware_version(software: str, version: str) -> None:
    assert parse_firmware_version(software) == Version(version)


def test_info_over_https_first(simulator) -> None:
    sim = simulator("metered-3phase")
    records: list[RequestRecord] = []
    envoy = Envoy(sim.host)
    envoy.add_request_listener(records.append)
    envoy.setup()
    assert envoy.host == sim.host
    assert envoy.firmware is not None and envoy.firmware >= Version("7")
    assert envoy.serial_number == sim.serial
    assert envoy.part_number
    assert [(r.endpoint, r.status_code) for r in records] == [("/info", 200)]
    assert log_paths(sim) == ["/info"]
    envoy.close()


def test_info_falls_back_to_http_for_old_firmware(simulator) -> None:
    sim = simulator("legacy")
    records: list[RequestRecord] = []
    envoy = Envoy(sim.host)
    envoy.add_request_listener(records.append)
    envoy.setup()
    assert envoy.firmware is not None and envoy.firmware.major == 5
    # HTTPS fails at the TLS handshake (not retried), then plain HTTP answers.
    assert [(r.endpoint, r.status_code) for r in records] == [("/info", None), ("/info", 200)]
    assert records[0].error is not None
    envoy.close()


def test_info_error_status(simulator) -> None:
    source = PageSource("D8.2.4345", {})
    source.pages["/info"] = Answer(500, b"oops", "text/html")
    sim = simulator(source)
    envoy = Envoy(sim.host)
    with pytest.raises(EnvoyFirmwareCheckError) as caught:
        envoy.setup()
    assert caught.value.status_code == 500
    envoy.close()


@pytest.mark.parametrize(
    "body", [b"<not xml", b"<envoy_info><device><sn>1</sn></device></envoy_info>", b"<a>&x;</a>"]
)
def test_info_unreadable(simulator, body: bytes) -> None:
    source = PageSource("D8.2.4345", {})
    source.pages["/info"] = Answer(200, body, "text/xml")
    sim = simulator(source)
    envoy = Envoy(sim.host)
    with pytest.raises(EnvoyFirmwareCheckError, match="/info"):
        envoy.setup()
    envoy.close()


def test_info_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{sock.getsockname()[1]}"
    envoy = Envoy(host)
    envoy.set_retry_policy(max_attempts=2, backoff_factor=0)
    with pytest.raises(EnvoyFirmwareFatalCheckError):
        envoy.setup()
    envoy.close()


# -- probe and update ------------------------------------------------------------------------


def test_probe_and_properties_of_a_metered_gateway(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = connect(sim)
    envoy.probe()
    features = envoy.supported_features
    assert features & SupportedFeatures.PRODUCTION
    assert features & SupportedFeatures.CTMETERS
    assert envoy.phase_count == 3
    assert envoy.ct_meter_count >= 2
    assert (
        envoy.envoy_model
        == "Envoy, phases: 3, phase mode: three, net-consumption CT, production CT"
    )
    names = [u.name for u in envoy.updaters]
    assert names[0] == "meters"
    assert "inverters" in names
    envoy.close()


def test_legacy_model_string(simulator) -> None:
    sim = simulator("legacy")
    envoy = connect(sim)
    envoy.probe()
    assert envoy.envoy_model == "Envoy"
    assert envoy.is_metered is False
    envoy.close()


def test_update_probes_first_and_reads_each_endpoint_once_per_cycle(simulator) -> None:
    sim = simulator("battery")
    envoy = connect(sim)
    data = envoy.update()
    assert data.system_production is not None
    assert data.encharge_inventory
    sim.clear_request_log()
    envoy.update()
    read = log_paths(sim)
    assert read, "update() read nothing"
    assert len(read) == len(set(read)), f"endpoints read twice in one update: {read}"
    envoy.close()


def test_updater_can_run_alone(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = connect(sim)
    envoy.probe()
    meters = next(u for u in envoy.updaters if u.name == "meters")
    data = envoy.update()
    meters.update(data)
    assert data.ctmeter_production is not None
    envoy.close()


def test_probe_fails_without_production(simulator) -> None:
    sim = simulator(PageSource("D8.2.4345", {}))
    envoy = connect(sim)
    with pytest.raises(EnvoyProbeFailed):
        envoy.probe()
    envoy.close()


def test_firmware_3_all_zero_production_is_poor_quality(simulator) -> None:
    pages = {"/api/v1/production": v1_production(10, 20, 30, 40)}
    sim = simulator(PageSource("R3.9.36", pages))
    envoy = connect(sim)
    envoy.probe()
    # Firmware 3.x right after a restart: status 200, all values zero.
    sim.source.pages["/api/v1/production"] = v1_production(0, 0, 0, 0)
    with pytest.raises(EnvoyPoorDataQuality, match="zero"):
        envoy.update()
    sim.source.pages["/api/v1/production"] = v1_production(10, 20, 30, 40)
    assert envoy.update().system_production is not None
    envoy.close()


def test_zero_production_is_fine_on_newer_firmware(simulator) -> None:
    pages = {"/api/v1/production": v1_production(10, 20, 30, 40)}
    sim = simulator(PageSource("R4.10.35", pages))
    envoy = connect(sim)
    envoy.probe()
    sim.source.pages["/api/v1/production"] = v1_production(0, 0, 0, 0)
    production = envoy.update().system_production
    assert production is not None and production.watts_now == 0
    envoy.close()


def test_truncated_json_from_an_updater_is_a_data_error(simulator) -> None:
    pages = {"/api/v1/production": v1_production(1, 2, 3, 4)}
    sim = simulator(PageSource("R4.10.35", pages))
    envoy = connect(sim)
    envoy.probe()
    sim.source.pages["/api/v1/production"] = Answer(200, b'{"wattHoursToday": 1')
    with pytest.raises(EnvoyDataError) as caught:
        envoy.update()
    assert caught.value.endpoint == "/api/v1/production"
    envoy.close()


# -- requests ------------------------------------------------------------------------------


def test_request_retries_dropped_connections(simulator) -> None:
    sim = simulator("metered-3phase", fault=DropFirst("/ivp/meters", 2))
    envoy = connect(sim)
    assert envoy.request("/ivp/meters").status_code == 200
    assert [r.status for r in sim.request_log if r.path == "/ivp/meters"] == [0, 0, 200]
    envoy.close()


def test_probe_request_is_not_retried(simulator) -> None:
    sim = simulator("metered-3phase", fault=DropFirst("/ivp/meters", 1))
    envoy = connect(sim)
    with pytest.raises(EnvoyCommunicationError, match="/ivp/meters"):
        envoy.probe_request("/ivp/meters")
    assert [r.status for r in sim.request_log if r.path == "/ivp/meters"] == [0]
    envoy.close()


class DictStore:
    def __init__(self) -> None:
        self.kept: dict[str, requests.Response] = {}
        self.puts: list[str] = []

    def get(self, endpoint: str) -> requests.Response | None:
        return self.kept.get(endpoint)

    def put(self, endpoint: str, response: requests.Response) -> None:
        self.puts.append(endpoint)
        self.kept[endpoint] = response


def test_response_store_serves_gets_only(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = connect(sim)
    store = DictStore()
    envoy.response_store = store
    first = envoy.request("/ivp/meters")
    second = envoy.request("/ivp/meters")
    assert second is first
    assert store.puts == ["/ivp/meters"]
    envoy.probe_request("/ivp/meters")  # probes always ask the gateway
    assert log_paths(sim).count("/ivp/meters") == 2
    envoy.close()


def test_interface_settings_are_read_once_until_setup(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = connect(sim)
    first = envoy.interface_settings()
    assert first is not None and first.primary_interface
    assert envoy.interface_settings() == first
    assert log_paths(sim).count("/home") == 1
    envoy.setup()
    envoy.interface_settings()
    assert log_paths(sim).count("/home") == 2
    envoy.close()


def test_callers_session_is_used_and_left_open(simulator) -> None:
    sim = simulator("metered-3phase")
    session = requests.Session()
    envoy = connect(sim, client=session)
    envoy.update()
    envoy.close()
    # Still usable afterwards (our adapter stays mounted for the gateway's URLs only).
    assert session.get(f"{sim.base_url}/info", verify=False, timeout=10).status_code == 200
    session.close()


# -- write actions ---------------------------------------------------------------------------


def test_grid_relay_needs_an_enpower(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = connect(sim)
    envoy.update()
    with pytest.raises(EnvoyFeatureNotAvailable):
        envoy.go_off_grid()
    assert "/ivp/ensemble/relay" not in log_paths(sim)
    envoy.close()


def test_grid_relay(simulator) -> None:
    sim = simulator("battery")
    envoy = connect(sim)
    envoy.update()
    assert isinstance(envoy.go_off_grid(), dict)
    assert isinstance(envoy.go_on_grid(), dict)
    writes = [(r.method, r.path) for r in sim.request_log if r.method != "GET"]
    assert writes == [("POST", "/ivp/ensemble/relay"), ("POST", "/ivp/ensemble/relay")]
    envoy.close()


def test_storage_settings_are_written_and_kept(simulator) -> None:
    sim = simulator("battery")
    envoy = connect(sim)
    envoy.update()
    envoy.enable_charge_from_grid()
    envoy.set_reserve_soc(42)
    envoy.set_storage_mode(EnvoyStorageMode.BACKUP)
    puts = [r for r in sim.request_log if r.method == "PUT"]
    assert [r.path for r in puts] == ["/admin/lib/tariff"] * 3
    tariff = envoy.update().tariff
    assert tariff is not None and tariff.storage_settings is not None
    # Each PUT carried the earlier changes too.
    assert tariff.storage_settings.charge_from_grid is True
    assert tariff.storage_settings.reserved_soc == 42
    assert tariff.storage_settings.mode == EnvoyStorageMode.BACKUP
    envoy.close()


def test_storage_settings_need_data_first(simulator) -> None:
    sim = simulator("battery")
    envoy = connect(sim)
    envoy.probe()
    with pytest.raises(ValueError, match="update"):
        envoy.set_reserve_soc(30)
    envoy.close()


def test_dry_contacts(simulator) -> None:
    sim = simulator("battery")
    envoy = connect(sim)
    data = envoy.update()
    relay = next(iter(data.dry_contact_settings))
    envoy.open_dry_contact(relay)
    assert data.dry_contact_status[relay].status == "open"
    envoy.close_dry_contact(relay)
    assert data.dry_contact_status[relay].status == "closed"
    envoy.update_dry_contact({"id": relay, "load_name": "pool pump"})
    assert data.dry_contact_settings[relay].load_name == "pool pump"
    with pytest.raises(ValueError):
        envoy.update_dry_contact({"load_name": "no id"})
    envoy.close()


def test_verify_ssl_refuses_the_self_signed_certificate(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = Envoy(sim.host, verify_ssl=True)
    envoy.set_retry_policy(max_attempts=1)
    with pytest.raises(EnvoyError):
        envoy.setup()
    assert "/info" not in log_paths(sim)  # the TLS handshake failed before any request
    envoy.close()


def test_no_insecure_request_warning_by_default(simulator, recwarn) -> None:
    sim = simulator("metered-3phase")
    envoy = connect(sim)
    envoy.update()
    envoy.close()
    assert not [w for w in recwarn if issubclass(w.category, InsecureRequestWarning)]


@pytest.mark.parametrize("host", ["bad host", "127.0.0.1:99999", "gateway/path"])
def test_invalid_host_is_refused_clearly(host: str) -> None:
    with pytest.raises(EnvoyError, match="invalid gateway host"):
        Envoy(host)


def test_oversized_answer_is_a_data_error(simulator) -> None:
    pages = {"/api/v1/production": v1_production(1, 2, 3, 4)}
    sim = simulator(PageSource("R4.10.35", pages))
    envoy = connect(sim)
    huge = b"[" + b" " * MAX_RESPONSE_BYTES + b"]"
    sim.source.pages["/inventory.json?deleted=1"] = Answer(200, huge)
    with pytest.raises(EnvoyDataError) as caught:
        envoy.request("/inventory.json?deleted=1")
    assert caught.value.endpoint == "/inventory.json?deleted=1"
    assert "limit" in caught.value.reason
    envoy.close()


def test_verify_ssl_names_the_refused_certificate_and_stays_on_https(simulator) -> None:
    # issue 13 item 8: the certificate error was hidden behind a plain-HTTP fallback's
    # "Connection reset by peer"
    sim = simulator("metered-3phase")
    envoy = Envoy(sim.host, verify_ssl=True)
    envoy.set_retry_policy(max_attempts=1)
    with pytest.raises(EnvoyFirmwareFatalCheckError) as caught:
        envoy.setup()
    message = str(caught.value)
    assert "TLS certificate refused (self-signed certificate)" in message, message
    assert "plain HTTP not tried" in message
    assert "reset" not in message.lower()
    assert envoy._firmware.url.startswith("https://")
    envoy.close()
