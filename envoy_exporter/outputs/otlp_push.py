"""The OTLP push of many targets on the shared work pool: when each target pushes, and how many
pushes may hold the pool's threads at once.

A fleet's pushes share the pool with the probes' refreshes. Two things starved the probes:
an export to a collector that is down retries until its timeout, so with every target pushing
half the pool slept in retries; and a push refreshed its target inline, beside (and blocking
a thread behind) a probe's refresh of the same gateway. With 1,000 gateways and a refusing
collector every probe then missed its scrape timeout (`bench_fleet --otlp`). Hence:

- a push is two jobs: the target's refresh under the pool key a probe uses (so a push and a
  probe arriving together share one refresh, and no thread waits on another's), then the
  export of exactly that snapshot;
- pushes in flight are bounded: half the pool while exports succeed, one while the collector
  fails, which still notices its return within one export timeout;
- a target over the bound, or whose push is still running, skips a turn: its next push is
  an interval later, so the pushes stay spread instead of bursting when the collector returns.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING

from ..catalogue import CATALOGUE
from ..collector.pool import WorkPool, shared_pool
from .otlp import ExporterFactory, TargetPusher, instruments
from .otlp_export import ExportStats, OtlpSettings, OtlpStatsCollector, sdk_exporter

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..collector.target import Target

_LOGGER = logging.getLogger(__name__)


class OtlpPush:
    """The OTLP push of many targets (one MeterProvider each), with shared export counts.

    One scheduling thread hands each target's push to the shared work pool every interval,
    first pushes spread evenly over the first interval; the threads do not grow with the
    targets. Register `collector` in the server's own registry to expose the export counts.
    """

    def __init__(
        self,
        targets: Mapping[str, Target] | Iterable[Target],
        settings: OtlpSettings,
        *,
        stats: ExportStats | None = None,
        exporter_factory: ExporterFactory = sdk_exporter,
        pool: WorkPool | None = None,
    ) -> None:
        values = targets.values() if isinstance(targets, Mapping) else targets
        instruments(CATALOGUE)  # a catalogue entry without an OTLP name fails here, not per push
        self.settings = settings
        self.stats = stats or ExportStats()
        self.collector = OtlpStatsCollector(self.stats)
        self.pushers = [
            TargetPusher(t, settings, self.stats, exporter_factory=exporter_factory) for t in values
        ]
        self._pool = pool or shared_pool()
        self._lock = threading.Lock()
        #: pushers between their refresh job's start and their export's end
        self._in_flight: set[TargetPusher] = set()
        #: the last export failed: the collector is down, slow or refusing
        self._failing = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._schedule, name="otlp-schedule", daemon=True)

    def start(self) -> OtlpPush:
        self._thread.start()
        _LOGGER.info(
            "pushing OTLP (%s) to %s every %gs for %d target%s",
            self.settings.protocol,
            self.settings.endpoint,
            self.settings.interval,
            len(self.pushers),
            "" if len(self.pushers) == 1 else "s",
        )
        return self

    @property
    def limit(self) -> int:
        """Pushes that may be in flight at once now."""
        return 1 if self._failing else max(1, self._pool.threads // 2)

    def _schedule(self) -> None:
        start, interval = time.monotonic(), self.settings.interval
        due = [(start + i * interval / len(self.pushers), i) for i in range(len(self.pushers))]
        heapq.heapify(due)
        while due and not self._stop.wait(max(0.0, due[0][0] - time.monotonic())):
            at, i = heapq.heappop(due)
            self._begin(self.pushers[i])
            heapq.heappush(due, (max(at + interval, time.monotonic()), i))

    def _begin(self, pusher: TargetPusher) -> None:
        """Start the pusher's refresh job, unless it is still pushing or the bound is reached."""
        with self._lock:
            if pusher in self._in_flight or len(self._in_flight) >= self.limit:
                return
            self._in_flight.add(pusher)
        target = pusher.target
        try:
            refresh = self._pool.once(target, target.snapshot)
        except RuntimeError:  # the pool is shut down: the process is ending
            self._end(pusher)
            return
        refresh.add_done_callback(functools.partial(self._export, pusher))

    def _export(self, pusher: TargetPusher, refresh: Future[Snapshot]) -> None:
        """Queue the export of the refresh's snapshot (runs where the refresh ended)."""
        if self._stop.is_set() or refresh.cancelled():
            self._end(pusher)
            return
        job = functools.partial(self._push, pusher, refresh.result())
        try:
            self._pool.once(pusher, job)
        except RuntimeError:
            self._end(pusher)

    def _push(self, pusher: TargetPusher, snapshot: Snapshot) -> None:
        exports = self.stats.get(pusher.target.name).exports
        try:
            pusher.push(snapshot)
        finally:
            # A push that exported nothing (stopped, its collection timed out) says nothing
            # of the collector.
            after = self.stats.get(pusher.target.name)
            self._end(pusher, after.outage_failures > 0 if after.exports != exports else None)

    def _end(self, pusher: TargetPusher, failing: bool | None = None) -> None:
        with self._lock:
            self._in_flight.discard(pusher)
            if failing is not None:
                self._failing = failing

    def stop(self) -> None:
        """Stop every pusher; call before closing the targets."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for pusher in self.pushers:
            self._pool.cancel(pusher)
        deadline = time.monotonic() + self.settings.timeout + 2.0
        for pusher in self.pushers:
            running = self._pool.pending(pusher)
            if running is not None:  # an export under way: wait at most the OTLP timeout
                with contextlib.suppress(Exception):
                    running.result(timeout=max(0.0, deadline - time.monotonic()))
            pusher.close()

    def __enter__(self) -> OtlpPush:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
