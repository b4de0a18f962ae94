"""The gateway's description and token for a snapshot, and the lifetime counters of its data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from ..envoy.exceptions import EnvoyError
from ..envoy.models.counters import lifetime_counters
from ..envoy.models.envoy import EnvoyData
from .snapshot import GatewayInfo

if TYPE_CHECKING:
    from ..envoy.envoy import Envoy

#: EnvoyData attributes whose objects' lifetime counters are watched (envoy/models/counters.py)
COUNTED = tuple(f.name for f in fields(EnvoyData) if f.metadata.get("lifetime", f.name != "raw"))


def lifetime_values(value: Any) -> Iterator[tuple[tuple[Any, str], float]]:
    """((key, counter), value) of each lifetime counter in one EnvoyData attribute: an object
    (key None) or a dict of them (the dict's key)."""
    for key, obj in value.items() if isinstance(value, dict) else ((None, value),):
        if obj is None:
            continue
        names = lifetime_counters(type(obj))
        if not names:
            return  # an attribute holds one model: none of its objects has a counter
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
