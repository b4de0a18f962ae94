"""Where "power now" comes from: the CT readings when the gateway has them.

/ivp/meters/readings answers in ~0.05 s and is read every refresh; /production.json?details=1
takes 2-5 s on a real gateway, so the schedule reads it every few minutes when CTs exist. Both
carry the same CT measurement (production.json's eim entries are the CT readings: production
wNow == the production channel's activePower, total-consumption == net + production), so power
is taken from the fresh CT readings and falls back to the EnvoyData totals without CTs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from .spec import PRODUCTION_PARTS, DataSelector, keyed, one

if TYPE_CHECKING:
    from ..envoy.models.envoy import EnvoyData
    from ..envoy.models.meters import EnvoyMeterData

NET = "net-consumption"
TOTAL = "total-consumption"


class _Now(NamedTuple):
    watts_now: float


def _type(meter: EnvoyMeterData | None) -> str | None:
    kind = getattr(meter, "measurement_type", None)
    return None if kind is None else str(getattr(kind, "value", kind))


def _from_cts(
    flow: str, production: EnvoyMeterData | None, consumption: EnvoyMeterData | None
) -> float | None:
    """Power of one flow from a production CT and a consumption CT (either may be missing)."""
    prod = None if production is None else production.active_power
    if flow == "production":
        return prod
    kind = _type(consumption)
    cons = None if consumption is None else consumption.active_power
    if cons is None or kind not in (NET, TOTAL):
        return None
    if flow == "net_consumption":
        if kind == NET:
            return cons
        return None if prod is None else cons - prod
    # Total (house) consumption.
    if kind == TOTAL:
        return cons
    return None if prod is None else cons + prod


def site_power(flow: str) -> DataSelector:
    """The site's power of `flow` (production, consumption, net_consumption)."""
    fallback = one(f"system_{flow}", PRODUCTION_PARTS)

    def select(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
        value = _from_cts(flow, data.ctmeter_production, data.ctmeter_consumption)
        if value is None:
            yield from fallback(data)
        else:
            yield (), _Now(value)

    reads = ("ctmeter_production", "ctmeter_consumption", *fallback.reads)
    return DataSelector(reads, ("meters", *fallback.parts), select)


def phase_power(flow: str) -> DataSelector:
    """Per-phase power of `flow`, labelled L1/L2/L3."""
    fallback = keyed(f"system_{flow}_phases", PRODUCTION_PARTS)

    def select(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
        productions = data.ctmeter_production_phases or {}
        consumptions = data.ctmeter_consumption_phases or {}
        phases = sorted(set(productions) | set(consumptions))
        values = {p: _from_cts(flow, productions.get(p), consumptions.get(p)) for p in phases}
        if not values or any(v is None for v in values.values()):
            yield from fallback(data)
            return
        for phase in phases:
            yield (str(phase),), _Now(float(values[phase] or 0.0))

    reads = ("ctmeter_production_phases", "ctmeter_consumption_phases", *fallback.reads)
    return DataSelector(reads, ("meters", *fallback.parts), select)
