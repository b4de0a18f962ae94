"""Routes shared by several profiles: inverters, production documents, CTs, /home."""

from __future__ import annotations

import zlib

from ...envoy.const import (
    URL_HOME,
    URL_METERS,
    URL_METERS_READINGS,
    URL_PRODUCTION,
    URL_PRODUCTION_INVERTERS,
    URL_PRODUCTION_JSON_PLAIN,
    URL_PRODUCTION_V1,
)
from .base import ProfileSource, details_requested
from .info import home_doc
from .limits import register_limits
from .meters import Grid, meters_doc, readings_doc
from .physics import unit
from .production import Fleet, api_v1_production, production_json


def default_serial(profile: str, seed: int) -> str:
    """A 12-digit gateway serial of the profile and seed: profiles never share one.

    Several simulated gateways in one exporter (or OTLP's service.instance.id) tell gateways
    apart by serial.
    """
    return f"12223{int(unit(zlib.crc32(profile.encode()), seed, 6) * 10_000_000):07d}"


def check_inverters(inverters: int) -> int:
    if isinstance(inverters, bool) or not isinstance(inverters, int) or inverters < 1:
        raise ValueError(f"inverters must be a whole number >= 1, not {inverters!r}")
    return inverters


def register_inverters(source: ProfileSource, fleet: Fleet) -> None:
    """/api/v1/production and /api/v1/production/inverters."""
    model = fleet.model
    source.route(URL_PRODUCTION_V1, lambda now, q: api_v1_production(model, now))
    source.route(URL_PRODUCTION_INVERTERS, lambda now, q: fleet.reports(now))


def register_metered(
    source: ProfileSource, fleet: Fleet, grid: Grid, measurements: list[str]
) -> None:
    """A metered gateway: CTs, production.json with eim entries, /production, /home, limits."""
    model = fleet.model
    register_inverters(source, fleet)
    source.route(URL_METERS, lambda now, q: meters_doc(grid, measurements))
    source.route(URL_METERS_READINGS, lambda now, q: readings_doc(model, grid, measurements, now))
    # the query (details=1) is the builder's to read
    source.route(
        URL_PRODUCTION_JSON_PLAIN,
        lambda now, q: production_json(fleet, grid, now, details_requested(q)),
    )
    # since firmware 7.6 /production no longer breaks totals into lines
    source.route(URL_PRODUCTION, lambda now, q: production_json(fleet, grid, now, False))
    source.limits = register_limits(source)
    source.route(
        URL_HOME,
        lambda now, q: home_doc(
            source.identity, now, model.params.inverters, model.params.batteries
        ),
    )
