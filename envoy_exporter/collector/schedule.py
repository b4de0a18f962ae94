"""How often each gateway endpoint is read: a base interval by kind of data, stretched to keep
the gateway's busy time under a budget.

Gateways are slow and fragile (production.json?details=1 takes 2-5 s, inventories 2-6 s, and
some freeze when polled hard), while most of what they report changes slowly. Power values are
read every `cache_ttl`; inverter reports change every 5 minutes; configuration almost never.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable

INVERTER_INTERVAL = 300.0
#: production.json?details=1 when CT readings already give power: it takes 2-5 s on a real
#: gateway and only adds the lifetime/today energies, which the CT counters also carry
SUMMARY_INTERVAL = 900.0
RELAY_INTERVAL = 60.0
#: battery state of charge and stored energy: a battery at full power moves ~1 % a minute
CHARGE_INTERVAL = 60.0
CONFIG_INTERVAL = 3600.0
#: no endpoint is stretched beyond this, so even a very slow gateway is read hourly
MAX_INTERVAL = 3600.0
#: weight of the newest latency sample in the running estimate
LATENCY_WEIGHT = 0.3

PRODUCTION_JSON = "/production.json?details=1"

# Values that change within seconds: read at cache_ttl.
_POWER = frozenset(
    {
        "/ivp/meters/readings",
        "/api/v1/production",
        "/production",
        "/production.json",
        PRODUCTION_JSON,
        "/ivp/ensemble/power",
    }
)
# secctrl holds state of charge and energies, no power.
_CHARGE = frozenset({"/ivp/ensemble/secctrl"})
# Inverters report every 5 minutes; reading them more often only costs the gateway.
_INVERTERS = frozenset({"/api/v1/production/inverters", "/ivp/pdm/device_data"})
# Relay and generator states change on events, not continuously.
_RELAYS = frozenset({"/ivp/ensemble/dry_contacts", "/ivp/ensemble/generator"})
# Configuration and inventories: changed by an installer, not by the sun.
_CONFIG_PREFIXES = ("/ivp/ss/", "/inventory", "/home", "/admin/lib/tariff", "/info")
_CONFIG = frozenset({"/ivp/meters", "/ivp/ensemble/inventory", "/ivp/ensemble/status"})


def busy_ratio(intervals: dict[str, float], latencies: dict[str, float]) -> float:
    """Share of the gateway's time spent answering endpoints read at these intervals."""
    return sum(latencies.get(e, 0.0) / i for e, i in intervals.items())


class Schedule:
    """Per-endpoint refresh intervals under a gateway busy-time budget. Thread-safe."""

    def __init__(self, cache_ttl: float, busy_budget: float) -> None:
        # Both come checked from TargetConfig (collector/config.py), the one place for that.
        self.cache_ttl = cache_ttl
        self.busy_budget = busy_budget
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

    def track(self, endpoints: Iterable[str]) -> None:
        """Set the endpoints the active updaters read (replaces the previous set)."""
        with self._lock:
            self._endpoints = set(endpoints)
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
            if self._stretched or self._busy > self.busy_budget:
                self._effective = None

    def base_interval(self, endpoint: str) -> float:
        """The interval the kind of data asks for, before the budget."""
        if endpoint == PRODUCTION_JSON and self.ct_power:
            return max(SUMMARY_INTERVAL, self.cache_ttl)
        if endpoint in _POWER:
            return self.cache_ttl
        if endpoint in _CHARGE:
            return max(CHARGE_INTERVAL, self.cache_ttl)
        if endpoint in _INVERTERS:
            return max(INVERTER_INTERVAL, self.cache_ttl)
        if endpoint in _RELAYS:
            return max(RELAY_INTERVAL, self.cache_ttl)
        if endpoint in _CONFIG or endpoint.startswith(_CONFIG_PREFIXES):
            return max(CONFIG_INTERVAL, self.cache_ttl)
        return max(INVERTER_INTERVAL, self.cache_ttl)

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

    def busy_ratio(self) -> float:
        """Estimated share of the gateway's time spent answering at the effective intervals."""
        return busy_ratio(self.intervals(), self.latencies())

    def _compute(self) -> dict[str, float]:
        if self._base is None:
            self._base = {e: self.base_interval(e) for e in self._endpoints}
        result = dict(self._base)
        latency = {e: self._latency.get(e, 0.0) for e in result}
        busy = self._busy = sum(latency[e] / result[e] for e in result)
        self._stretched = busy > self.busy_budget
        if not self._stretched:
            return result
        # Stretch the slowest endpoints first: they cost the gateway most per read.
        for endpoint in sorted(result, key=lambda e: (-latency[e], e)):
            if busy <= self.busy_budget or latency[endpoint] <= 0:
                break
            others = busy - latency[endpoint] / result[endpoint]
            room = self.busy_budget - others
            ceiling = max(MAX_INTERVAL, result[endpoint])
            needed = math.ceil(latency[endpoint] / room) if room > 0 else ceiling
            stretched = min(max(result[endpoint], needed), ceiling)
            busy = others + latency[endpoint] / stretched
            result[endpoint] = float(stretched)
        return result
