"""Combining the parts (one EnvoyData per updater) into one, and checks on the result:
lifetime counters, poor data quality, token expiry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from ..envoy.exceptions import EnvoyError
from ..envoy.models.envoy import EnvoyData
from .snapshot import GatewayInfo

if TYPE_CHECKING:
    from ..envoy.envoy import Envoy

_FIELDS = frozenset(f.name for f in fields(EnvoyData) if f.name != "raw")


def merge(parts: Iterable[EnvoyData]) -> EnvoyData:
    """One EnvoyData from several, in updater order: a later part's value wins, dicts merge."""
    values: dict[str, Any] = {}
    for part in parts:
        # Each part sets a few of the ~30 fields: walk only those it set.
        for name, value in vars(part).items():
            if value is None or name not in _FIELDS:
                continue
            current = values.get(name)
            if isinstance(value, dict):
                if not value and current is not None:
                    continue
                # One part's dict is shared as it is (parts are not changed once read), so
                # the output can tell unchanged data by identity; two parts' dicts merge.
                values[name] = {**current, **value} if current else value
            else:
                values[name] = value
    return EnvoyData(**values)


_FLOWS = ("system_production", "system_consumption")
_METERS = ("ctmeter_production", "ctmeter_consumption", "ctmeter_storage")
_METER_COUNTERS = ("energy_delivered", "energy_received")
#: EnvoyData attribute -> the lifetime counters of each object in it
LIFETIME_FIELDS: dict[str, tuple[str, ...]] = {
    **{a: ("watt_hours_lifetime",) for f in _FLOWS for a in (f, f"{f}_phases")},
    **{a: _METER_COUNTERS for m in _METERS for a in (m, f"{m}_phases")},
    "inverters": ("lifetime_energy",),
}


def lifetime_counters(data: EnvoyData) -> dict[str, float]:
    """Every lifetime energy counter in the data, keyed by where it sits."""
    counters: dict[str, float] = {}
    for attr in LIFETIME_FIELDS:
        counters.update(lifetime_counters_of(attr, getattr(data, attr)))
    return counters


def lifetime_counters_of(attr: str, value: Any) -> dict[str, float]:
    """The lifetime counters of one EnvoyData attribute (an object, or a dict of them)."""
    names = LIFETIME_FIELDS[attr]
    if isinstance(value, dict):
        where = "inverter" if attr == "inverters" else attr.removesuffix("_phases")
        counters: dict[str, float] = {}
        for key, obj in value.items():
            counters.update(_values(f"{where}.{key}", obj, names))
        return counters
    return dict(_values(attr, value, names))


def _values(where: str, obj: Any, names: tuple[str, ...]) -> Iterator[tuple[str, float]]:
    if obj is None:
        return
    for name in names:
        value = getattr(obj, name, None)
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield f"{where}.{name}", float(value)


def count_decreases(before: dict[str, float], after: dict[str, float]) -> int:
    """How many counters present in both went backwards."""
    return sum(1 for key, value in after.items() if key in before and value < before[key])


def token_expiry(envoy: Envoy | None) -> float | None:
    """The token's expiry (epoch seconds), None without token auth or a readable token."""
    auth = envoy.auth if envoy is not None else None
    try:
        expiry = getattr(auth, "expire_timestamp", None)
    except EnvoyError:
        return None
    return float(expiry) if isinstance(expiry, int | float) else None


def describe(envoy: Envoy, serial: str | None) -> tuple[GatewayInfo, dict[str, float]]:
    """The gateway's identity (the configured serial when /info gives none) and the layout
    its probe found."""
    info = GatewayInfo(
        serial=envoy.serial_number or serial or "",
        firmware=str(envoy.firmware or ""),
        part_number=envoy.part_number or "",
        model=envoy.envoy_model,
    )
    properties: dict[str, float] = {
        "phase_count": envoy.phase_count,
        "active_phase_count": envoy.active_phase_count,
        "ct_meter_count": envoy.ct_meter_count,
        "acb_batteries_reported": envoy.acb_count,
    }
    return info, properties


def poor_quality(data: EnvoyData, info: GatewayInfo | None) -> bool:
    """Firmware 3.x answers all-zero production for minutes after a restart."""
    production = data.system_production
    if production is None or info is None or not info.firmware.startswith("3."):
        return False
    values = (
        production.watts_now,
        production.watt_hours_today,
        production.watt_hours_last_7_days,
        production.watt_hours_lifetime,
    )
    return not any(values)
