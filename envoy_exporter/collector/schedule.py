"""How often each gateway endpoint is read: a base interval by the kind of data it carries (as
its updater declares it, see `EndpointKind`), stretched to keep the gateway's busy time under a
budget.

Gateways are slow and fragile (production.json?details=1 takes 2-5 s, inventories 2-6 s, and
some freeze when polled hard), while most of what they report changes slowly. Power now is read
every `cache_ttl` whatever the budget; states every minute, and never less often than every
four minutes, so a CT fault reaches /metrics within five; inverter reports every 5 minutes;
configuration hourly.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable

from ..envoy.const import Endpoint, EndpointKind
from ..envoy.updaters import ENDPOINTS

_LOGGER = logging.getLogger(__name__)

#: weight of the newest latency sample in the running estimate
LATENCY_WEIGHT = 0.3
#: kind -> (base interval, longest interval the budget may stretch it to), both raised to
#: cache_ttl: POWER is read every cache_ttl and never stretched
INTERVALS: dict[EndpointKind, tuple[float, float]] = {
    EndpointKind.POWER: (0.0, 0.0),
    # a state read at most 240 s apart reaches /metrics within 5 minutes, one cache_ttl included
    EndpointKind.STATE: (60.0, 240.0),
    # read 240 s apart and never stretched: a fault shows within 5 minutes, at a quarter of
    # the requests a state costs (CT status was read hourly before: alerts came an hour late)
    EndpointKind.STATUS: (240.0, 240.0),
    # inverters report every 5 minutes: reading them more often only costs the gateway
    EndpointKind.REPORT: (300.0, 3600.0),
    EndpointKind.ENERGY: (900.0, 3600.0),
    EndpointKind.CONFIG: (3600.0, 3600.0),
    EndpointKind.IDENTITY: (3600.0, 3600.0),
}
#: once over budget, the floor must fall this far under it before the log says it ended (latency
#: estimates wander: a floor at the budget would flip the log line at every answer)
HYSTERESIS = 0.8
#: the budget stretches the least urgent kinds first (the slowest first within a kind)
STRETCH_ORDER = (
    EndpointKind.IDENTITY,
    EndpointKind.CONFIG,
    EndpointKind.ENERGY,
    EndpointKind.REPORT,
    EndpointKind.STATE,
    EndpointKind.STATUS,
)


def busy_ratio(intervals: dict[str, float], latencies: dict[str, float]) -> float:
    """Share of the gateway's time spent answering endpoints read at these intervals."""
    return sum(latencies.get(e, 0.0) / i for e, i in intervals.items())


def declaration(path: str) -> Endpoint:
    """The declared endpoint of a path; an endpoint without a declared kind is an error."""
    endpoint = ENDPOINTS.get(path)
    if endpoint is None:
        raise ValueError(f"{path}: no declared kind (declare it on the updater that reads it)")
    return endpoint


class Schedule:
    """Per-endpoint refresh intervals under a gateway busy-time budget. Thread-safe."""

    def __init__(self, cache_ttl: float, busy_budget: float, name: str = "") -> None:
        # Both come checked from TargetConfig (collector/config.py), the one place for that.
        self.cache_ttl = cache_ttl
        self.busy_budget = busy_budget
        #: named in the log lines (the target's name)
        self.name = name
        #: CT readings give power, so the slow production.json need not be read every time
        self.ct_power = False
        self._endpoints: set[str] = set()
        self._latency: dict[str, float] = {}
        self._lock = threading.Lock()
        self._effective: dict[str, float] | None = None
        # The base intervals change with the tracked endpoints and ct_power only, while
        # every answer moves a latency: recomputing them at each request cost more CPU
        # than the request.
        self._base: dict[str, float] | None = None
        # Busy ratio at the base intervals, kept up to date by observe(): while it stays
        # within the budget and nothing is stretched, the table is the base one and a new
        # latency changes nothing in it.
        self._busy = 0.0
        self._stretched = False
        self._exceeded = False

    def track(self, endpoints: Iterable[str]) -> None:
        """Set the endpoints the active updaters read (replaces the previous set).

        Raises ValueError for an endpoint without a declared kind.
        """
        tracked = set(endpoints)
        for path in tracked:
            declaration(path)
        with self._lock:
            self._endpoints = tracked
            self._effective = self._base = None

    def set_ct_power(self, ct_power: bool) -> None:
        with self._lock:
            self.ct_power = ct_power
            self._effective = self._base = None

    def observe(self, endpoint: str, seconds: float) -> None:
        """Feed one measured answer time of the gateway."""
        with self._lock:
            old = self._latency.get(endpoint)
            seconds = max(seconds, 0.0)
            new = seconds if old is None else old + LATENCY_WEIGHT * (seconds - old)
            self._latency[endpoint] = new
            base = self._base.get(endpoint) if self._base is not None else None
            if self._effective is None or base is None:
                return  # not in the table (yet): the next interval() computes it
            self._busy += (new - (old or 0.0)) / base
            if self._stretched or self._exceeded or self._busy > self.busy_budget:
                self._effective = None

    def kind(self, endpoint: str) -> EndpointKind:
        """The kind of data the endpoint carries now (production.json's changes with CTs)."""
        declared = declaration(endpoint)
        if self.ct_power and declared.kind_with_ct is not None:
            return declared.kind_with_ct
        return declared.kind

    def base_interval(self, endpoint: str) -> float:
        """The interval the kind of data asks for, before the budget."""
        return float(max(INTERVALS[self.kind(endpoint)][0], self.cache_ttl))

    def longest_interval(self, endpoint: str) -> float:
        """The longest interval the budget may stretch the endpoint to."""
        return float(max(INTERVALS[self.kind(endpoint)][1], self.cache_ttl))

    def interval(self, endpoint: str) -> float:
        """Effective interval of an endpoint (untracked endpoints get their base interval)."""
        # Asked for every endpoint at every refresh: no copy of the whole table, and no lock
        # but to build it (the table is replaced whole, never changed in place).
        table = self._effective
        if table is None:
            with self._lock:
                if self._effective is None:
                    self._effective = self._compute()
                table = self._effective
        return table.get(endpoint) or self.base_interval(endpoint)

    def intervals(self) -> dict[str, float]:
        """Effective interval of every tracked endpoint."""
        with self._lock:
            if self._effective is None:
                self._effective = self._compute()
            return dict(self._effective)

    def latencies(self) -> dict[str, float]:
        with self._lock:
            return dict(self._latency)

    def budget_exceeded(self) -> bool:
        """Whether what the budget may not stretch (power, states at their longest interval)
        alone keeps the gateway busier than the budget: those are read on time anyway."""
        with self._lock:
            if self._effective is None:
                self._effective = self._compute()
            return self._exceeded

    def _compute(self) -> dict[str, float]:
        if self._base is None:
            self._base = {e: self.base_interval(e) for e in self._endpoints}
        result = dict(self._base)
        latency = {e: self._latency.get(e, 0.0) for e in result}
        busy = self._busy = sum(latency[e] / result[e] for e in result)
        self._stretched = busy > self.busy_budget
        if self._stretched:
            self._stretch(result, latency, busy)
        floor = sum(latency[e] / self.longest_interval(e) for e in result)
        self._note_exceeded(floor)
        return result

    def _stretch(self, result: dict[str, float], latency: dict[str, float], busy: float) -> None:
        """Stretch the least urgent, then slowest, endpoints until the budget holds."""
        rank = {kind: i for i, kind in enumerate(STRETCH_ORDER)}
        stretchable = [e for e in result if self.kind(e) in rank and latency[e] > 0]
        for endpoint in sorted(stretchable, key=lambda e: (rank[self.kind(e)], -latency[e], e)):
            if busy <= self.busy_budget:
                break
            others = busy - latency[endpoint] / result[endpoint]
            room = self.busy_budget - others
            ceiling = self.longest_interval(endpoint)
            needed = math.ceil(latency[endpoint] / room) if room > 0 else ceiling
            stretched = min(max(result[endpoint], needed), ceiling)
            busy = others + latency[endpoint] / stretched
            result[endpoint] = float(stretched)

    def _note_exceeded(self, floor: float) -> None:
        """`floor`: the busy ratio with every endpoint at its longest interval."""
        limit = self.busy_budget * (HYSTERESIS if self._exceeded else 1.0)
        exceeded = floor > limit
        if exceeded == self._exceeded:
            return
        self._exceeded = exceeded
        who = f"target {self.name}: " if self.name else ""
        if exceeded:
            _LOGGER.warning(
                "%spower and state endpoints alone keep the gateway busy %.2g%% of its time, "
                "over the busy budget of %.2g%%: they are read on time anyway",
                who,
                100 * floor,
                100 * self.busy_budget,
            )
        else:
            _LOGGER.info("%sthe gateway's busy time is within the budget again", who)
