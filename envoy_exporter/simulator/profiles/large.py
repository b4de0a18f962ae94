"""Profile "large": 300 inverters, three phases, four CTs, ten IQ Batteries (benchmarks)."""

from __future__ import annotations

from .base import ProfileSource
from .ensemble import Ensemble
from .info import Identity
from .meters import Grid
from .physics import SiteModel, SiteParams
from .production import Fleet
from .routes import check_inverters, default_serial, register_metered
from .writes import register_ensemble

FIRMWARE = "D8.2.127"
GRID = Grid(voltage=230.0, freq=50.0, phase_mode="three")
# a System Controller site: storage, and the backfeed CT between it and the main panel
CTS = ["production", "net-consumption", "storage", "backfeed"]


def build(*, inverters: int = 300, seed: int = 1, serial: str | None = None) -> ProfileSource:
    params = SiteParams(
        seed=seed,
        inverters=check_inverters(inverters),
        inverter_watts=320.0,
        production_split=(0.34, 0.33, 0.33),
        consumption_split=(0.36, 0.33, 0.31),
        # a commercial load: the site sells most of what it makes
        base_load_w=max(6000.0, inverters * 40.0),
        batteries=10,
        battery_wh=5000.0,
        utc_offset=3600,
    )
    model = SiteModel(params)
    ident = Identity(
        serial=serial or default_serial("large", seed),
        firmware=FIRMWARE,
        part_number="800-00654-r08",
        metered=True,
        timezone="Europe/Berlin",
        utc_offset=params.utc_offset,
    )
    source = ProfileSource("large", ident, model)
    register_metered(source, Fleet(model), GRID, CTS)
    register_ensemble(source, Ensemble(model, serial_base=482_300_000_000 + seed * 100))
    return source
