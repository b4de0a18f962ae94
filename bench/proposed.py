"""Fixes proposed to the collector's owner, applied only inside a benchmark run (monkeypatch),
to show their effect before they land in envoy_exporter/collector/. Not used by the exporter."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

#: proposed interval of production.json?details=1 when CTs give power (today's Wh and
#: lifetime totals; the CT readings carry the power and their own energy counters)
PRODUCTION_JSON_CT_INTERVAL = 3600.0


@contextlib.contextmanager
def proposed_fixes() -> Iterator[None]:
    """(a) production.json?details=1 hourly on CT sites (schedule.py base_interval);
    (b) the hourly /info check re-probes only when the firmware or serial changed
    (target.py _recheck_info), so /home (~6 s) and the probe's slow reads are not repeated."""
    from envoy_exporter.collector import schedule, target

    base = schedule.Schedule.base_interval
    recheck = target.Target._recheck_info

    def base_interval(self: Any, endpoint: str) -> float:
        if endpoint == schedule.PRODUCTION_JSON and self.ct_power:
            return max(PRODUCTION_JSON_CT_INTERVAL, float(self.cache_ttl))
        return float(base(self, endpoint))

    def recheck_info(self: Any, envoy: Any, now: float) -> Any:
        before = (str(envoy.firmware), envoy.serial_number)
        envoy.setup()
        self._check_info = False
        self._next_info_check = now + target.INFO_CHECK_INTERVAL
        if (str(envoy.firmware), envoy.serial_number) == before:
            return envoy  # same gateway: keep the updaters found at connection
        self._drop_envoy()
        self._store.clear()
        self._envoy = self._connect(now)
        return self._envoy

    schedule.Schedule.base_interval = base_interval  # type: ignore[method-assign]
    target.Target._recheck_info = recheck_info  # type: ignore[method-assign]
    try:
        yield
    finally:
        schedule.Schedule.base_interval = base  # type: ignore[method-assign]
        target.Target._recheck_info = recheck  # type: ignore[method-assign]
