"""One gateway as the exporter sees it: connect once, then refresh what is due, at most once per
cache TTL however many scrapers ask (single flight), and hand out immutable Snapshots."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache

from ..envoy.const import (
    ENLIGHTEN_LOGIN_URL,
    ENLIGHTEN_TOKEN_URL,
    URL_PRODUCTION_INVERTERS,
    SupportedFeatures,
)
from ..envoy.deadline import within
from ..envoy.envoy import Envoy
from ..envoy.exceptions import EnvoyAuthenticationError, EnvoyAuthenticationRequired, EnvoyError
from ..envoy.http import RequestRecord
from ..envoy.models.envoy import EnvoyData
from .book import STALE_INTERVALS, PartBook
from .config import TargetConfig
from .parts import describe, poor_quality, token_expiry
from .runner import PartResult, run_updaters
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

# The gateway or Enlighten refused the credentials, the token expired, or none could be had.
AUTH_ERRORS = (EnvoyAuthenticationError, EnvoyAuthenticationRequired)
REFUSED = ("401", "403")
_LOGGER = logging.getLogger(__name__)

#: /info is read again this often (and after every unreadable refresh) to notice a new firmware
INFO_CHECK_INTERVAL = 3600.0
# A full probe reads the slow endpoints (production.json 2-5 s, /home ~6 s): hourly /info checks
# catch firmware changes and a 404 catches a vanished endpoint, so the periodic probe, for
# devices an installer adds, is daily.
REPROBE_INTERVAL = 86400.0
#: a token this close to its expiry is replaced from Enlighten (when credentials are known)
TOKEN_REFRESH_MARGIN = 3600.0
TOKEN_RETRY_DELAY = 300.0
#: tries per request: the exporter reads again at the next refresh anyway, and a scrape
#: should not hang for the client's default 50 s of retries
REQUEST_ATTEMPTS = 2
#: probes in a row when probe requests get lost
PROBE_ATTEMPTS = 3


class Target:
    """Owns one Envoy client. No network at construction; snapshot() never raises."""

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
        self._envoy: Envoy | None = None
        self._book = PartBook(self.schedule, config.cache_ttl)
        self._info: GatewayInfo | None = None
        self._features: tuple[str, ...] = ()
        self._properties: dict[str, float] = {}
        self._interface: object = None
        self._generation = 0
        self._last_success: float | None = None
        self._next_info_check = 0.0
        self._next_probe = 0.0
        self._up = False
        self._seen_updaters: set[str] = set()
        self._check_info = False
        self._reprobe = False
        self._token_retry_at = 0.0
        #: the configured token last authenticated with (a token file's content changes)
        self._given_token: str | None = None
        self._closed = False
        self._failing: set[str] = set()
        #: whether the credentials failed (see Snapshot.auth_failed); None when unknown
        self._auth_failed: bool | None = None
        self._probe_refused = False

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
            self._drop_envoy()
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
            envoy = self._ready(now)
        except EnvoyError as err:
            # Unreachable before any login: nothing is known of the credentials, and the
            # gateway-down alert, not the authentication one, should speak.
            self._auth_failed = True if isinstance(err, AUTH_ERRORS) else None
            return self._down(now, f"{type(err).__name__}: {err}")
        results = run_updaters(envoy.updaters, self._store, self._due_parts(envoy))
        if not results:
            # Every part is still within its interval: nothing to ask, nothing changed.
            return self._build(now, up=self._up, error=None)
        error = None
        refused = False
        if any(r.auth_failed for r in results):
            results, error = self._reauthenticate(envoy, results)
            # Refused again after a fresh login: the credentials, not a passing session.
            refused = error is not None or any(r.auth_failed for r in results)
        if any(r.not_found for r in results):
            self._reprobe = True  # an endpoint vanished: the gateway may have changed
        self._book.apply(results, now, self._wall_now)
        up = self._readable(envoy, results)
        if refused or up:
            self._auth_failed = refused or self._probe_refused
        if up:
            self._last_success = self._wall_now
            self._report_parts(results)
        else:
            self._check_info = True
            error = error or next((r.error for r in results if r.error), "nothing could be read")
            # The parts the schedule did not run were not read either: they run again next time.
            ran = frozenset(r.name for r in results)
            self._book.fail_all("skipped: gateway unreadable", besides=ran)
        return self._build(now, up=up, error=error)

    def _due_parts(self, envoy: Envoy) -> Callable[[str], bool]:
        """The parts worth running: one of their endpoints is due, or they have no good data.

        A part whose answers all come from the store would only parse the same JSON into the
        same models again: on a battery site that is most of a refresh's CPU.
        """
        due = {
            u.name
            for u in envoy.updaters
            if not u.endpoints or self._book.needs(u.name) or self._store.any_due(u.endpoints)
        }
        return due.__contains__

    def _readable(self, envoy: Envoy, results: list[PartResult]) -> bool:
        """Whether the gateway could be read at this refresh.

        Parts served from the schedule's store prove nothing about the gateway now: when every
        request of this refresh failed, /info (no authentication, cheap) decides between one
        broken endpoint and a broken gateway. A lost connection or refused credentials make the
        refresh unreadable.
        """
        answered, asked = self._stats.refresh_counts()
        if answered > 0:
            return True
        ran = {r.name for r in results}
        if not any(r.ok for r in results) and not self._book.any_good(besides=ran):
            return False
        if any(r.unreachable or r.auth_failed for r in results):
            return False
        if asked == 0:
            return True
        before = (str(envoy.firmware), envoy.serial_number)
        try:
            envoy.setup()
        except EnvoyError:
            return False
        if (str(envoy.firmware), envoy.serial_number) != before:
            self._check_info = True  # a new firmware: start over at the next refresh
        return self._stats.refresh_counts()[0] > 0

    def _report_parts(self, results: list[PartResult]) -> None:
        """One log line when a part starts failing on a readable gateway, one when it is back."""
        for result in results:
            if not result.ok and result.name not in self._failing:
                self._failing.add(result.name)
                _LOGGER.warning(
                    "target %s: part %s could not be read: %s", self.name, result.name, result.error
                )
            elif result.ok and result.name in self._failing:
                self._failing.discard(result.name)
                _LOGGER.info("target %s: part %s read again", self.name, result.name)

    def _reauthenticate(
        self, envoy: Envoy, results: list[PartResult]
    ) -> tuple[list[PartResult], str | None]:
        """Authenticate once more (a new token when credentials are known), rerun the refused."""
        refused = {r.name for r in results if r.auth_failed}
        try:
            self._authenticate(envoy, fresh=True)
        except EnvoyError as err:
            return results, f"authentication failed: {type(err).__name__}: {err}"
        again = {r.name: r for r in run_updaters(envoy.updaters, self._store, refused.__contains__)}
        return [again.get(r.name, r) for r in results], None

    def _down(self, now: float, error: str) -> Snapshot:
        self._check_info = True
        self._book.fail_all(error)
        return self._build(now, up=False, error=error)

    # -- connection -----------------------------------------------------------------------

    def _ready(self, now: float) -> Envoy:
        if self._envoy is None:
            self._envoy = self._connect(now)
            return self._envoy
        envoy = self._envoy
        if self._check_info or now >= self._next_info_check:
            envoy = self._recheck_info(envoy, now)
        elif self._reprobe:
            self._probe(envoy)
        if self.config.current_token() != self._given_token:
            _LOGGER.info("target %s: the token file changed, using its new token", self.name)
            self._authenticate(envoy, fresh=False)
        self._refresh_token(envoy, now)
        return envoy

    def _connect(self, now: float) -> Envoy:
        cfg = self.config
        envoy = Envoy(
            cfg.host,
            timeout=cfg.timeout,
            verify_ssl=cfg.verify_tls,
            enlighten_login_url=cfg.enlighten_login_url or ENLIGHTEN_LOGIN_URL,
            enlighten_token_url=cfg.enlighten_token_url or ENLIGHTEN_TOKEN_URL,
        )
        envoy.set_retry_policy(max_attempts=REQUEST_ATTEMPTS, max_delay=cfg.timeout)
        envoy.add_request_listener(self._on_request)
        envoy.response_store = self._store
        self._store.clear()
        try:
            envoy.setup()
            self._authenticate(envoy, fresh=False)
            self._probe(envoy)
        except BaseException:
            envoy.close()
            raise
        self._check_info = False
        self._next_info_check = now + INFO_CHECK_INTERVAL
        return envoy

    def _authenticate(self, envoy: Envoy, *, fresh: bool) -> None:
        cfg = self.config
        given = cfg.current_token()
        token = None if fresh and cfg.username and cfg.password else given
        envoy.authenticate(cfg.username, cfg.password, token)
        self._given_token = given

    def _probe(self, envoy: Envoy) -> None:
        refused_before = self._stats.count(URL_PRODUCTION_INVERTERS, REFUSED)
        # A probe request lost on the way (the probe does not retry) would hide a feature
        # until the next probe: probe again at once, a few times at most.
        for _ in range(PROBE_ATTEMPTS):
            errors_before = self._stats.transport_errors
            envoy.probe()
            if self._stats.transport_errors == errors_before:
                break
        self._reprobe = False
        updaters = envoy.updaters
        names = {u.name for u in updaters}
        # Every account may read the inverters (an owner token, the `envoy` digest user): a
        # refusal there is the credentials', not a missing feature. The probe only drops the
        # part (firmware < 7 serves production without a login, so the gateway stays up).
        refused = self._stats.count(URL_PRODUCTION_INVERTERS, REFUSED) > refused_before
        self._probe_refused = refused and not any(
            URL_PRODUCTION_INVERTERS in u.endpoints for u in updaters
        )
        if self._probe_refused:
            _LOGGER.warning(
                "target %s: the gateway refuses the credentials for %s",
                self.name,
                URL_PRODUCTION_INVERTERS,
            )
        # A part lost since an earlier probe (an endpoint answering 404 while the gateway
        # boots) is looked for again at the next hourly /info check; otherwise daily.
        missing = bool(self._seen_updaters - names)
        self._seen_updaters |= names
        self._next_probe = self._clock() + (INFO_CHECK_INTERVAL if missing else REPROBE_INTERVAL)
        self._book.set_updaters({u.name: tuple(u.endpoints) for u in updaters})
        self.schedule.track(e for u in updaters for e in u.endpoints)
        features = envoy.supported_features
        self.schedule.set_ct_power(bool(features & SupportedFeatures.CTMETERS))
        self._features = tuple(f.name for f in SupportedFeatures if f in features and f.name)
        self._info, self._properties = describe(envoy, self.config.serial)
        self._interface = envoy.interface_settings()

    def _recheck_info(self, envoy: Envoy, now: float) -> Envoy:
        """Read /info again; a new firmware or serial means a new gateway: start over."""
        before = (str(envoy.firmware), envoy.serial_number)
        envoy.setup()
        self._check_info = False
        self._next_info_check = now + INFO_CHECK_INTERVAL
        if (str(envoy.firmware), envoy.serial_number) == before:
            if now >= self._next_probe:
                self._probe(envoy)
            return envoy
        _LOGGER.info(
            "target %s: gateway changed (%s -> %s), probing again",
            self.name,
            before,
            (str(envoy.firmware), envoy.serial_number),
        )
        self._drop_envoy()
        self._store.clear()
        self._envoy = self._connect(now)
        return self._envoy

    def _refresh_token(self, envoy: Envoy, now: float) -> None:
        expiry = token_expiry(envoy)
        cfg = self.config
        remaining = None if expiry is None else expiry - self._wall_now
        if remaining is None or remaining > TOKEN_REFRESH_MARGIN or now < self._token_retry_at:
            return
        if not (cfg.username and cfg.password):
            return  # nothing to renew it with: the expiry metric tells the user
        try:
            envoy.authenticate(cfg.username, cfg.password, None)
            _LOGGER.info("target %s: token renewed from Enlighten", self.name)
        except EnvoyError as err:
            _LOGGER.warning("target %s: token renewal failed: %s", self.name, err)
            self._token_retry_at = now + TOKEN_RETRY_DELAY

    def _drop_envoy(self) -> None:
        if self._envoy is not None:
            self._envoy.close()
            self._envoy = None

    def _on_request(self, record: RequestRecord) -> None:
        self._stats.record(record)
        if record.status_code is not None:
            self.schedule.observe(record.endpoint, record.seconds)

    # -- snapshot ---------------------------------------------------------------------------

    def _build(self, now: float, *, up: bool, error: str | None) -> Snapshot:
        self._generation += 1
        self._up = up
        statuses = self._book.statuses(now)
        data = self._book.data(statuses) if up else None
        poor = data is not None and poor_quality(data, self._info)
        if data is not None and poor:
            data.system_production = None  # zeros at boot would wreck the lifetime counters
        if data is not None:
            self._book.count_decreases(data)
        generations = self._book.generations(statuses) if data is not None else {}
        return self._snapshot(up, data, statuses, generations, poor, error)

    def _snapshot(
        self,
        up: bool,
        data: EnvoyData | None,
        statuses: dict[str, PartStatus],
        generations: dict[str, int],
        poor: bool,
        error: str | None,
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
            token_expiry=token_expiry(self._envoy),
            auth_failed=self._auth_failed,
            last_success=self._last_success,
            intervals=frozen_map(intervals),
            latencies=frozen_map(latencies),
            requests=frozen_map(requests),
            request_seconds=frozen_map(seconds),
            busy_ratio=busy_ratio(intervals, latencies),
            busy_budget_exceeded=self.schedule.budget_exceeded(),
            counter_decreases=self._book.decreases,
            poor_data_quality=poor,
            properties=frozen_map(self._properties),
            interface=self._interface,
            error=error,
        )
