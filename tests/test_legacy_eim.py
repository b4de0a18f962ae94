"""Firmware 4.2.x gateways whose /production.json `eim` entries carry no measurementType.

The project's own answers of that shape (no capture of it exists in the corpus): one `eim`
entry in the production section (the production meter), one in the consumption section
(total consumption), and no /api/v1/production.
"""

from __future__ import annotations

import json
from typing import Any

from envoy_exporter.envoy import Envoy, SupportedFeatures
from envoy_exporter.simulator.server import SimulatedEnvoy
from envoy_exporter.simulator.source import Answer

from .conftest import SimulatorFactory

INFO = """<?xml version='1.0' encoding='UTF-8'?>
<envoy_info><device><sn>121600004200</sn><pn>800-00551-r02</pn><software>D4.2.33</software>
<imeter>true</imeter></device></envoy_info>"""


def production_json(watts: float, house: float) -> dict[str, Any]:
    eim = {"type": "eim", "activeCount": 1, "readingTime": 1618006624}
    return {
        "production": [
            {"type": "inverters", "activeCount": 20, "wNow": watts - 10, "whLifetime": 9_000_000},
            {
                **eim,
                "wNow": watts,
                "whLifetime": 9_100_000.4,
                "whToday": 12_345.6,
                "whLastSevenDays": 98_765.4,
                "rmsCurrent": 20.1,
                "rmsVoltage": 240.2,
            },
        ],
        "consumption": [
            {
                **eim,
                "wNow": house,
                "whLifetime": 7_000_000.2,
                "whToday": 8_000.7,
                "whLastSevenDays": 55_000.1,
            }
        ],
    }


class Fw42Source:
    """An in-memory firmware 4.2 gateway: /info, production.json, inverters; nothing else."""

    def __init__(self) -> None:
        self.serial = "121600004200"
        self.firmware = "D4.2.33"
        self.production = production_json(4321.4, 1234.6)
        self.inverters = [
            {
                "serialNumber": "121500000001",
                "lastReportDate": 1618006600,
                "lastReportWatts": 210,
                "maxReportWatts": 250,
            }
        ]

    def answer(self, path: str, now: float) -> Answer | None:
        if path == "/info":
            return Answer(200, INFO.encode(), "text/xml")
        if path in ("/production.json", "/production.json?details=1"):
            return Answer(200, json.dumps(self.production).encode())
        if path == "/api/v1/production/inverters":
            return Answer(200, json.dumps(self.inverters).encode())
        return None

    def write(self, method: str, path: str, body: bytes, now: float) -> Answer | None:
        return None


def connect(sim: SimulatedEnvoy) -> Envoy:
    envoy = Envoy(sim.host)
    envoy.setup()
    envoy.authenticate(username="envoy", password=sim.local_users["envoy"])
    return envoy


def test_production_and_consumption_meters_without_measurement_type(
    simulator: SimulatorFactory,
) -> None:
    sim = simulator(Fw42Source())
    envoy = connect(sim)
    try:
        envoy.probe()
        features = envoy.supported_features
        assert SupportedFeatures.PRODUCTION in features
        assert SupportedFeatures.METERING in features
        assert SupportedFeatures.TOTAL_CONSUMPTION in features
        assert SupportedFeatures.NET_CONSUMPTION not in features
        data = envoy.update()
        production = data.system_production
        assert production is not None
        # the meter's figures, not the inverter entry's
        assert (production.watts_now, production.watt_hours_lifetime) == (4321, 9_100_000)
        assert (production.watt_hours_today, production.watt_hours_last_7_days) == (12346, 98765)
        consumption = data.system_consumption
        assert consumption is not None
        assert (consumption.watts_now, consumption.watt_hours_lifetime) == (1235, 7_000_000)
        assert data.system_net_consumption is None
        assert data.inverters and "121500000001" in data.inverters
    finally:
        envoy.close()


def test_a_new_reading_is_read_again(simulator: SimulatorFactory) -> None:
    source = Fw42Source()
    sim = simulator(source)
    envoy = connect(sim)
    try:
        envoy.probe()
        envoy.update()
        source.production = production_json(100.0, 2000.0)
        data = envoy.update()
        assert data.system_production is not None
        assert data.system_production.watts_now == 100
        assert data.system_consumption is not None
        assert data.system_consumption.watts_now == 2000
    finally:
        envoy.close()
