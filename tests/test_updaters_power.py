"""Power updaters (CT meters, production, v1 production, inverters) against a fake gateway."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from packaging.version import Version

from envoy_exporter.envoy.const import (
    URL_DEVICE_DATA,
    URL_METERS,
    URL_METERS_READINGS,
    URL_PRODUCTION,
    URL_PRODUCTION_INVERTERS,
    URL_PRODUCTION_JSON,
    URL_PRODUCTION_V1,
    SupportedFeatures,
)
from envoy_exporter.envoy.exceptions import (
    EnvoyAuthenticationRequired,
    EnvoyDataError,
    EnvoyError,
    EnvoyHTTPStatusError,
)
from envoy_exporter.envoy.models.common import CommonProperties
from envoy_exporter.envoy.models.envoy import EnvoyData
from envoy_exporter.envoy.models.meters import CtType, EnvoyPhaseMode
from envoy_exporter.envoy.models.system_consumption import EnvoySystemConsumption
from envoy_exporter.envoy.models.system_production import EnvoySystemProduction
from envoy_exporter.envoy.updaters.api_v1_production import EnvoyApiV1ProductionUpdater
from envoy_exporter.envoy.updaters.api_v1_production_inverters import (
    EnvoyApiV1ProductionInvertersUpdater,
)
from envoy_exporter.envoy.updaters.base import EnvoyUpdater
from envoy_exporter.envoy.updaters.device_data_inverters import EnvoyDeviceDataInvertersUpdater
from envoy_exporter.envoy.updaters.meters import EnvoyMetersUpdater
from envoy_exporter.envoy.updaters.production import (
    EnvoyProductionJsonFallbackUpdater,
    EnvoyProductionJsonUpdater,
    EnvoyProductionUpdater,
)

F = SupportedFeatures
HTML_404 = b"<html><body><h2>Page Not Found</h2></body></html>"


class FakeGateway:
    """Answers endpoints from a dict: a JSON-able value, bytes (sent as is) or an int status."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.requested: list[str] = []

    def __call__(self, endpoint: str) -> requests.Response:
        self.requested.append(endpoint)
        answer = self.answers.get(endpoint, 404)
        if answer in (401, 403):
            raise EnvoyAuthenticationRequired(f"{answer} on {endpoint}")
        response = requests.Response()
        response.url = f"http://envoy.test{endpoint}"
        if isinstance(answer, int):
            response.status_code, response._content = answer, HTML_404
        elif isinstance(answer, bytes):
            response.status_code, response._content = 200, answer
        else:
            response.status_code, response._content = 200, json.dumps(answer).encode()
        response.encoding = "utf-8"
        return response


def make(
    cls: type[EnvoyUpdater],
    gateway: FakeGateway,
    props: CommonProperties | None = None,
    version: str = "8.2.4345",
) -> Any:
    return cls(Version(version), gateway, gateway, props or CommonProperties())


def probe_chain(
    gateway: FakeGateway, version: str = "8.2.4345", metered: bool = True
) -> tuple[SupportedFeatures, list[EnvoyUpdater], CommonProperties]:
    """The contract's order, for the updaters of this module."""
    props = CommonProperties()
    props.reset_probe_properties(metered)
    features, kept = F(0), []
    for cls in (
        EnvoyMetersUpdater,
        EnvoyProductionJsonUpdater,
        EnvoyProductionUpdater,
        EnvoyApiV1ProductionUpdater,
        EnvoyProductionJsonFallbackUpdater,
        EnvoyDeviceDataInvertersUpdater,
        EnvoyApiV1ProductionInvertersUpdater,
    ):
        updater = make(cls, gateway, props, version)
        if found := updater.probe(features):
            features |= found
            kept.append(updater)
    return features, kept, props


def run(updaters: list[EnvoyUpdater]) -> EnvoyData:
    data = EnvoyData()
    for updater in updaters:
        updater.update(data)
    return data


# --- hand-written answers shaped like a metered three-phase gateway ---------------------


def ct(eid: int, kind: str, state: str = "enabled", phases: int = 3) -> dict[str, Any]:
    return {
        "eid": eid,
        "state": state,
        "measurementType": kind,
        "phaseMode": "three",
        "phaseCount": phases,
        "meteringStatus": "normal",
        "statusFlags": [],
    }


def ct_reading(eid: int, power: float, delivered: float, channels: int = 3) -> dict[str, Any]:
    values: dict[str, Any] = {
        "eid": eid,
        "timestamp": 1700000000,
        "actEnergyDlvd": delivered,
        "actEnergyRcvd": 5.0,
        "activePower": power,
        "pwrFactor": 0.9,
        "voltage": 690.0,
        "current": 9.0,
        "freq": 50.0,
    }
    if channels:
        values["channels"] = [
            ct_reading(eid + 1 + i, power / channels, delivered / channels, 0)
            for i in range(channels)
        ]
    return values


def line(w_now: float, lifetime: float) -> dict[str, Any]:
    return {"wNow": w_now, "whLifetime": lifetime, "whToday": 100.0, "whLastSevenDays": 700.0}


def production_json(
    meter_active: int = 1,
    total: tuple[float, float] = (800.0, 9000.0),
    net: tuple[float, float] = (-400.0, 3000.0),
) -> dict[str, Any]:
    return {
        "production": [
            {"type": "inverters", "activeCount": 20, "wNow": 1150, "whLifetime": 40000},
            {
                "type": "eim",
                "activeCount": meter_active,
                "measurementType": "production",
                **line(1200.0, 60000.0),
                "lines": [line(400.0, 20000.0), line(400.0, 20000.0), line(400.0, 20000.0)],
            },
        ],
        "consumption": [
            {
                "type": "eim",
                "activeCount": 1,
                "measurementType": "total-consumption",
                **line(*total),
                "lines": [line(total[0] / 3, total[1] / 3)] * 3,
            },
            {
                "type": "eim",
                "activeCount": 1,
                "measurementType": "net-consumption",
                **line(*net),
                "lines": [line(net[0] / 3, net[1] / 3)] * 3,
            },
        ],
        "storage": [{"type": "acb", "activeCount": 0, "wNow": 0, "whNow": 0, "state": "idle"}],
    }


def metered_gateway(**answers: Any) -> FakeGateway:
    base: dict[str, Any] = {
        URL_METERS: [
            ct(100, "production"),
            ct(200, "net-consumption"),
            ct(300, "storage", state="disabled"),
        ],
        URL_METERS_READINGS: [
            ct_reading(100, 1200.4, 60000.2),
            ct_reading(200, -400.0, 3000.0),
            ct_reading(300, 0.0, 0.0),
            ct_reading(999, 1.0, 1.0),
        ],
        URL_PRODUCTION_JSON: production_json(),
        URL_PRODUCTION: production_json(),
        URL_PRODUCTION_V1: {
            "wattHoursToday": 1,
            "wattHoursSevenDays": 2,
            "wattHoursLifetime": 3,
            "wattsNow": 4,
        },
        URL_PRODUCTION_INVERTERS: [
            {
                "serialNumber": "111",
                "lastReportDate": 1,
                "lastReportWatts": 200,
                "maxReportWatts": 300,
                "devType": 1,
            },
            {
                "serialNumber": "acb-9",
                "lastReportDate": 1,
                "lastReportWatts": 0,
                "maxReportWatts": 0,
                "devType": 11,
            },
        ],
    }
    base.update({key.replace("__", "/"): value for key, value in answers.items()})
    return FakeGateway(base)


class TestMeters:
    def test_probe_sets_features_and_common_properties(self) -> None:
        props = CommonProperties()
        features = make(EnvoyMetersUpdater, metered_gateway(), props).probe(F(0))
        assert features == F.THREEPHASE | F.CTMETERS
        assert (props.phase_count, props.ct_meter_count) == (3, 2)
        assert props.phase_mode is EnvoyPhaseMode.THREE
        assert props.production_meter_type is CtType.PRODUCTION
        assert props.consumption_meter_type is CtType.NET_CONSUMPTION
        assert props.storage_meter_type is None

    def test_update_matches_readings_by_eid(self) -> None:
        updater = make(EnvoyMetersUpdater, metered_gateway())
        updater.probe(F(0))
        data = EnvoyData()
        updater.update(data)
        assert data.ctmeter_production is not None and data.ctmeter_production.active_power == 1200
        assert data.ctmeter_consumption is not None and data.ctmeter_consumption.eid == 200
        assert data.ctmeter_storage is None  # disabled CT
        assert data.ctmeter_production_phases is not None
        assert sorted(data.ctmeter_production_phases) == ["L1", "L2", "L3"]
        assert data.ctmeter_production_phases["L2"].energy_delivered == 20000
        assert data.raw[URL_METERS_READINGS][3]["eid"] == 999

    def test_single_phase_gives_no_phase_data(self) -> None:
        gateway = metered_gateway(
            **{
                "/ivp/meters": [ct(100, "production", phases=1)],
                "/ivp/meters/readings": [ct_reading(100, 5.0, 6.0, channels=3)],
            }
        )
        updater = make(EnvoyMetersUpdater, gateway)
        assert updater.probe(F(0)) == F.CTMETERS
        data = run([updater])
        assert data.ctmeter_production is not None and data.ctmeter_production_phases is None

    @pytest.mark.parametrize("answer", [[], {"error": "404 - Not Found"}, 404, 401, b"<html>"])
    def test_no_meters(self, answer: Any) -> None:
        props = CommonProperties(phase_count=3)
        updater = make(EnvoyMetersUpdater, FakeGateway({URL_METERS: answer}), props)
        assert updater.probe(F(0)) is None
        assert (props.phase_count, props.ct_meter_count, props.phase_mode) == (1, 0, None)

    def test_already_discovered(self) -> None:
        gateway = metered_gateway()
        assert make(EnvoyMetersUpdater, gateway).probe(F.CTMETERS) is None
        assert gateway.requested == []

    def test_malformed_readings_name_the_endpoint(self) -> None:
        gateway = metered_gateway()
        updater = make(EnvoyMetersUpdater, gateway)
        updater.probe(F(0))
        gateway.answers[URL_METERS_READINGS] = [{"eid": 100, "timestamp": 1}]
        with pytest.raises(EnvoyDataError) as caught:
            updater.update(EnvoyData())
        assert caught.value.endpoint == URL_METERS_READINGS
        gateway.answers[URL_METERS_READINGS] = b"<html>busy</html>"
        with pytest.raises(EnvoyDataError, match="/ivp/meters/readings"):
            updater.update(EnvoyData())

    def test_split_storage_channel_glitch_reports_nothing(self) -> None:
        # D8.3.6xxx: one storage channel reads zero and the total drops to the other one
        split = {"phaseMode": "split", "phaseCount": 2}
        zero = ct_reading(301, 0.0, 0.0, channels=0) | {"actEnergyRcvd": 0.0}
        other = ct_reading(302, -500.0, 4000.0, channels=0)
        total = ct_reading(300, -500.0, 4000.0, channels=0) | {"channels": [zero, other]}
        gateway = FakeGateway(
            {
                URL_METERS: [ct(300, "storage") | split],
                URL_METERS_READINGS: [total],
            }
        )
        updater = make(EnvoyMetersUpdater, gateway, version="8.3.6100")
        updater.probe(F(0))
        data = run([updater])
        assert data.ctmeter_storage is None
        assert data.ctmeter_storage_phases is not None
        assert list(data.ctmeter_storage_phases) == ["L2"]
        older = make(EnvoyMetersUpdater, gateway, version="8.3.5433")
        older.probe(F(0))
        assert run([older]).ctmeter_storage is not None


class TestProductionJson:
    def test_metered_chain(self) -> None:
        features, kept, props = probe_chain(metered_gateway())
        assert F.PRODUCTION | F.METERING | F.NET_CONSUMPTION | F.TOTAL_CONSUMPTION in features
        assert [u.name for u in kept] == ["meters", "production_json", "inverters"]
        assert props.active_phase_count == 3
        data = run(kept)
        assert data.system_production == EnvoySystemProduction(60000, 700, 100, 1200)
        assert data.system_production_phases is not None
        assert data.system_production_phases["L3"] == EnvoySystemProduction(20000, 700, 100, 400)
        assert data.system_consumption == EnvoySystemConsumption(9000, 700, 100, 800)
        assert data.system_net_consumption is not None
        assert data.system_net_consumption.watts_now == -400
        assert data.system_net_consumption_phases is not None
        assert len(data.system_net_consumption_phases) == 3
        assert list(data.inverters) == ["111"]  # the ACB (devType 11) is no inverter

    def test_meter_flapping_to_inactive_gives_none(self) -> None:
        gateway = metered_gateway()
        _, kept, _ = probe_chain(gateway)
        gateway.answers[URL_PRODUCTION_JSON] = production_json(meter_active=0)
        data = run(kept)
        assert data.system_production is None
        assert data.system_production_phases is None
        assert data.system_consumption is not None  # consumption is unaffected

    def test_meter_flapping_without_ct_endpoint_gives_none(self) -> None:
        # firmware < 7 has no /ivp/meters: the probe's active meter (METERING) is the proof
        gateway = metered_gateway(**{"/ivp/meters": 404})
        features, kept, _ = probe_chain(gateway, version="5.0.62")
        assert F.METERING in features and F.CTMETERS not in features
        gateway.answers[URL_PRODUCTION_JSON] = production_json(meter_active=0)
        assert run(kept).system_production is None

    def test_inactive_meter_with_ct_is_kept_at_probe(self) -> None:
        gateway = metered_gateway(**{"/production.json?details=1": production_json(0)})
        features, kept, _ = probe_chain(gateway)
        assert F.METERING in features
        assert run(kept).system_production is None

    def test_total_equal_to_net_is_repaired(self) -> None:
        # fw 8.3.5433: the total consumption entry carries the net consumption's values
        same = (-400.0, 3000.0)
        gateway = metered_gateway(
            **{"/production.json?details=1": production_json(total=same, net=same)}
        )
        _, kept, _ = probe_chain(gateway, version="8.3.5433")
        data = run(kept)
        assert data.system_consumption is not None
        assert (data.system_consumption.watts_now, data.system_consumption.watt_hours_lifetime) == (
            800,
            63000,
        )
        assert data.system_net_consumption is not None
        assert data.system_net_consumption.watts_now == -400
        assert data.system_consumption_phases is not None
        assert data.system_consumption_phases["L1"] is not None
        assert data.system_consumption_phases["L1"].watts_now == 267  # -133 + 400

    def test_total_equal_to_net_left_alone_on_older_firmware(self) -> None:
        same = (-400.0, 3000.0)
        gateway = metered_gateway(
            **{"/production.json?details=1": production_json(total=same, net=same)}
        )
        _, kept, _ = probe_chain(gateway, version="8.2.4345")
        data = run(kept)
        assert data.system_consumption is not None and data.system_consumption.watts_now == -400

    def test_total_equal_to_net_without_production_is_dropped(self) -> None:
        same = (-400.0, 3000.0)
        gateway = metered_gateway()
        _, kept, _ = probe_chain(gateway, version="8.3.5433")
        gateway.answers[URL_PRODUCTION_JSON] = production_json(meter_active=0, total=same, net=same)
        data = run(kept)
        # never net consumption reported as total consumption
        assert data.system_consumption is None and data.system_consumption_phases is None
        assert data.system_net_consumption is not None

    def test_acb_storage(self) -> None:
        answer = production_json()
        answer["storage"] = [
            {
                "type": "acb",
                "activeCount": 2,
                "wNow": -250,
                "whNow": 900,
                "state": "charging",
                "percentFull": 45,
            }
        ]
        gateway = metered_gateway(**{"/production.json?details=1": answer})
        features, kept, props = probe_chain(gateway)
        assert F.ACB in features and props.acb_batteries_reported == 2
        data = run(kept)
        assert data.acb_power is not None and data.acb_power.state_of_charge == 45

    @pytest.mark.parametrize("bad", [b"<html>oops</html>", b'{"production": [', b"[1, 2]"])
    def test_malformed_update_names_the_endpoint(self, bad: bytes) -> None:
        gateway = metered_gateway()
        _, kept, _ = probe_chain(gateway)
        gateway.answers[URL_PRODUCTION_JSON] = bad
        with pytest.raises(EnvoyDataError) as caught:
            run(kept)
        assert caught.value.endpoint == URL_PRODUCTION_JSON

    def test_error_status_on_update(self) -> None:
        gateway = metered_gateway()
        _, kept, _ = probe_chain(gateway)
        gateway.answers[URL_PRODUCTION_JSON] = 503
        with pytest.raises(EnvoyHTTPStatusError):
            run(kept)

    def test_unauthorised_production_is_skipped(self) -> None:
        props = CommonProperties()
        gateway = FakeGateway({URL_PRODUCTION: 401})
        assert make(EnvoyProductionUpdater, gateway, props).probe(F(0)) is None


def non_metered(**answers: Any) -> FakeGateway:
    gateway = FakeGateway(
        {
            URL_METERS: [],
            URL_PRODUCTION_JSON: {
                "production": [
                    {"type": "inverters", "activeCount": 10, "wNow": 2000, "whLifetime": 123456}
                ]
            },
            URL_PRODUCTION_V1: {
                "wattHoursToday": 5000,
                "wattHoursSevenDays": 30000,
                "wattHoursLifetime": 123000,
                "wattsNow": 1990,
            },
        }
    )
    gateway.answers.update({key.replace("__", "/"): value for key, value in answers.items()})
    return gateway


class TestFallbacks:
    def test_v1_production_for_non_metered(self) -> None:
        _, kept, _ = probe_chain(non_metered(), metered=False)
        assert [u.name for u in kept] == ["api_v1_production"]
        assert run(kept).system_production == EnvoySystemProduction(123000, 30000, 5000, 1990)

    def test_all_zero_v1_falls_back_to_inverters_entry(self) -> None:
        zeros = {
            "wattHoursToday": 0,
            "wattHoursSevenDays": 0,
            "wattHoursLifetime": 0,
            "wattsNow": 12,
        }
        _, kept, _ = probe_chain(non_metered(**{"/api/v1/production": zeros}), metered=False)
        assert [u.name for u in kept] == ["production_json_fallback"]
        got = run(kept).system_production
        assert got is not None and (got.watts_now, got.watt_hours_lifetime) == (2000, 123456)

    def test_metered_without_ct_uses_inverters_entry_from_8_2_4264(self) -> None:
        gateway = non_metered()
        _, kept, _ = probe_chain(gateway, version="8.2.4264", metered=True)
        assert [u.name for u in kept] == ["production_json_fallback"]
        _, kept, _ = probe_chain(gateway, version="8.2.4000", metered=True)
        assert [u.name for u in kept] == ["api_v1_production"]

    def test_v1_unauthorised_is_raised(self) -> None:
        gateway = FakeGateway({URL_PRODUCTION_V1: 401})
        with pytest.raises(EnvoyAuthenticationRequired):
            make(EnvoyApiV1ProductionUpdater, gateway).probe(F(0))


HTML_PAGE = (
    b"<h1>System Energy Production</h1><table>"
    b"<tr><td>Currently</td> <td> 3.05 kW</td></tr><tr><td>Today</td> <td> 21.0 kWh</td></tr>"
    b"<tr><td>Past Week</td> <td> 150 kWh</td></tr>"
    b"<tr><td>Since Installation</td> <td> 61.5 MWh</td></tr></table>"
)


class TestFirmware3Html:
    def gateway(self) -> FakeGateway:
        # like D3.7.0: no v1 API, production.json answers an HTML error page with 200
        return FakeGateway({URL_PRODUCTION: HTML_PAGE, URL_PRODUCTION_JSON: HTML_404})

    def test_html_page_is_used(self) -> None:
        features, kept, _ = probe_chain(self.gateway(), version="3.7.0", metered=False)
        assert features == F.PRODUCTION
        assert [u.name for u in kept] == ["production_json_fallback"]
        data = run(kept)
        assert data.system_production == EnvoySystemProduction(61_500_000, 150_000, 21_000, 3050)
        assert data.raw[URL_PRODUCTION].startswith("<h1>")

    def test_not_when_v1_probe_merely_failed(self) -> None:
        # a 3.9 gateway whose v1 endpoint dropped the connection during its own probe
        gateway = self.gateway()
        gateway.answers[URL_PRODUCTION_V1] = {
            "wattHoursToday": 1,
            "wattHoursSevenDays": 2,
            "wattHoursLifetime": 3,
            "wattsNow": 4,
        }
        updater = make(EnvoyProductionJsonFallbackUpdater, gateway, version="3.9.36")
        assert updater.probe(F(0)) is None
        assert URL_PRODUCTION not in gateway.requested

    def test_not_on_later_firmware(self) -> None:
        features, kept, _ = probe_chain(self.gateway(), version="4.2.27", metered=False)
        assert F.PRODUCTION not in features and kept == []

    def test_v1_api_is_preferred(self) -> None:
        gateway = self.gateway()
        gateway.answers[URL_PRODUCTION_V1] = {
            "wattHoursToday": 1,
            "wattHoursSevenDays": 2,
            "wattHoursLifetime": 3,
            "wattsNow": 4,
        }
        _, kept, _ = probe_chain(gateway, version="3.9.36", metered=False)
        assert [u.name for u in kept] == ["api_v1_production"]

    def test_unreadable_page_is_not_used_and_later_breakage_is_a_data_error(self) -> None:
        gateway = self.gateway()
        gateway.answers[URL_PRODUCTION] = HTML_404
        assert probe_chain(gateway, version="3.7.0", metered=False)[1] == []
        gateway.answers[URL_PRODUCTION] = HTML_PAGE
        _, kept, _ = probe_chain(gateway, version="3.7.0", metered=False)
        gateway.answers[URL_PRODUCTION] = HTML_404
        with pytest.raises(EnvoyDataError, match="/production"):
            run(kept)


def pcu(sn: str, reading: bool = True, active: bool = True) -> dict[str, Any]:
    last = {"endDate": 1700000000, "duration": 900, "joulesProduced": 90000} if reading else {}
    return {
        "devName": "pcu",
        "sn": sn,
        "active": active,
        "channels": [
            {
                "watts": {"now": 100, "max": 290},
                "wattHours": {"today": 500},
                "lastReading": last,
                "lifetime": {"joulesProduced": 7200},
            }
        ],
    }


def device_data(*devices: dict[str, Any], limit: int = 50) -> dict[str, Any]:
    answer: dict[str, Any] = {str(i): d for i, d in enumerate(devices)}
    answer |= {"deviceCount": len(devices), "deviceDataLimit": limit}
    return answer


class TestDeviceData:
    def test_detailed_inverters(self) -> None:
        gateway = metered_gateway(
            **{
                "/ivp/pdm/device_data": device_data(
                    pcu("1"), pcu("2"), pcu("3", active=False), {"devName": "eim", "sn": "x"}
                )
            }
        )
        features, kept, _ = probe_chain(gateway)
        assert F.DETAILED_INVERTERS | F.INVERTERS in features
        assert "inverters" not in [u.name for u in kept]
        inverters = run(kept).inverters
        assert sorted(inverters) == ["1", "2"]
        assert inverters["1"].lifetime_energy == 2 and inverters["1"].energy_today == 500

    def test_device_limit_falls_back_to_v1_list(self) -> None:
        devices = [pcu(str(i)) for i in range(50)]
        gateway = metered_gateway(**{"/ivp/pdm/device_data": device_data(*devices)})
        features, kept, _ = probe_chain(gateway)
        assert F.DETAILED_INVERTERS not in features
        assert [u.name for u in kept][-1] == "inverters"

    def test_missing_counts_fall_back(self) -> None:
        gateway = FakeGateway({URL_DEVICE_DATA: {"0": pcu("1")}})
        assert make(EnvoyDeviceDataInvertersUpdater, gateway).probe(F(0)) is None

    def test_empty_last_reading_is_skipped(self) -> None:
        gateway = FakeGateway({URL_DEVICE_DATA: device_data(pcu("1"), pcu("2", reading=False))})
        updater = make(EnvoyDeviceDataInvertersUpdater, gateway)
        assert updater.probe(F(0)) == F.INVERTERS | F.DETAILED_INVERTERS
        assert list(run([updater]).inverters) == ["1"]
        gateway.answers[URL_DEVICE_DATA] = device_data(pcu("1", reading=False), pcu("2"))
        assert list(run([updater]).inverters) == ["2"]

    def test_only_empty_readings_fall_back(self) -> None:
        gateway = FakeGateway({URL_DEVICE_DATA: device_data(pcu("1", reading=False))})
        assert make(EnvoyDeviceDataInvertersUpdater, gateway).probe(F(0)) is None

    def test_broken_device_is_left_out_on_update(self) -> None:
        gateway = FakeGateway({URL_DEVICE_DATA: device_data(pcu("1"), pcu("2"))})
        updater = make(EnvoyDeviceDataInvertersUpdater, gateway)
        updater.probe(F(0))
        broken = pcu("2")
        del broken["channels"][0]["watts"]
        gateway.answers[URL_DEVICE_DATA] = device_data(pcu("1"), broken)
        assert list(run([updater]).inverters) == ["1"]
        gateway.answers[URL_DEVICE_DATA] = b"[1]"
        with pytest.raises(EnvoyDataError, match="device_data"):
            run([updater])


# --- every capture folder, read straight from disk -----------------------------------------

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "envoy-captures"
FOLDERS = sorted(p for p in CAPTURES.iterdir() if p.is_dir()) if CAPTURES.is_dir() else []


def capture_gateway(folder: Path) -> FakeGateway:
    answers: dict[str, Any] = {}
    for endpoint in (
        URL_METERS,
        URL_METERS_READINGS,
        URL_PRODUCTION,
        URL_PRODUCTION_JSON,
        URL_PRODUCTION_V1,
        URL_PRODUCTION_INVERTERS,
        URL_DEVICE_DATA,
    ):
        name = endpoint.lstrip("/").split("?")[0].replace("/", "_")
        path = folder / name
        if not path.is_file():
            continue
        body = path.read_bytes()
        log = folder / f"{name}_log.json"
        status = json.loads(log.read_text()).get("code", 200) if log.is_file() else 200
        if re.match(rb'\s*\{\s*"status"\s*:\s*40[13]', body):
            status = 401
        answers[endpoint] = body if status == 200 else status
    return FakeGateway(answers)


def firmware_of(folder: Path) -> str:
    found = re.search(r"<software>\D*([\d.]+)</software>", (folder / "info").read_text())
    assert found, f"no firmware in {folder}/info"
    return found.group(1)


@pytest.mark.corpus
@pytest.mark.parametrize("folder", FOLDERS or [None], ids=lambda p: p.name if p else "none")
def test_capture_reads_without_stray_errors(folder: Path | None) -> None:
    if folder is None:
        pytest.skip(f"no captures at {CAPTURES}")
    metered = "<imeter>true</imeter>" in (folder / "info").read_text()
    try:
        features, kept, _ = probe_chain(capture_gateway(folder), firmware_of(folder), metered)
        data = run(kept)
    except EnvoyError:
        return  # a gateway refusing us (401) or an unreadable answer: a client error
    assert F.PRODUCTION in features, f"{folder.name}: no production found"
    assert data.system_production is not None or F.METERING in features
