"""Models of production, consumption, CT meters, inverters and /home, on hand-written answers."""

from __future__ import annotations

from typing import Any

import pytest

from envoy_exporter.envoy.models.home import EnvoyInterfaceInformation
from envoy_exporter.envoy.models.inverter import EnvoyInverter
from envoy_exporter.envoy.models.meters import (
    CtMeterData,
    CtMeterStatus,
    CtState,
    CtStatusFlags,
    CtType,
    EnvoyMeterData,
)
from envoy_exporter.envoy.models.system_consumption import EnvoySystemConsumption
from envoy_exporter.envoy.models.system_production import EnvoySystemProduction


def line(w_now: float, lifetime: float, today: float = 10.4, week: float = 70.6) -> dict[str, Any]:
    return {"wNow": w_now, "whLifetime": lifetime, "whToday": today, "whLastSevenDays": week}


def production_answer(meter_active: int = 1, with_meter: bool = True) -> dict[str, Any]:
    segments: list[dict[str, Any]] = [
        {"type": "inverters", "activeCount": 9, "wNow": 900, "whLifetime": 55555},
    ]
    if with_meter:
        segments.append(
            {
                "type": "eim",
                "activeCount": meter_active,
                "measurementType": "production",
                **line(1234.6, 99999.4, 2000.2, 14000.7),
                "lines": [line(600.2, 50000.4), line(634.4, 49999.0), line(0.0, 0.0, 0.0, 0.0)],
            }
        )
    return {
        "production": segments,
        "consumption": [
            {
                "type": "eim",
                "activeCount": 1,
                "measurementType": "total-consumption",
                **line(500.4, 7000.6, 300.0, 2100.0),
                "lines": [line(250.0, 3500.0)],
            },
            {
                "type": "eim",
                "activeCount": 1,
                "measurementType": "net-consumption",
                **line(-734.2, 1234.0, 0, 0),
            },
        ],
    }


class TestSystemProduction:
    def test_from_v1_api(self) -> None:
        data = {
            "wattHoursToday": 1,
            "wattHoursSevenDays": 7,
            "wattHoursLifetime": 1000,
            "wattsNow": 5,
        }
        assert EnvoySystemProduction.from_v1_api(data) == EnvoySystemProduction(1000, 7, 1, 5)

    def test_active_meter_is_used_and_rounded(self) -> None:
        got = EnvoySystemProduction.from_production(production_answer())
        assert got == EnvoySystemProduction(
            watt_hours_lifetime=99999,
            watt_hours_last_7_days=14001,
            watt_hours_today=2000,
            watts_now=1235,
        )

    def test_no_meter_falls_back_to_inverters_when_not_required(self) -> None:
        got = EnvoySystemProduction.from_production(production_answer(with_meter=False), False)
        assert got is not None
        assert (got.watt_hours_lifetime, got.watts_now, got.watt_hours_today) == (55555, 900, 0)

    def test_inactive_meter_gives_none_when_required(self) -> None:
        # a metered gateway's meter flapping to activeCount 0: no jump to the inverter totals
        assert EnvoySystemProduction.from_production(production_answer(meter_active=0)) is None
        assert EnvoySystemProduction.from_production_phase(production_answer(0), 0) is None

    def test_inactive_meter_falls_back_when_not_required(self) -> None:
        got = EnvoySystemProduction.from_production(production_answer(meter_active=0), False)
        assert got is not None and got.watts_now == 900

    def test_missing_inverters_entry_is_a_shape_error(self) -> None:
        with pytest.raises(ValueError, match="inverters"):
            EnvoySystemProduction.from_production(
                {"production": [{"type": "eim", "activeCount": 1}]}
            )

    def test_phases(self) -> None:
        answer = production_answer()
        first = EnvoySystemProduction.from_production_phase(answer, 0)
        assert first == EnvoySystemProduction(50000, 71, 10, 600)
        assert EnvoySystemProduction.from_production_phase(answer, 3) is None


HTML_PAGE = """
<h1>System Energy Production</h1><table>
<tr><td colspan="3">System has been live since <div class=good>Mon Jan 1, 2018</div></td></tr>
<tr><td>Currently</td>  <td> 2.51 kW</td></tr><tr><td>Today</td>   <td> 12.7 kWh</td></tr>
<tr><td>Past Week</td> <td>  98.0 kWh</td></tr>
<tr><td>Since Installation</td> <td> 41.2 MWh</td></tr>
</table>
"""


class TestProductionHtml:
    def test_units_are_scaled(self) -> None:
        got = EnvoySystemProduction.from_production_html(HTML_PAGE)
        assert got == EnvoySystemProduction(
            watt_hours_lifetime=41_200_000,
            watt_hours_last_7_days=98_000,
            watt_hours_today=12_700,
            watts_now=2510,
        )

    def test_plain_watts(self) -> None:
        page = HTML_PAGE.replace("2.51 kW", "812 W").replace("12.7 kWh", "950 Wh")
        got = EnvoySystemProduction.from_production_html(page)
        assert (got.watts_now, got.watt_hours_today) == (812, 950)

    def test_missing_row(self) -> None:
        with pytest.raises(ValueError, match="watt_hours_lifetime"):
            EnvoySystemProduction.from_production_html(HTML_PAGE.replace("Since Installation", "X"))

    def test_power_where_energy_expected(self) -> None:
        with pytest.raises(ValueError, match="Today"):
            EnvoySystemProduction.from_production_html(HTML_PAGE.replace("12.7 kWh", "12.7 kW"))

    def test_error_page(self) -> None:
        with pytest.raises(ValueError):
            EnvoySystemProduction.from_production_html("<html><h2>Page Not Found</h2></html>")


class TestSystemConsumption:
    def test_total_and_net_segments(self) -> None:
        answer = production_answer()
        assert EnvoySystemConsumption.from_production(answer) == EnvoySystemConsumption(
            7001, 2100, 300, 500
        )
        net = EnvoySystemConsumption.from_production(answer, consumption_segment=1)
        assert (net.watts_now, net.watt_hours_lifetime) == (-734, 1234)

    def test_phases(self) -> None:
        answer = production_answer()
        assert EnvoySystemConsumption.from_production_phase(answer, 0) == EnvoySystemConsumption(
            3500, 71, 10, 250
        )
        assert EnvoySystemConsumption.from_production_phase(answer, 1) is None
        assert EnvoySystemConsumption.from_production_phase(answer, 0, 1) is None


def device(sn: str = "4823", reading: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "devName": "pcu",
        "sn": sn,
        "active": True,
        "channels": [
            {
                "wattHours": {"today": 812, "yesterday": 1500, "week": 9000},
                "watts": {"now": 211, "max": 295},
                "lastReading": reading
                if reading is not None
                else {
                    "endDate": 1700000000,
                    "duration": 900,
                    "joulesProduced": 189000,
                    "acVoltageINmV": 239500,
                    "acFrequencyINmHz": 50010,
                    "dcVoltageINmV": 31250,
                    "dcCurrentINmA": 6800,
                    "channelTemp": 31,
                    "acCurrentInmA": 880,
                },
                "lifetime": {"joulesProduced": 36_000_000},
            }
        ],
    }


class TestInverter:
    def test_from_v1_api(self) -> None:
        got = EnvoyInverter.from_v1_api(
            {"serialNumber": "1", "lastReportDate": 5, "lastReportWatts": 6, "maxReportWatts": 7}
        )
        assert got == EnvoyInverter("1", 5, 6, 7)
        assert got.dc_voltage is None

    def test_from_device_data_converts_units(self) -> None:
        got = EnvoyInverter.from_device_data(device())
        assert (got.serial_number, got.last_report_date) == ("4823", 1700000000)
        assert (got.last_report_watts, got.max_report_watts) == (211, 295)
        assert got.ac_voltage == pytest.approx(239.5)
        assert got.ac_frequency == pytest.approx(50.01)
        assert got.dc_current == pytest.approx(6.8)
        assert got.ac_current == pytest.approx(0.88)
        assert got.temperature == 31
        assert got.lifetime_energy == 10_000
        assert got.energy_produced == pytest.approx(58.333)
        assert (got.energy_today, got.last_report_duration) == (812, 900)

    def test_zero_duration_gives_no_power(self) -> None:
        got = EnvoyInverter.from_device_data(device(reading={"endDate": 1, "duration": 0}))
        assert got.energy_produced is None and got.ac_voltage is None

    def test_empty_reading_is_a_key_error(self) -> None:
        with pytest.raises(KeyError):
            EnvoyInverter.from_device_data(device(reading={}))


STATUS: CtMeterData = {
    "eid": "704643328",
    "state": CtState.ENABLED,
    "measurementType": CtType.PRODUCTION,
    "phaseMode": "three",
    "phaseCount": 2,
    "meteringStatus": CtMeterStatus.NORMAL,  # type: ignore[typeddict-item]
    "statusFlags": ["negative-production", "some-future-flag"],  # type: ignore[list-item]
}


def reading(eid: str, power: float, channels: int = 0) -> dict[str, Any]:
    values = {
        "eid": eid,
        "timestamp": 1700000000,
        "actEnergyDlvd": 1000.6,
        "actEnergyRcvd": 20.2,
        "activePower": power,
        "pwrFactor": 0.98,
        "voltage": 240.1,
        "current": 4.2,
        "freq": 50.0,
    }
    if channels:
        values["channels"] = [reading(f"{eid}-{i}", power / channels) for i in range(channels)]
    return values


class TestMeterData:
    def test_from_api(self) -> None:
        got = EnvoyMeterData.from_api(reading("704643328", 1500.5), STATUS)
        assert (got.energy_delivered, got.energy_received, got.active_power) == (1001, 20, 1500)
        assert got.state is CtState.ENABLED and got.measurement_type is CtType.PRODUCTION
        assert got.metering_status is CtMeterStatus.NORMAL
        assert got.status_flags == [CtStatusFlags.NEGATIVE_PRODUCTION]

    def test_old_firmware_has_no_flags(self) -> None:
        status = {k: v for k, v in STATUS.items() if k != "statusFlags"}
        got = EnvoyMeterData.from_api(reading("1", 1), status)  # type: ignore[arg-type]
        assert got.status_flags is None

    def test_from_phase(self) -> None:
        data = reading("1", 300.0, channels=2)
        got = EnvoyMeterData.from_phase(data, STATUS, 1)
        assert got is not None and (got.eid, got.active_power) == ("1-1", 150)
        assert EnvoyMeterData.from_phase(data, STATUS, 2) is None
        assert EnvoyMeterData.from_phase(reading("1", 1), STATUS, 0) is None


class TestInterfaceInformation:
    HOME: dict[str, Any] = {
        "software_build_epoch": 1719503966,
        "timezone": "Europe/Paris",
        "network": {
            "primary_interface": "wlan0",
            "interfaces": [
                {"type": "ethernet", "interface": "eth0", "mac": "00:11", "dhcp": True},
                {"type": "wifi", "interface": "wlan0", "mac": "AA:BB", "dhcp": False},
            ],
        },
    }

    def test_primary_interface(self) -> None:
        got = EnvoyInterfaceInformation.from_api(self.HOME)
        assert got == EnvoyInterfaceInformation(
            "wlan0", "AA:BB", "wifi", False, 1719503966, "Europe/Paris"
        )

    def test_defaults(self) -> None:
        home = {"network": {"primary_interface": "eth0", "interfaces": [{"interface": "eth0"}]}}
        got = EnvoyInterfaceInformation.from_api(home)
        assert got == EnvoyInterfaceInformation("eth0", "unknown", "unknown", False, 0, "unknown")

    def test_no_network_or_no_match(self) -> None:
        assert EnvoyInterfaceInformation.from_api({"timezone": "UTC"}) is None
        assert EnvoyInterfaceInformation.from_api({"network": {"primary_interface": "x"}}) is None
