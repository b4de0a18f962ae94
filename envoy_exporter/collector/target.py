"""One gateway as the exporter sees it: connect once, then refresh what is due, at most once per
cache TTL however many scrapers ask (single flight), and hand out immutable Snapshots."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache

from ..envoy.const import SupportedFeatures
from ..envoy.deadline import within
from ..envoy.envoy import Envoy
from ..envoy.exceptions import EnvoyCommunicationError, EnvoyError
from ..envoy.http import RequestRecord
from ..envoy.models.envoy import EnvoyData
from ..envoy.reading import Failure, PartRead
from .book import STALE_INTERVALS, Outcome, PartBook
from .config import TargetConfig
from .grid import PhaseBalancedGrid
from .link import Link
from .parts import describe, token_expiry
from .schedule import Schedule, busy_ratio
from .snapshot import GatewayInfo, PartStatus, Snapshot, frozen_map
from .stats import RequestStats
from .store import ResponseStore

__all__ = [
    "STALE_INTERVALS",
    "GatewayInfo",
    "PartStatus",
    "Snapshot",
    "Target",
    "TargetConfig",
]

_LOGGER = logging.getLogger(__name__)


class Target:
    """Owns one gateway's Link. No network at construction; snapshot() never raises."""

    def __init__(self, config: TargetConfig, *, clock: Callable[[], float] | None = None) -> None:
        self.config = config
        # Intervals and ages run on a monotonic clock (a wall clock may jump at boot or by
        # NTP); exported timestamps on the wall clock. A test's clock drives both.
        self._clock = clock or time.monotonic
        self._wall = clock or time.time
        self._wall_now = 0.0
        self.schedule = Schedule(config.cache_ttl, config.busy_budget, config.name)
        self._store = ResponseStore(self.schedule, self._clock)
        self._cache: TTLCache[str, Snapshot] = TTLCache(1, config.cache_ttl, timer=self._clock)
        self._lock = threading.Lock()
        self._stats = RequestStats()
        self._link = Link(config, self._stats, self._on_connect, self._on_probe)
        self._book = PartBook(self.schedule, config.cache_ttl)
        self._grid = PhaseBalancedGrid()
        self._info: GatewayInfo | None = None
        self._features: tuple[str, ...] = ()
        self._properties: dict[str, float] = {}
        self._interface: object = None
        self._generation = 0
        self._last_success: float | None = None
        self._up = False
        self._closed = False
        self._failing: set[str] = set()
        self._warned_size: set[str] = set()

    @property
    def name(self) -> str:
        return self.config.name

    def snapshot(self) -> Snapshot:
        """The current snapshot, refreshing what is due when the cached one expired.

        Callers arriving during a refresh wait for it and share its result.
        """
        with self._lock:
            cached = self._cache.get("snapshot")
            if cached is not None:
                return cached
            snap = self._refresh_guarded()
            self._cache["snapshot"] = snap
            return snap

    def close(self) -> None:
        """Close the client's session; later snapshots report the gateway down."""
        with self._lock:
            self._closed = True
            self._link.drop()
            self._cache.clear()

    # -- refresh ------------------------------------------------------------------------

    def _refresh_guarded(self) -> Snapshot:
        now = self._clock()
        self._wall_now = self._wall()
        if self._closed:
            return self._build(now, up=False, error="target closed")
        try:
            # Every request of the refresh ends by then, however slowly the gateway drips.
            with within(max(self.config.cache_ttl, self.config.timeout)):
                return self._refresh(now)
        except Exception as err:  # a snapshot is always produced, whatever went wrong
            _LOGGER.exception("refresh of target %s failed", self.name)
            error = f"{type(err).__name__}: {err}"
        try:
            return self._down(now, error)
        except Exception:
            self._generation += 1
            return Snapshot(self.name, False, None, self._generation, self._wall_now, error=error)

    def _refresh(self, now: float) -> Snapshot:
        self._stats.begin_refresh()
        try:
            envoy = self._link.ready(now, self._wall_now)
        except EnvoyError as err:
            return self._down(now, _describe(err))
        outcomes = self._read(envoy, self._due_parts(envoy))
        if not outcomes:
            # Every part is still within its interval: nothing to ask, nothing changed.
            return self._build(now, up=self._up, error=None)
        error = None
        refused = False
        if any(o.read.failure is Failure.REFUSED for o in outcomes):
            outcomes, error = self._log_in_again(outcomes)
            # Refused again after a fresh login: the credentials, not a passing session.
            refused = error is not None or any(o.read.failure is Failure.REFUSED for o in outcomes)
        if any(o.read.failure is Failure.NOT_FOUND for o in outcomes):
            self._link.vanished(now)  # an endpoint vanished: the gateway may have changed
        self._book.apply(outcomes, now, self._wall_now)
        up = self._decide_up(now, outcomes, logged_in=error is None)
        self._link.note_reads(refused, up)
        if up:
            self._last_success = self._wall_now
            self._report_parts(outcomes)
        else:
            self._link.suspect(now)
            reasons = (o.read.reason for o in outcomes if o.read.error is not None)
            error = error or next(reasons, None) or "nothing could be read"
            # The parts the schedule did not run were not read either: they run again next time.
            ran = frozenset(o.read.name for o in outcomes)
            self._book.fail_all("skipped: gateway unreadable", besides=ran)
        return self._build(now, up=up, error=error)

    def _read(self, envoy: Envoy, only: Callable[[str], bool]) -> list[Outcome]:
        """Read the selected parts through the client; stop asking once the gateway is gone."""
        outcomes: list[Outcome] = []
        gone = False
        with envoy.reading():
            for updater in envoy.updaters:
                if not only(updater.name):
                    continue
                if gone:
                    skipped = EnvoyCommunicationError("skipped: gateway unreachable")
                    read = PartRead(updater.name, None, skipped, Failure.UNREACHABLE)
                    outcomes.append(Outcome(read, {}))
                    continue
                self._store.begin_part()
                read = envoy.read_part(updater)
                used = self._store.end_part()
                outcomes.append(Outcome(read, used))
                if read.data is not None:
                    # The outputs read the models, never the raw answers: keeping the parsed
                    # JSON would cost ~60 KB per gateway, which a fleet of a thousand feels.
                    read.data.raw = {}
                else:
                    # An answer the part could not use (HTML, a bad shape) is asked again.
                    self._store.forget(used)
                    if read.failure is Failure.BUG:
                        _LOGGER.error(
                            "updater %s failed unexpectedly", read.name, exc_info=read.error
                        )
                gone = read.failure is Failure.UNREACHABLE
        return outcomes

    def _due_parts(self, envoy: Envoy) -> Callable[[str], bool]:
        """The parts worth running: one of their endpoints is due, or they have no good data.

        A part whose answers all come from the store would only parse the same JSON into the
        same models again: on a battery site that is most of a refresh's CPU.
        """
        due = self._store.due()
        run = {
            u.name
            for u in envoy.updaters
            if not u.endpoints or self._book.needs(u.name) or not due.isdisjoint(u.endpoints)
        }
        return run.__contains__

    def _decide_up(self, now: float, outcomes: list[Outcome], *, logged_in: bool) -> bool:
        """enphase_up for this refresh (docs/metrics.md): the gateway was reached, it accepted
        the login, and at least one part has data to show.

        A part read now settles it. Parts still within their interval prove nothing about the
        gateway now: a lost connection or a login refused (after a refused read) make the
        refresh unreadable, and when every request of this refresh failed otherwise, an /info
        read (no login, cheap) tells one broken endpoint from a broken gateway.
        """
        if any(o.read.ok for o in outcomes):
            return True
        ran = {o.read.name for o in outcomes}
        if not logged_in or not self._book.any_good(besides=ran):
            return False
        if any(o.read.failure is Failure.UNREACHABLE for o in outcomes):
            return False
        if self._stats.refresh_counts()[1] == 0:
            return True
        return self._link.ping_info(now)

    def _report_parts(self, outcomes: list[Outcome]) -> None:
        """One log line when a part starts failing on a readable gateway, one when it is back."""
        for outcome in outcomes:
            read = outcome.read
            if not read.ok and read.name not in self._failing:
                self._failing.add(read.name)
                _LOGGER.warning(
                    "target %s: part %s could not be read: %s", self.name, read.name, read.reason
                )
            elif read.ok and read.name in self._failing:
                self._failing.discard(read.name)
                _LOGGER.info("target %s: part %s read again", self.name, read.name)

    def _log_in_again(self, outcomes: list[Outcome]) -> tuple[list[Outcome], str | None]:
        """Log in once more (a new token when credentials are known), read the refused again."""
        refused = {o.read.name for o in outcomes if o.read.failure is Failure.REFUSED}
        try:
            self._link.login_again()
        except EnvoyError as err:
            return outcomes, _describe(err)
        envoy = self._link.envoy
        assert envoy is not None
        again = {o.read.name: o for o in self._read(envoy, refused.__contains__)}
        return [again.get(o.read.name, o) for o in outcomes], None

    def _down(self, now: float, error: str) -> Snapshot:
        self._link.suspect(now)
        self._book.fail_all(error)
        return self._build(now, up=False, error=error)

    # -- the link's hooks ---------------------------------------------------------------

    def _on_connect(self, envoy: Envoy) -> None:
        envoy.add_request_listener(self._on_request)
        envoy.response_store = self._store
        self._store.clear()

    def _on_probe(self, envoy: Envoy) -> None:
        updaters = envoy.updaters
        read = {e for u in updaters for e in u.endpoints}
        for endpoint, reason in envoy.too_large.items():
            if endpoint not in read and endpoint not in self._warned_size:
                self._warned_size.add(endpoint)  # once: the next probes find the same
                _LOGGER.warning(
                    "target %s: the part reading %s is left out: %s", self.name, endpoint, reason
                )
        self._book.set_updaters({u.name: tuple(u.endpoints) for u in updaters})
        self._store.new_probe()
        self.schedule.track(e for u in updaters for e in u.endpoints)
        features = envoy.supported_features
        self.schedule.set_ct_power(bool(features & SupportedFeatures.CTMETERS))
        self._features = tuple(f.name for f in SupportedFeatures if f in features and f.name)
        self._info, self._properties = describe(envoy, self.config.serial)
        self._interface = envoy.interface_settings()

    def _on_request(self, record: RequestRecord) -> None:
        self._stats.record(record)
        if record.status_code is not None:
            self.schedule.observe(record.endpoint, record.seconds)

    # -- snapshot ---------------------------------------------------------------------------

    def _build(self, now: float, *, up: bool, error: str | None) -> Snapshot:
        self._generation += 1
        self._up = up
        statuses = self._book.statuses(now)
        if not up:
            return self._snapshot(up, None, statuses, {}, False, error)
        shown = self._book.shown(statuses)
        data, grid = shown.data, None
        self._book.count_decreases(data)
        if self._grid.observe(data.ctmeter_consumption, data.ctmeter_consumption_phases):
            grid = (self._grid.import_wh, self._grid.export_wh)
        return self._snapshot(up, data, statuses, shown.generations, shown.poor, error, grid)

    def _snapshot(
        self,
        up: bool,
        data: EnvoyData | None,
        statuses: dict[str, PartStatus],
        generations: dict[str, int],
        poor: bool,
        error: str | None,
        grid: tuple[float, float] | None = None,
    ) -> Snapshot:
        requests, seconds = self._stats.totals()
        intervals, latencies = self.schedule.intervals(), self.schedule.latencies()
        return Snapshot(
            target=self.name,
            up=up,
            data=data,
            generation=self._generation,
            refreshed_at=self._wall_now,
            info=self._info,
            supported_features=self._features,
            parts=frozen_map(statuses),
            part_generations=frozen_map(generations),
            token_expiry=token_expiry(self._link.envoy),
            auth_failed=self._link.auth_failed,
            last_success=self._last_success,
            intervals=frozen_map(intervals),
            latencies=frozen_map(latencies),
            requests=frozen_map(requests),
            request_seconds=frozen_map(seconds),
            busy_ratio=busy_ratio(intervals, latencies),
            busy_budget_exceeded=self.schedule.budget_exceeded(),
            counter_decreases=self._book.decreases,
            enlighten_failures=frozen_map(self._link.enlighten_failures),
            grid_energy_wh=grid,
            poor_data_quality=poor,
            properties=frozen_map(self._properties),
            interface=self._interface,
            error=error,
        )


def _describe(err: EnvoyError) -> str:
    # The same words for the same failure at every refresh: the log says it once.
    return f"{type(err).__name__}: {err}"
