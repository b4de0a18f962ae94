"""Endpoint declarations and the schedule that reads them: every endpoint has a kind, power stays
at cache_ttl whatever the busy budget, and a CT fault reaches /metrics within 5 minutes.

Real sockets against the simulator; time is a fake clock the tests advance."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter.cli.dump import known_endpoints
from envoy_exporter.collector.schedule import INTERVALS, Schedule, busy_ratio
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy.const import (
    URL_ENSEMBLE_INVENTORY,
    URL_ENSEMBLE_POWER,
    URL_METERS,
    URL_METERS_READINGS,
    Endpoint,
    EndpointKind,
)
from envoy_exporter.envoy.envoy import Envoy
from envoy_exporter.envoy.http import RequestRecord
from envoy_exporter.envoy.updaters import ENDPOINTS, UPDATERS
from envoy_exporter.outputs.prometheus import render
from envoy_exporter.simulator import faults as F
from envoy_exporter.simulator.server import SimulatedEnvoy

from .test_collector import FakeClock, config

#: the default --cache-ttl and --busy-budget
TTL, BUDGET = 15.0, 0.05
#: what real gateways' logs show for their fast endpoints
FAST = 0.3


def test_every_endpoint_of_every_updater_has_a_declared_kind() -> None:
    for updater in UPDATERS:
        assert updater.declared, f"{updater.__name__} declares no endpoint"
        for endpoint in updater.declared:
            assert isinstance(endpoint, Endpoint)
            assert endpoint.kind in EndpointKind
            assert ENDPOINTS[endpoint.path] == endpoint
        assert updater.endpoints == tuple(e.path for e in updater.declared)
    # every kind has its intervals, and the budget stretches every kind but power
    assert set(INTERVALS) == set(EndpointKind)


@pytest.mark.parametrize("profile", ["battery", "metered-3phase", "legacy"])
def test_the_client_reads_only_declared_endpoints(simulator: Any, profile: str) -> None:
    sim = simulator(profile, sleep=False)
    envoy = Envoy(sim.host)
    read: set[str] = set()

    def note(record: RequestRecord) -> None:
        read.add(record.endpoint)

    envoy.add_request_listener(note)
    try:
        envoy.setup()
        creds = config(sim)
        envoy.authenticate(creds.username, creds.password, creds.token)
        envoy.probe()
        envoy.update()
    finally:
        envoy.close()
    assert URL_METERS_READINGS in read or profile == "legacy"
    assert read - {"/auth/check_jwt"} <= set(ENDPOINTS)


def test_an_endpoint_without_a_kind_is_an_error() -> None:
    schedule = Schedule(TTL, BUDGET)
    with pytest.raises(ValueError, match="/ivp/new: no declared kind"):
        schedule.track([URL_METERS_READINGS, "/ivp/new"])
    with pytest.raises(ValueError, match="no declared kind"):
        schedule.interval("/ivp/new")


def test_dump_records_every_declared_endpoint() -> None:
    recorded = known_endpoints()
    assert recorded == list(ENDPOINTS)
    assert len(recorded) == len(set(recorded))
    assert {e for u in UPDATERS for e in u.endpoints} <= set(recorded)


def _battery_site() -> list[str]:
    """The endpoints a CT-metered battery site's updaters read."""
    names = {"meters", "production_json", "device_data_inverters", "ensemble", "tariff"}
    return [e for u in UPDATERS if u.name in names for e in u.endpoints]


@pytest.mark.parametrize("budget", [BUDGET, 0.01, 0.001])
def test_power_stays_at_cache_ttl_whatever_the_budget(budget: float) -> None:
    schedule = Schedule(TTL, budget)
    schedule.set_ct_power(True)
    schedule.track(_battery_site())
    for endpoint in _battery_site():
        schedule.observe(endpoint, FAST)
    intervals = schedule.intervals()
    power = {e for e in intervals if schedule.kind(e) is EndpointKind.POWER}
    assert power == {URL_METERS_READINGS, URL_ENSEMBLE_POWER}
    assert all(intervals[e] == TTL for e in power)
    # states are never stretched beyond 4 minutes, status is read every 4 minutes whatever the
    # budget: both reach /metrics within 5
    states = [e for e in intervals if schedule.kind(e) is EndpointKind.STATE]
    assert states and all(60.0 <= intervals[e] <= 240.0 for e in states)
    status = {e for e in intervals if schedule.kind(e) is EndpointKind.STATUS}
    assert status == {URL_METERS, URL_ENSEMBLE_INVENTORY}
    assert all(intervals[e] == 240.0 for e in status)
    within = busy_ratio(intervals, schedule.latencies()) <= budget
    assert schedule.budget_exceeded() is not within
    if budget == BUDGET:
        # at the default budget the rest makes room: power alone (0.04) fits in it
        assert within
        assert any(intervals[e] > schedule.base_interval(e) for e in intervals)


def test_power_alone_over_budget_is_logged_once_and_exported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    schedule = Schedule(TTL, 0.01, name="home")
    schedule.track([URL_METERS_READINGS, URL_ENSEMBLE_POWER, URL_METERS])
    with caplog.at_level(logging.INFO, logger="envoy_exporter.collector.schedule"):
        for _ in range(5):
            for endpoint in (URL_METERS_READINGS, URL_ENSEMBLE_POWER, URL_METERS):
                schedule.observe(endpoint, FAST)
                assert schedule.interval(URL_METERS_READINGS) == TTL
        assert schedule.budget_exceeded()
        assert schedule.interval(URL_METERS) == 240.0
        for _ in range(30):  # the gateway speeds up
            for endpoint in (URL_METERS_READINGS, URL_ENSEMBLE_POWER, URL_METERS):
                schedule.observe(endpoint, 0.01)
                schedule.interval(URL_METERS)
        assert not schedule.budget_exceeded()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "target home: power and state endpoints alone" in lines[0]
    assert "within the budget again" in lines[1]


def _metrics(target: Target) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(render(target).decode())
        for s in family.samples
    }


def test_power_stays_fresh_on_a_gateway_answering_in_0_3_s(simulator: Any) -> None:
    # Every endpoint answers in 0.3 s; at the default budget the CT readings and the battery
    # power are still read at every cache_ttl (they were stretched to 25 s before).
    sim = simulator("battery", latency=lambda path: FAST)
    clock = FakeClock()
    target = Target(config(sim, cache_ttl=TTL, busy_budget=BUDGET), clock=clock)
    target.snapshot()
    reads = []
    for _ in range(4):
        clock.advance(TTL)
        snap = target.snapshot()
        reads.append(sum(1 for r in sim.request_log if r.path == URL_METERS_READINGS))
    assert snap.latencies[URL_METERS_READINGS] >= FAST
    assert snap.intervals[URL_METERS_READINGS] == TTL
    assert snap.intervals[URL_ENSEMBLE_POWER] == TTL
    assert reads == [reads[0] + i for i in range(4)]  # one read per refresh
    metrics = _metrics(target)
    interval = metrics[
        ("enphase_exporter_refresh_interval_seconds", (("endpoint", URL_METERS_READINGS),))
    ]
    assert interval == TTL
    assert ("enphase_exporter_busy_budget_exceeded", ()) in metrics
    target.close()


def _ct_flag(target: Target) -> float:
    return _metrics(target).get(
        ("enphase_ct_status_flag", (("ct", "production"), ("flag", "production-imbalance"))),
        -1.0,
    )


def _seconds_until(target: Target, clock: FakeClock, expected: float) -> float:
    """Scrape every cache_ttl until the CT flag shows `expected`: the simulated seconds."""
    waited = 0.0
    while _ct_flag(target) != expected:
        assert waited < 3600, "never shown"
        clock.advance(TTL)
        waited += TTL
    return waited


@pytest.mark.parametrize("budget", [BUDGET, 0.0001])
def test_a_ct_flag_reaches_metrics_within_5_minutes(simulator: Any, budget: float) -> None:
    fault = F.CtStatus()
    fault.enabled = False
    sim: SimulatedEnvoy = simulator("metered-3phase", sleep=False, fault=fault)
    clock = FakeClock()
    target = Target(config(sim, cache_ttl=TTL, busy_budget=budget), clock=clock)
    assert _ct_flag(target) == 0.0
    for _ in range(20):  # settled: the table reflects the measured latencies
        clock.advance(TTL)
        target.snapshot()
    fault.enabled = True
    assert _seconds_until(target, clock, 1.0) <= 300
    metering = _metrics(target)[
        ("enphase_ct_metering_status", (("ct", "production"), ("status", "check-wiring")))
    ]
    assert metering == 1.0
    fault.enabled = False
    assert _seconds_until(target, clock, 0.0) <= 300  # and the alert clears as fast
    target.close()


def test_the_fault_leaves_the_readings_alone(simulator: Any) -> None:
    sim = simulator(
        "metered-3phase", sleep=False, fault=F.parse_fault("wiring:negative-production")
    )
    target = Target(TargetConfig(name="home", host=sim.host, token=sim.token))
    snap = target.snapshot()
    assert snap.data is not None and snap.data.ctmeter_production is not None
    assert snap.data.ctmeter_production.status_flags == ["negative-production"]
    target.close()


def _seconds(text: str) -> float:
    if "--cache-ttl" in text:
        return TTL
    number, unit = text.split()[:2]
    return float(number) * {"min": 60.0, "h": 3600.0}[unit.rstrip(",")]


def test_the_readme_refresh_table_matches_the_declarations() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in readme.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() in set(EndpointKind)
    ]
    assert {EndpointKind(row[0]) for row in rows} == set(EndpointKind)
    for kind_name, endpoints, base, longest in rows:
        kind = EndpointKind(kind_name)
        for path in re.findall(r"`(/[^`*]+)`", endpoints):
            declared = ENDPOINTS[path]
            assert kind in (declared.kind, declared.kind_with_ct), (path, kind)
        low, high = INTERVALS[kind]
        assert _seconds(base) == max(low, TTL), kind
        assert _seconds(longest) == max(high, TTL), kind
