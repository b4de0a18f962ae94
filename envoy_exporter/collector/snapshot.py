"""What a Target hands to the outputs: an immutable picture of one gateway at one refresh."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..envoy.models.envoy import EnvoyData


def frozen_map(values: Mapping[Any, Any] | None = None) -> Mapping[Any, Any]:
    """A read-only copy, so a snapshot cannot change after it was handed out."""
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class GatewayInfo:
    """Identity of the gateway, from /info and the probe."""

    serial: str
    firmware: str
    part_number: str
    model: str
    #: the address the exporter reads the gateway at, so alerts can name the gateway itself
    host: str = ""


@dataclass(frozen=True)
class PartStatus:
    """Health of one part (one updater of the client) at a refresh.

    `age_seconds` is the age of the freshest gateway answer behind the part's data, None
    when it never had data; past 3 x `interval_seconds` the part's data is dropped (`stale`).
    """

    ok: bool
    error: str | None
    age_seconds: float | None
    interval_seconds: float
    last_success: float | None
    duration_seconds: float = 0.0
    stale: bool = False


@dataclass(frozen=True)
class Snapshot:
    """One refresh of one gateway. `data` holds only the parts that are fresh enough."""

    target: str
    up: bool
    data: EnvoyData | None
    generation: int
    refreshed_at: float
    info: GatewayInfo | None = None
    supported_features: tuple[str, ...] = ()
    parts: Mapping[str, PartStatus] = field(default_factory=frozen_map)
    #: part -> generation of its data, for the parts whose data is in `data`: a generation
    #: changes exactly when the part's data does (outputs keep text written from it until then)
    part_generations: Mapping[str, int] = field(default_factory=frozen_map)
    token_expiry: float | None = None
    #: whether the credentials failed at the last login or probe; None when unknown (no login
    #: yet, or the gateway unreachable before one)
    auth_failed: bool | None = None
    last_success: float | None = None
    #: endpoint -> effective refresh interval (seconds), after the busy-time budget
    intervals: Mapping[str, float] = field(default_factory=frozen_map)
    #: endpoint -> estimated gateway latency (seconds)
    latencies: Mapping[str, float] = field(default_factory=frozen_map)
    #: (endpoint, status code or "error") -> requests sent since start
    requests: Mapping[tuple[str, str], int] = field(default_factory=frozen_map)
    #: endpoint -> seconds spent waiting for the gateway since start
    request_seconds: Mapping[str, float] = field(default_factory=frozen_map)
    #: estimated share of the gateway's time spent answering the exporter
    busy_ratio: float = 0.0
    #: power and states alone exceed the busy budget (see Schedule.budget_exceeded)
    busy_budget_exceeded: bool = False
    counter_decreases: int = 0
    #: Enlighten failures since start by kind: refused, unexpected, unreachable
    enlighten_failures: Mapping[str, int] = field(default_factory=frozen_map)
    #: (import, export) Wh counted phase-balanced since the exporter started (collector/grid.py);
    #: None without a net-consumption CT reading in this snapshot
    grid_energy_wh: tuple[float, float] | None = None
    poor_data_quality: bool = False
    #: gateway layout found by the probe: phase_count, ct_meter_count, active_phase_count, ...
    properties: Mapping[str, float] = field(default_factory=frozen_map)
    interface: Any = None
    error: str | None = None
