"""Profile "legacy": a non-metered Envoy-S, firmware 5 (HTTP, digest auth), 12 inverters."""

from __future__ import annotations

from ...envoy.const import URL_PRODUCTION, URL_PRODUCTION_JSON_PLAIN
from .base import ProfileSource, details_requested
from .info import Identity
from .physics import SiteModel, SiteParams
from .production import Fleet, production_json
from .routes import check_inverters, default_serial, register_inverters

FIRMWARE = "D5.0.62"


def build(*, inverters: int = 12, seed: int = 1, serial: str | None = None) -> ProfileSource:
    params = SiteParams(
        seed=seed,
        inverters=check_inverters(inverters),
        inverter_watts=250.0,
        base_load_w=500.0,
        utc_offset=-5 * 3600,
    )
    model = SiteModel(params)
    ident = Identity(
        serial=serial or default_serial("legacy", seed),
        firmware=FIRMWARE,
        part_number="800-00551-r02",
        metered=False,
        timezone="America/New_York",
        utc_offset=params.utc_offset,
        build_time=1_626_297_189,
    )
    source = ProfileSource("legacy", ident, model)
    fleet = Fleet(model)
    register_inverters(source, fleet)

    # without CTs production.json still carries an idle eim entry (activeCount 0)
    def production(now: float, query: dict[str, list[str]]) -> object:
        return production_json(fleet, None, now, details_requested(query), noct_eim=True)

    source.route(URL_PRODUCTION_JSON_PLAIN, production)
    source.route(URL_PRODUCTION, production)
    return source
