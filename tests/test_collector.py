"""Target: cache and single flight, per-endpoint schedule, busy-time budget, failing parts,
a gateway that goes away and comes back, re-authentication, firmware change. Real sockets
against the simulator; time is a fake clock the tests advance."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from envoy_exporter.collector.book import PartBook
from envoy_exporter.collector.parts import COUNTED, lifetime_values
from envoy_exporter.collector.schedule import Schedule, busy_ratio
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy.const import URL_METERS, URL_METERS_READINGS, URL_PRODUCTION_INVERTERS
from envoy_exporter.envoy.models.counters import LIFETIME
from envoy_exporter.envoy.models.envoy import EnvoyData
from envoy_exporter.envoy.models.inverter import EnvoyInverter
from envoy_exporter.envoy.models.system_production import EnvoySystemProduction
from envoy_exporter.simulator.server import Request, SimulatedEnvoy
from envoy_exporter.simulator.source import Answer

READINGS = URL_METERS_READINGS
INVERTERS = URL_PRODUCTION_INVERTERS


class FakeClock:
    """Wall-clock seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class PathFault:
    """Answers `status` to every request whose path starts with `prefix` while enabled."""

    def __init__(self, prefix: str, status: int = 500, times: int | None = None) -> None:
        self.prefix = prefix
        self.status = status
        self.enabled = False
        self.times = times

    def apply(self, request: Request, answer: Callable[[], Answer]) -> Answer:
        if self.enabled and request.path.startswith(self.prefix):
            if self.times is not None:
                self.times -= 1
                self.enabled = self.times > 0
            return Answer(self.status, b'{"error": "injected"}')
        return answer()


def config(sim: SimulatedEnvoy, **kw: Any) -> TargetConfig:
    if sim.legacy:
        creds: dict[str, Any] = {"username": "envoy", "password": sim.local_users["envoy"]}
    else:
        creds = {"token": sim.token}
    return TargetConfig(name="home", host=sim.host, **{**creds, **kw})


def gets(sim: SimulatedEnvoy) -> Counter[str]:
    return Counter(r.path for r in sim.request_log if r.method == "GET")


def assert_no_writes(sim: SimulatedEnvoy) -> None:
    writes = [r for r in sim.request_log if r.method not in ("GET", "HEAD")]
    assert writes == []


def test_config_rejects_bad_values_and_hides_secrets() -> None:
    with pytest.raises(ValueError, match="cache_ttl"):
        TargetConfig(name="a", host="h", cache_ttl=0)
    with pytest.raises(ValueError, match="busy_budget"):
        TargetConfig(name="a", host="h", busy_budget=1.5)
    with pytest.raises(ValueError, match="host"):
        TargetConfig(name="a", host="")
    text = repr(
        TargetConfig(name="a", host="h", token="tok-SECRET", username="u", password="pw-SECRET")
    )
    assert "SECRET" not in text


def test_no_network_at_construction(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    target = Target(config(sim))
    assert sim.request_log == []
    target.close()
    assert sim.request_log == []


def test_concurrent_snapshots_share_one_refresh(simulator: Any) -> None:
    # The gateway takes a little while per answer, so the callers overlap the refresh.
    sim = simulator("metered-3phase", latency=lambda path: 0.05)
    clock = FakeClock()
    target = Target(config(sim), clock=clock)
    barrier = threading.Barrier(8)
    snaps: list[Any] = []

    def scrape() -> None:
        barrier.wait()
        snaps.append(target.snapshot())

    threads = [threading.Thread(target=scrape) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(snaps) == 8
    assert {s.generation for s in snaps} == {1}
    assert all(s is snaps[0] for s in snaps)
    readings = gets(sim)[READINGS]
    assert readings == 1
    assert target.snapshot() is snaps[0]
    assert gets(sim)[READINGS] == readings
    target.close()


def test_ttl_cache_refreshes_once_per_ttl(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    clock = FakeClock()
    target = Target(config(sim, cache_ttl=15.0), clock=clock)
    first = target.snapshot()
    before = len(sim.request_log)
    clock.advance(10)
    assert target.snapshot() is first
    assert len(sim.request_log) == before
    clock.advance(6)
    second = target.snapshot()
    assert second.generation == first.generation + 1
    assert gets(sim)[READINGS] == 2
    target.close()


def test_first_refresh_uses_the_probe_answers(simulator: Any) -> None:
    sim = simulator("battery", sleep=False)
    target = Target(config(sim), clock=FakeClock())
    assert target.snapshot().up
    # The probe's answers are as fresh as the first read's would be: asked once, not twice.
    asked_twice = {path: n for path, n in gets(sim).items() if n > 1}
    assert asked_twice == {}
    assert gets(sim)[URL_METERS] == 1
    target.close()


def test_schedule_over_one_hour(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    clock = FakeClock()
    target = Target(config(sim, cache_ttl=15.0), clock=clock)
    target.snapshot()
    sim.clear_request_log()
    for _ in range(240):  # one hour of 15 s scrapes
        clock.advance(15)
        snap = target.snapshot()
        assert snap.up
    counts = gets(sim)
    assert counts[READINGS] == 240
    assert 11 <= counts[INVERTERS] <= 13
    # CT readings give power, so the slow production.json is read every 15 minutes.
    production_json = sum(n for p, n in counts.items() if p.startswith("/production.json"))
    assert 3 <= production_json <= 5
    # No hourly re-probe: it would read /home and the slow endpoints again.
    assert counts.get("/home", 0) == 0
    # CT status (statusFlags, meteringStatus) is status an alert watches: every 4 minutes.
    assert 14 <= counts[URL_METERS] <= 16
    intervals = snap.intervals
    assert intervals[READINGS] == 15.0
    assert intervals[INVERTERS] == 300.0
    assert intervals[URL_METERS] == 240.0
    assert snap.parts["meters"].age_seconds == 0.0
    assert_no_writes(sim)
    target.close()


def test_budget_stretches_the_least_urgent_endpoint_first() -> None:
    schedule = Schedule(cache_ttl=15.0, busy_budget=0.05)
    schedule.track([READINGS, INVERTERS, URL_METERS])
    schedule.observe(READINGS, 0.5)
    schedule.observe(INVERTERS, 6.0)
    schedule.observe(URL_METERS, 0.5)
    intervals = schedule.intervals()
    assert intervals[READINGS] == 15.0  # power: never stretched
    assert intervals[URL_METERS] == 240.0  # status: never stretched, unlike a report
    assert intervals[INVERTERS] > 300.0
    assert busy_ratio(intervals, schedule.latencies()) <= 0.05
    assert not schedule.budget_exceeded()


def test_budget_leaves_a_fast_gateway_alone() -> None:
    schedule = Schedule(cache_ttl=15.0, busy_budget=0.05)
    schedule.track(["/production.json?details=1", READINGS])
    schedule.observe("/production.json?details=1", 0.1)
    schedule.observe(READINGS, 0.05)
    assert schedule.intervals() == {"/production.json?details=1": 15.0, READINGS: 15.0}


def test_the_table_follows_latencies_observed_after_it_was_built() -> None:
    schedule = Schedule(cache_ttl=15.0, busy_budget=0.005)
    schedule.track([INVERTERS, READINGS])
    schedule.observe(INVERTERS, 0.1)
    assert schedule.interval(INVERTERS) == 300.0  # the table is built
    for _ in range(20):  # the gateway slows down: the running estimate nears 4 s
        schedule.observe(INVERTERS, 4.0)
    assert schedule.interval(INVERTERS) >= 3.5 / 0.005
    assert schedule.interval(READINGS) == 15.0
    for _ in range(40):  # and recovers
        schedule.observe(INVERTERS, 0.1)
    assert schedule.interval(INVERTERS) == 300.0


def test_ct_power_reads_production_json_rarely() -> None:
    schedule = Schedule(cache_ttl=15.0, busy_budget=0.05)
    assert schedule.base_interval("/production.json?details=1") == 15.0
    schedule.set_ct_power(True)
    assert schedule.base_interval("/production.json?details=1") == 900.0


def test_battery_power_every_refresh_charge_every_minute() -> None:
    schedule = Schedule(cache_ttl=15.0, busy_budget=0.05)
    assert schedule.base_interval("/ivp/ensemble/power") == 15.0
    assert schedule.base_interval("/ivp/ensemble/secctrl") == 60.0
    assert Schedule(cache_ttl=120.0, busy_budget=0.05).base_interval("/ivp/ensemble/secctrl") == 120


def test_failing_endpoint_drops_only_its_part(simulator: Any) -> None:
    fault = PathFault(INVERTERS)
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    clock = FakeClock()
    target = Target(config(sim), clock=clock)
    assert target.snapshot().data.inverters  # type: ignore[union-attr]
    fault.enabled = True
    clock.advance(301)
    snap = target.snapshot()
    assert snap.up
    assert not snap.parts["inverters"].ok
    assert "500" in (snap.parts["inverters"].error or "")
    assert snap.data is not None and snap.data.inverters  # still within 3 intervals
    for _ in range(45):
        clock.advance(15)
        snap = target.snapshot()
    assert snap.parts["inverters"].stale
    assert (snap.parts["inverters"].age_seconds or 0) > 900
    assert snap.data is not None
    assert snap.data.inverters == {}
    assert snap.data.ctmeter_production is not None
    assert snap.parts["meters"].ok
    fault.enabled = False
    clock.advance(15)
    snap = target.snapshot()
    assert snap.parts["inverters"].ok and snap.data and snap.data.inverters
    target.close()


def test_gateway_away_and_back(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    clock = FakeClock()
    target = Target(config(sim), clock=clock)
    assert target.snapshot().up
    port = sim.port
    sim.stop()
    clock.advance(16)
    down = target.snapshot()
    assert not down.up
    assert down.data is None
    assert down.error
    sim.listen_port = port
    sim.start()
    clock.advance(16)
    back = target.snapshot()
    assert back.up
    assert back.data is not None and back.data.ctmeter_production is not None
    assert_no_writes(sim)
    target.close()


def test_gateway_unreachable_at_start_then_found(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    port = sim.port
    cfg = config(sim)
    sim.stop()
    clock = FakeClock()
    target = Target(cfg, clock=clock)
    snap = target.snapshot()
    assert not snap.up and snap.info is None
    sim.listen_port = port
    sim.start()
    clock.advance(16)
    snap = target.snapshot()
    assert snap.up and snap.info is not None and snap.info.serial == sim.serial
    target.close()


def test_refused_token_is_renewed_from_enlighten(simulator: Any) -> None:
    fault = PathFault(READINGS, status=401, times=2)
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    clock = FakeClock()
    cfg = config(
        sim,
        username=sim.cloud_username,
        password=sim.cloud_password,
        enlighten_login_url=sim.enlighten_login_url,
        enlighten_token_url=sim.enlighten_token_url,
    )
    target = Target(cfg, clock=clock)
    assert target.snapshot().up
    fault.enabled = True
    clock.advance(16)
    snap = target.snapshot()
    assert snap.up
    assert snap.parts["meters"].ok, snap.parts["meters"].error
    assert snap.token_expiry is not None and snap.token_expiry > clock.now
    target.close()


def test_firmware_change_is_noticed_without_restart(simulator: Any) -> None:
    class NewFirmware:
        enabled = False

        def apply(self, request: Request, answer: Callable[[], Answer]) -> Answer:
            result = answer()
            if self.enabled and request.path == "/info":
                body = result.body.replace(b"D7.6.175", b"D7.6.185")
                return replace(result, body=body)
            return result

    fault = NewFirmware()
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    clock = FakeClock()
    target = Target(config(sim), clock=clock)
    first = target.snapshot()
    assert first.info is not None and first.info.firmware == "7.6.175"
    fault.enabled = True
    clock.advance(3601)
    snap = target.snapshot()
    assert snap.up
    assert snap.info is not None and snap.info.firmware == "7.6.185"
    target.close()


def test_token_expiry_is_reported(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    target = Target(config(sim), clock=FakeClock())
    snap = target.snapshot()
    assert snap.token_expiry is not None
    assert snap.token_expiry > time.time() + 300 * 86400  # the simulator's owner token: 1 year
    target.close()


def test_lifetime_values_name_each_counter_where_it_sits() -> None:
    production = EnvoySystemProduction(100, 10, 1, 5)
    inverters = {"1": EnvoyInverter("1", 0, 1, 1, lifetime_energy=500), "2": None}
    assert dict(lifetime_values(production)) == {(None, "watt_hours_lifetime"): 100}
    assert dict(lifetime_values(inverters)) == {("1", "lifetime_energy"): 500}
    assert dict(lifetime_values(None)) == {}


def test_lifetime_counters_come_from_the_models() -> None:
    # A model marks its counters; the collector needs no table of them.
    @dataclass
    class Meter:
        total: int = field(metadata=LIFETIME)
        now: int = 0

    assert dict(lifetime_values({"a": Meter(5, 1)})) == {("a", "total"): 5}
    assert "inverters" in COUNTED and "ctmeter_storage_phases" in COUNTED
    assert "system_net_consumption" not in COUNTED  # its total falls while exporting
    assert "raw" not in COUNTED


def test_counter_decreases_are_counted() -> None:
    book = PartBook(Schedule(15.0, 0.5), 15.0)
    assert (
        book.count_decreases(EnvoyData(system_production=EnvoySystemProduction(100, 1, 1, 5))) == 0
    )
    assert (
        book.count_decreases(EnvoyData(system_production=EnvoySystemProduction(90, 1, 1, 5))) == 1
    )
    assert (
        book.count_decreases(EnvoyData(system_production=EnvoySystemProduction(95, 1, 1, 5))) == 1
    )


def test_book_counts_each_decrease_once_and_skips_unchanged_objects() -> None:
    book = PartBook(Schedule(15.0, 0.5), 15.0)
    inverters = {"1": EnvoyInverter("1", 0, 1, 1, lifetime_energy=500)}
    production = EnvoySystemProduction(100, 10, 1, 5)
    assert book.count_decreases(EnvoyData(system_production=production, inverters=inverters)) == 0
    lower = EnvoySystemProduction(90, 10, 1, 4)
    assert book.count_decreases(EnvoyData(system_production=lower, inverters=inverters)) == 1
    # the same objects again: nothing new went backwards
    assert book.count_decreases(EnvoyData(system_production=lower, inverters=inverters)) == 1
    fewer = {"1": EnvoyInverter("1", 0, 1, 1, lifetime_energy=400)}
    assert book.count_decreases(EnvoyData(system_production=lower, inverters=fewer)) == 2


def test_token_close_to_expiry_is_renewed_from_enlighten(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    clock = FakeClock()
    cfg = config(
        sim,
        token=sim.make_token(expires_in=600.0),
        username=sim.cloud_username,
        password=sim.cloud_password,
        enlighten_login_url=sim.enlighten_login_url,
        enlighten_token_url=sim.enlighten_token_url,
    )
    target = Target(cfg, clock=clock)
    first = target.snapshot()
    assert first.token_expiry is not None and first.token_expiry < time.time() + 3600
    clock.advance(16)
    renewed = target.snapshot()
    assert renewed.up
    assert renewed.token_expiry is not None and renewed.token_expiry > first.token_expiry + 3600
    target.close()


def test_token_close_to_expiry_without_credentials_is_reported(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    clock = FakeClock()
    target = Target(config(sim, token=sim.make_token(expires_in=600.0)), clock=clock)
    target.snapshot()
    clock.advance(16)
    snap = target.snapshot()
    assert snap.up
    assert snap.token_expiry is not None and snap.token_expiry < time.time() + 3600
    target.close()


def test_slow_endpoint_is_stretched_by_the_budget(simulator: Any) -> None:
    # production.json answers slowly; at a 0.1 % budget it is read less often than its
    # 900 s base (CTs give power), while power keeps its interval.
    def latency(path: str) -> float:
        # 1 s: far enough past what the budget allows that the stretch stays beyond the
        # 900 s base however much a busy machine adds to the measured latency
        return 1.0 if path.startswith("/production.json") else 0.0

    sim = simulator("metered-3phase", latency=latency)
    clock = FakeClock()
    target = Target(config(sim, busy_budget=0.001), clock=clock)
    snap = target.snapshot()
    assert snap.up
    assert snap.intervals["/production.json?details=1"] > 300.0
    assert snap.latencies["/production.json?details=1"] >= 1.0
    before = gets(sim)["/production.json?details=1"]
    # A little over an hour: 4 reads at the 900 s base interval, and at least one even when a
    # busy machine doubles the measured latency and stretches it to the longest interval.
    for _ in range(250):
        clock.advance(15)
        snap = target.snapshot()
    reads = gets(sim)["/production.json?details=1"] - before
    # The interval moves with the measured latencies, but never down to the 900 s base.
    assert 1 <= reads < 4
    assert snap.intervals[READINGS] == 15.0
    # the slowest endpoint is stretched first, and at least as far as any other
    assert snap.intervals["/production.json?details=1"] >= snap.intervals[READINGS]
    target.close()


def test_vanished_endpoint_triggers_a_new_probe(simulator: Any) -> None:
    fault = PathFault(INVERTERS, status=404)
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    clock = FakeClock()
    target = Target(config(sim), clock=clock)
    assert "inverters" in target.snapshot().parts
    fault.enabled = True
    clock.advance(301)
    assert not target.snapshot().parts["inverters"].ok
    clock.advance(15)
    snap = target.snapshot()  # probed again: the inverters updater is gone
    assert snap.up
    assert "inverters" not in snap.parts
    assert snap.data is not None and snap.data.inverters == {}
    fault.enabled = False
    clock.advance(3600)  # the hourly /info check probes again and finds them back
    snap = target.snapshot()
    assert snap.parts["inverters"].ok
    assert snap.data is not None and snap.data.inverters
    target.close()


def test_budget_smaller_than_the_fast_endpoints_alone() -> None:
    # Power alone exceeds the budget: the rest stretches to its ceiling, power stays fresh.
    schedule = Schedule(cache_ttl=15.0, busy_budget=0.001)
    schedule.set_ct_power(True)
    schedule.track(["/production.json?details=1", READINGS])
    schedule.observe("/production.json?details=1", 5.0)
    schedule.observe(READINGS, 1.0)
    intervals = schedule.intervals()
    assert intervals["/production.json?details=1"] == 3600.0
    assert intervals[READINGS] == 15.0
    assert schedule.budget_exceeded()


def test_only_due_endpoint_failing_keeps_the_gateway_up(simulator: Any) -> None:
    # At 15 s only the CT readings are due; their 503 must not hide the other, fresh parts.
    fault = PathFault(READINGS, status=503)
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    clock = FakeClock()
    target = Target(config(sim), clock=clock)
    assert target.snapshot().up
    fault.enabled = True
    clock.advance(16)
    snap = target.snapshot()
    assert snap.up
    assert not snap.parts["meters"].ok
    assert snap.parts["inverters"].ok
    assert snap.data is not None and snap.data.inverters
    port = sim.port
    sim.stop()  # and when the whole gateway is gone, nothing is served as fresh
    clock.advance(16)
    down = target.snapshot()
    assert not down.up and down.data is None
    sim.listen_port = port
    sim.start()
    target.close()


def test_parts_with_nothing_due_are_not_parsed_again(
    simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part whose answers all come from the store would only rebuild the same models: the
    inverters part runs when its endpoint is due (every 5 min), not at every 15 s refresh."""
    from envoy_exporter.envoy.updaters.api_v1_production_inverters import (
        EnvoyApiV1ProductionInvertersUpdater as Inverters,
    )
    from envoy_exporter.envoy.updaters.meters import EnvoyMetersUpdater as Meters

    runs: Counter[str] = Counter()
    for kind in (Inverters, Meters):
        original = kind.update

        def counted(self: Any, data: EnvoyData, _original: Any = original) -> None:
            runs[type(self).__name__] += 1
            _original(self, data)

        monkeypatch.setattr(kind, "update", counted)
    sim = simulator("metered-3phase", sleep=False)
    clock = FakeClock()
    target = Target(config(sim, cache_ttl=15.0), clock=clock)
    first = target.snapshot()
    runs.clear()
    for _ in range(40):  # ten minutes of 15 s scrapes
        clock.advance(15)
        snap = target.snapshot()
        assert snap.up and snap.data is not None and snap.data.inverters
    assert runs["EnvoyMetersUpdater"] == 40
    assert 2 <= runs["EnvoyApiV1ProductionInvertersUpdater"] <= 3
    # the parts not run keep their values and report their true age
    assert set(snap.data.inverters) == set(first.data.inverters)  # type: ignore[union-attr]
    assert (snap.parts["inverters"].age_seconds or 0) < 300 + 15
    target.close()


class Absent:
    """Answers 404 on the paths in `paths` (changed by the test as it goes)."""

    def __init__(self, *paths: str) -> None:
        self.paths = set(paths)

    def apply(self, request: Request, answer: Callable[[], Answer]) -> Answer:
        if request.path in self.paths:
            return Answer(404, b'{"error": "not found"}')
        return answer()


def test_a_part_runs_when_what_it_reads_is_due_not_what_it_declares(
    simulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limits part declares /ivp/ss/dpel, which firmware before 8 does not answer: it runs
    when the limits it reads are due (hourly), not at every refresh; after a new probe every
    part runs once, so a limit the probe found anew shows at once."""
    from envoy_exporter.envoy.const import URL_DPEL
    from envoy_exporter.envoy.updaters.limits import EnvoyLimitsUpdater as Limits

    runs: list[float] = []
    original = Limits.update

    def counted(self: Any, data: EnvoyData) -> None:
        runs.append(clock.now)
        original(self, data)

    monkeypatch.setattr(Limits, "update", counted)
    fault = Absent(URL_DPEL)
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    clock = FakeClock()
    target = Target(config(sim, cache_ttl=15.0), clock=clock)
    snap = target.snapshot()
    assert snap.data is not None and snap.data.production_limit is not None
    assert snap.data.dynamic_limit is None
    runs.clear()
    for _ in range(20):  # five minutes of 15 s scrapes
        clock.advance(15)
        assert target.snapshot().parts["limits"].ok
    assert runs == []
    fault.paths = {READINGS}  # /ivp/ss/dpel answers now; a 404 elsewhere probes again
    clock.advance(15)
    assert not target.snapshot().parts["meters"].ok
    fault.paths = set()
    clock.advance(15)
    snap = target.snapshot()
    assert len(runs) == 1
    assert snap.data is not None and snap.data.dynamic_limit is not None
    target.close()


def test_authentication_state_follows_the_last_login(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    good = Target(config(sim), clock=FakeClock())
    assert good.snapshot().auth_failed is False
    good.close()
    expired = Target(config(sim, token=sim.make_token(expires_in=-60.0)), clock=FakeClock())
    snap = expired.snapshot()
    assert not snap.up and snap.auth_failed is True
    expired.close()
    # A legacy gateway refusing the digest password: production needs no login there and is
    # read; the inverters, behind digest, are refused.
    legacy = simulator("legacy", sleep=False)
    wrong = Target(config(legacy, password="not-the-password"), clock=FakeClock())
    snap = wrong.snapshot()
    assert snap.up and snap.auth_failed is True
    assert "inverters" not in snap.parts
    wrong.close()
    right = Target(config(legacy), clock=FakeClock())
    assert right.snapshot().auth_failed is False
    right.close()
    # Unreachable before any login: nothing is known about the credentials.
    legacy = simulator("legacy", sleep=False)
    cfg = config(legacy)
    legacy.stop()
    gone = Target(cfg, clock=FakeClock())
    assert gone.snapshot().auth_failed is None
    gone.close()


def test_a_gateway_gone_after_a_refused_login_is_down_not_refused(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    clock = FakeClock()
    target = Target(config(sim, token=sim.make_token(expires_in=-60.0)), clock=clock)
    assert target.snapshot().auth_failed is True
    sim.stop()
    clock.advance(60)
    assert target.snapshot().auth_failed is None
    target.close()
