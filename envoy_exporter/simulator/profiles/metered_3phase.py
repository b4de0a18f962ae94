"""Profile "metered-3phase": Envoy-S metered, firmware 7.6, production + net CTs, 3 phases."""

from __future__ import annotations

from ...envoy.const import URL_ENSEMBLE_INVENTORY, URL_INVENTORY_PLAIN
from .base import ProfileSource
from .info import Identity
from .meters import Grid
from .physics import SiteModel, SiteParams
from .production import Fleet
from .routes import check_inverters, default_serial, register_metered

FIRMWARE = "D7.6.175"
GRID = Grid(voltage=230.0, freq=50.0, phase_mode="three")


def build(*, inverters: int = 30, seed: int = 1, serial: str | None = None) -> ProfileSource:
    params = SiteParams(
        seed=seed,
        inverters=check_inverters(inverters),
        inverter_watts=300.0,
        production_split=(0.34, 0.33, 0.33),
        consumption_split=(0.45, 0.3, 0.25),
        base_load_w=900.0,
        utc_offset=3600,
    )
    model = SiteModel(params)
    ident = Identity(
        serial=serial or default_serial("metered-3phase", seed),
        firmware=FIRMWARE,
        part_number="800-00654-r08",
        metered=True,
        timezone="Europe/Amsterdam",
        utc_offset=params.utc_offset,
    )
    source = ProfileSource("metered-3phase", ident, model)
    fleet = Fleet(model)
    register_metered(source, fleet, GRID, ["production", "net-consumption"])
    source.route(URL_INVENTORY_PLAIN, lambda now, q: fleet.inventory(now))
    # a gateway that could host batteries but has none answers an empty inventory
    source.route(URL_ENSEMBLE_INVENTORY, lambda now, q: [])
    return source
