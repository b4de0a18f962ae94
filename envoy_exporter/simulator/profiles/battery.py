"""Profile "battery": firmware 8.2, split phase, 3 CTs, 3 IQ Batteries, 2 AC Batteries,
Enpower, tariff."""

from __future__ import annotations

from ...envoy.const import URL_INVENTORY_PLAIN
from .acb import AcBatteries, register_acbs
from .base import ProfileSource
from .ensemble import Ensemble
from .info import Identity
from .meters import Grid
from .physics import SiteModel, SiteParams
from .production import Fleet
from .routes import check_inverters, default_serial, register_metered
from .writes import register_ensemble

FIRMWARE = "D8.2.127"
GRID = Grid(voltage=120.0, freq=60.0, phase_mode="split")


def build(*, inverters: int = 20, seed: int = 1, serial: str | None = None) -> ProfileSource:
    params = SiteParams(
        seed=seed,
        inverters=check_inverters(inverters),
        inverter_watts=320.0,
        production_split=(0.5, 0.5),
        consumption_split=(0.55, 0.45),
        base_load_w=1400.0,
        batteries=3,
        battery_wh=5000.0,
        # two AC Batteries from before the IQ Batteries: every battery panel has data
        acbs=2,
        utc_offset=-8 * 3600,
    )
    model = SiteModel(params)
    ident = Identity(
        serial=serial or default_serial("battery", seed),
        firmware=FIRMWARE,
        part_number="800-00654-r08",
        metered=True,
        timezone="America/Los_Angeles",
        utc_offset=params.utc_offset,
    )
    source = ProfileSource("battery", ident, model)
    fleet = Fleet(model)
    register_metered(source, fleet, GRID, ["production", "net-consumption", "storage"])
    source.route(URL_INVENTORY_PLAIN, lambda now, q: fleet.inventory(now))
    register_ensemble(source, Ensemble(model, serial_base=482_200_000_000 + seed * 100))
    register_acbs(source, AcBatteries(model, serial_base=121_917_000_000 + seed * 1000))
    return source
