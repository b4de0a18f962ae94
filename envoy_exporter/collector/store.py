"""The ResponseStore the client consults before each GET: the schedule made concrete.

An endpoint's last answer is handed back while it is younger than the endpoint's interval,
so an updater run at every refresh only reaches the gateway for the endpoints that are due.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import requests

from .schedule import Schedule

#: an answer this close to its interval counts as due, so scrape jitter does not skip a turn
DUE_SLACK = 1.0


class ResponseStore:
    """Keeps fresh 2xx answers per endpoint and notes which endpoints each part used."""

    def __init__(self, schedule: Schedule, clock: Callable[[], float]) -> None:
        self._schedule = schedule
        self._clock = clock
        self._entries: dict[str, tuple[requests.Response, float]] = {}
        #: endpoints the parts have read since the last probe: what the gateway's parts read
        self._read: set[str] = set()
        self._used: dict[str, float] | None = None
        self._lock = threading.Lock()

    def get(self, endpoint: str) -> requests.Response | None:
        """The stored answer if the endpoint is not due yet, else None (the client asks)."""
        with self._lock:
            self._read.add(endpoint)
            entry = self._entries.get(endpoint)
            if entry is None or self._due(entry[1], endpoint, self._clock()):
                self._note(endpoint, None)
                return None
            response, fetched_at = entry
            self._note(endpoint, fetched_at)
            return response

    def due(self) -> set[str]:
        """The endpoints the parts read that are due: reading one of them asks the gateway.

        An endpoint no part read since the probe is left out: a part that reads only some of
        its declared endpoints on this gateway (the limits a firmware answers) would otherwise
        run at every refresh. The book runs every part once after a probe, so what a new
        probe's parts read is known.
        """
        with self._lock:
            now = self._clock()
            return {
                e
                for e in self._read
                if (entry := self._entries.get(e)) is None or self._due(entry[1], e, now)
            }

    def _due(self, fetched_at: float, endpoint: str, now: float) -> bool:
        interval = self._schedule.interval(endpoint)
        slack = min(DUE_SLACK, 0.05 * interval)
        return now - fetched_at + slack >= interval

    def put(self, endpoint: str, response: requests.Response) -> None:
        """Keep a fresh answer, stamped now."""
        with self._lock:
            now = self._clock()
            self._entries[endpoint] = (response, now)
            self._note(endpoint, now)

    def forget(self, endpoints: Iterable[str]) -> None:
        """Drop these answers: a part could not use them, the gateway is asked again."""
        with self._lock:
            for endpoint in endpoints:
                self._entries.pop(endpoint, None)

    def clear(self) -> None:
        """Forget every answer (after a new connection, the gateway may have changed)."""
        with self._lock:
            self._entries.clear()
            self._read.clear()

    def new_probe(self) -> None:
        """A probe chose the parts anew: forget which endpoints the parts read."""
        with self._lock:
            self._read.clear()

    def begin_part(self) -> None:
        """Start noting the endpoints one updater reads."""
        with self._lock:
            self._used = {}

    def end_part(self) -> dict[str, float]:
        """Endpoint -> time of the answer used (0.0 for a request that got no stored answer)."""
        with self._lock:
            used, self._used = self._used or {}, None
            return used

    def _note(self, endpoint: str, fetched_at: float | None) -> None:
        if self._used is None:
            return
        if fetched_at is not None or endpoint not in self._used:
            self._used[endpoint] = fetched_at or 0.0
