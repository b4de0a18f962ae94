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


def lifetime_values(attr: str, value: Any) -> Iterator[tuple[tuple[Any, str], float]]:
    """((key, counter), value) of each lifetime counter of one EnvoyData attribute: an object
    (key None) or a dict of them (the dict's key)."""
    names = LIFETIME_FIELDS[attr]
    for key, obj in value.items() if isinstance(value, dict) else ((None, value),):
        if obj is None:
            continue
        for name in names:
            counter = getattr(obj, name, None)
            if isinstance(counter, int | float) and not isinstance(counter, bool):
                yield (key, name), counter


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
        host=envoy.host,
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
