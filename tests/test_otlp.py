"""OTLP output: names that translate to the /metrics names, a real receiver (HTTP and gRPC) on
loopback against the simulator, shared refreshes, and a collector that goes away and back."""

from __future__ import annotations

import logging
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import requests
from click.testing import CliRunner
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter.catalogue import CATALOGUE
from envoy_exporter.cli.otlp_options import otlp_options, otlp_settings_from
from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.pool import WorkPool
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.outputs.otlp import (
    OtlpSettings,
    _host_name,
    instrument_for,
    instruments,
    otel_name,
    sdk_exporter,
)
from envoy_exporter.outputs.otlp_export import OtlpStatsCollector
from envoy_exporter.outputs.otlp_push import OtlpPush
from envoy_exporter.outputs.prometheus import render
from envoy_exporter.simulator import faults as F
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory
from .otlp_receiver import GrpcReceiver, HttpReceiver, Point, Receiver, points

# -- the OpenTelemetry -> Prometheus translation (compatibility spec, "OTLP Metric points to
# Prometheus": metric metadata, sums), written here independently of the exporter ---------

UNIT_WORDS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes",
    "MiBy": "mebibytes", "GiBy": "gibibytes", "TiBy": "tebibytes", "KBy": "kilobytes",
    "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes", "m": "meters", "V": "volts",
    "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius", "Hz": "hertz",
    "%": "percent",
}  # fmt: skip
PER_UNIT_WORDS = {
    "s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"
}  # fmt: skip


def _sanitize(text: str) -> str:
    """Invalid characters become "_", runs of "_" become one."""
    return re.sub(r"__+", "_", re.sub(r"[^a-zA-Z0-9_:]", "_", text))


def prometheus_unit(unit: str, kind: str) -> str:
    """UCUM unit -> Prometheus word: annotations in braces dropped, "1" -> ratio (gauges; the
    Collector adds no unit to a sum in "1"), abbreviations to words, "a/b" -> a_per_b."""
    unit = re.sub(r"\{[^}]*\}", "", unit).strip()
    if not unit:
        return ""
    if unit == "1":
        return "ratio" if kind == "gauge" else ""
    main, _, per = unit.partition("/")
    words = [UNIT_WORDS.get(main, main)] if main else []
    if per:
        words.append("per_" + PER_UNIT_WORDS.get(per, per))
    return _sanitize("_".join(words)).strip("_")


def prometheus_name(name: str, unit: str, kind: str, monotonic: bool) -> str:
    out = _sanitize(name)
    word = prometheus_unit(unit, kind)
    if word and f"_{word}_" not in f"_{out}_":  # unless the name already contains the unit
        out = f"{out}_{word}"
    if kind == "sum" and monotonic and not out.endswith("_total"):
        out += "_total"
    return out


def test_translation_rules_themselves() -> None:
    """The helper above reproduces the specification's and the Collector's examples."""
    assert prometheus_name("system.memory.utilization", "1", "gauge", False) == (
        "system_memory_utilization_ratio"
    )
    assert prometheus_name("system.filesystem.usage", "By", "gauge", False) == (
        "system_filesystem_usage_bytes"
    )
    assert prometheus_name("system.network.dropped", "{packets}", "sum", True) == (
        "system_network_dropped_total"
    )
    assert prometheus_name("system.network.dropped", "packets", "gauge", False) == (
        "system_network_dropped_packets"
    )
    assert (
        prometheus_name("k8s.net.rate", "By/s", "gauge", False) == "k8s_net_rate_bytes_per_second"
    )
    assert prometheus_name("http.duration.seconds", "s", "gauge", False) == "http_duration_seconds"
    assert prometheus_name("jobs_total", "", "sum", True) == "jobs_total"
    assert prometheus_name("queue.depth", "", "sum", False) == "queue_depth"


def test_every_catalogue_entry_translates_to_its_prometheus_name() -> None:
    built = instruments(CATALOGUE)
    assert len(built) == len(CATALOGUE)
    names = [i.name for i in built]
    assert len(set(names)) == len(names), "two instruments share a name"
    allowed_units = {"W", "J", "V", "A", "Hz", "Cel", "s", "1", "", "{VA}"}
    for inst in built:
        kind = "sum" if inst.monotonic else "gauge"
        assert prometheus_name(inst.name, inst.unit, kind, inst.monotonic) == inst.spec.name
        assert re.fullmatch(r"[a-z][a-z0-9_.]*", inst.name), inst.name
        assert inst.unit in allowed_units, (inst.name, inst.unit)
        assert inst.monotonic == (inst.spec.kind == "counter")


def test_instrument_types_follow_the_data_model() -> None:
    by_name = {i.spec.name: i for i in instruments(CATALOGUE)}
    lifetime = by_name["enphase_production_energy_joules_total"]
    assert (lifetime.name, lifetime.unit, lifetime.monotonic) == (
        "enphase.production.energy",
        "J",
        True,
    )
    for gauge in (
        "enphase_production_power_watts",
        "enphase_production_energy_today_joules",
        "enphase_ct_state",
        "enphase_enpower_grid_mode",
    ):
        assert not by_name[gauge].monotonic
    assert by_name["enphase_encharge_state_of_charge_ratio"].unit == "1"
    assert by_name["enphase_inverter_temperature_celsius"].unit == "Cel"
    assert by_name["enphase_ct_phase_power_factor"].unit == ""  # not a ratio: no _ratio suffix
    assert otel_name("enphase_dry_contact_soc_low") == "enphase.dry_contact.soc_low"
    assert otel_name("enphase_up") == "enphase.up"


def test_names_that_cannot_be_translated_are_refused() -> None:
    spec = next(s for s in CATALOGUE if s.name == "enphase_production_power_watts")
    with pytest.raises(ValueError, match="does not end in its unit"):
        instrument_for(type(spec)(**{**vars(spec), "name": "enphase_production_power"}))
    with pytest.raises(ValueError, match="no OpenTelemetry unit"):
        instrument_for(
            type(spec)(**{**vars(spec), "name": "enphase_x_furlongs", "unit": "furlongs"})
        )
    with pytest.raises(ValueError, match="must end in _total"):
        instrument_for(type(spec)(**{**vars(spec), "kind": "counter"}))


def test_host_name_drops_the_port() -> None:
    assert _host_name("127.0.0.1:8443") == "127.0.0.1"
    assert _host_name("envoy.local") == "envoy.local"
    assert _host_name("[fe80::1]:443") == "fe80::1"
    assert _host_name("fe80::1") == "fe80::1"


# -- end to end against the simulator -----------------------------------------------------


class Recording(MetricExporter):
    """Wraps the SDK exporter to hand each export's result to the test (a queue, no polling)."""

    def __init__(self, inner: MetricExporter, results: queue.Queue[bool]) -> None:
        super().__init__(inner._preferred_temporality, inner._preferred_aggregation)
        self.inner, self.results = inner, results

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kw: Any) -> Any:
        result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kw)
        self.results.put(result == MetricExportResult.SUCCESS)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kw: Any) -> None:
        self.inner.shutdown(timeout_millis=timeout_millis, **kw)


def make_target(sim: SimulatedEnvoy, name: str = "home", **kw: Any) -> Target:
    kw.setdefault("cache_ttl", 3600.0)  # one refresh for the whole test
    return Target(TargetConfig(name=name, host=sim.host, token=sim.token, timeout=5.0, **kw))


@pytest.fixture(params=[HttpReceiver, GrpcReceiver], ids=["http", "grpc"])
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    with request.param() as rec:
        yield rec


Pusher = Callable[..., OtlpPush]


@pytest.fixture
def pusher() -> Iterator[Pusher]:
    """Factory: pusher(targets, receiver, results=None, **settings) -> a started OtlpPush."""
    started: list[tuple[OtlpPush, list[Target]]] = []

    def start(targets: list[Target], rec: Receiver, results: Any = None, **kw: Any) -> OtlpPush:
        kw.setdefault("interval", 0.2)
        kw.setdefault("timeout", 2.0)
        settings = OtlpSettings(endpoint=rec.endpoint, protocol=rec.protocol, **kw)  # type: ignore[arg-type]

        def factory(s: OtlpSettings) -> MetricExporter:
            inner = sdk_exporter(s)
            return Recording(inner, results) if results is not None else inner

        push = OtlpPush(targets, settings, exporter_factory=factory).start()
        started.append((push, targets))
        return push

    yield start
    for push, targets in started:
        push.stop()
        for target in targets:
            target.close()


def scraped(text: bytes | str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    body = text.decode() if isinstance(text, bytes) else text
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def pushed(pts: list[Point]) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for p in pts:
        key = (
            prometheus_name(p.name, p.unit, p.kind, p.monotonic),
            frozenset(p.attributes.items()),
        )
        assert key not in out, f"duplicate point {key}"
        out[key] = p.value
    return out


def test_push_matches_scrape_and_gateway(
    simulator: SimulatorFactory, receiver: Receiver, pusher: Pusher
) -> None:
    sim = simulator("battery")
    target = make_target(sim)
    pusher([target], receiver)
    pts = points(receiver.next())
    snapshot = target.snapshot()
    data, info = snapshot.data, snapshot.info
    assert data is not None and info is not None

    # Every series of /metrics, same names, labels and values; nothing more.
    assert pushed(pts) == scraped(render(target))

    # Resource: the gateway's identity once, not on every point.
    resources = {tuple(sorted(p.resource.items())) for p in pts}
    assert len(resources) == 1
    resource = pts[0].resource
    assert resource["service.name"] == "envoy-exporter"
    assert resource["service.instance.id"] == sim.serial == info.serial
    assert resource["host.name"] == "127.0.0.1"
    assert resource["enphase.firmware"] == info.firmware
    assert resource["enphase.model"] == info.model
    assert all("serial" not in p.attributes for p in pts if p.name == "enphase.production.power")

    # Types and units from the data model.
    by_name = {i.name: i for i in instruments(CATALOGUE)}
    for p in pts:
        inst = by_name[p.name]
        assert p.unit == inst.unit
        assert p.description == inst.spec.help
        if inst.monotonic:
            assert (p.kind, p.monotonic, p.temporality) == ("sum", True, 2)  # cumulative
        else:
            assert p.kind == "gauge"

    # Values straight from the gateway's data (joules = Wh x 3600, ratios = % / 100).
    def one(name: str, **attrs: str) -> Point:
        found = [p for p in pts if p.name == name and p.attributes == attrs]
        assert len(found) == 1, (name, attrs)
        return found[0]

    production = data.system_production
    assert production is not None
    assert one("enphase.production.power").value == production.watts_now
    lifetime = one("enphase.production.energy")
    assert (lifetime.value, lifetime.unit) == (production.watt_hours_lifetime * 3600.0, "J")
    assert data.encharge_power
    serial, battery = sorted(data.encharge_power.items())[0]
    soc = one("enphase.encharge.state_of_charge", serial=serial)
    assert soc.value == pytest.approx(battery.soc / 100.0) and soc.unit == "1"
    assert one("enphase.up").value == 1.0
    states = [p for p in pts if p.name == "enphase.enpower.grid_mode"]
    assert sum(p.value for p in states) == 1.0 and {"mode"} == set(states[0].attributes)


def test_push_and_scrape_share_one_refresh(simulator: SimulatorFactory, pusher: Pusher) -> None:
    sim = simulator("battery")
    now = [time.time()]
    target = Target(
        TargetConfig(name="home", host=sim.host, token=sim.token, cache_ttl=30.0),
        clock=lambda: now[0],
    )
    server = build_server({"home": target}, single="home", listen="127.0.0.1:0").start()
    with HttpReceiver() as rec:
        try:
            pusher([target], rec, interval=0.05)
            rec.next()
            for _ in range(3):
                # The cache expires (on the target's clock); push and scrape both ask for data.
                now[0] += 31.0
                sim.clear_request_log()
                stamp = now[0]
                text = requests.get(server.url + "metrics", timeout=30).text
                scrape = scraped(text)[
                    ("enphase_exporter_last_refresh_success_timestamp_seconds", frozenset())
                ]
                assert scrape == stamp
                _wait_for_push_of(rec, stamp)
                paths = [r.path for r in sim.request_log if r.method == "GET"]
                assert paths, "the refresh read nothing"
                doubled = {p for p in paths if paths.count(p) > 1}
                assert not doubled, f"requested twice in one TTL: {doubled}"
        finally:
            server.stop()


def _wait_for_push_of(rec: Receiver, stamp: float) -> None:
    """Receive exports until one carries the refresh made at `stamp` (queue timeouts bound it)."""
    while True:
        for p in points(rec.next()):
            if p.name == "enphase.exporter.last_refresh_success_timestamp" and p.value == stamp:
                return


def test_collector_down_and_back(
    simulator: SimulatorFactory,
    receiver: Receiver,
    pusher: Pusher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    sim = simulator("battery")
    results: queue.Queue[bool] = queue.Queue()
    push = pusher([make_target(sim)], receiver, results, timeout=0.5, interval=0.1)
    receiver.next()
    assert results.get(timeout=15) is True

    receiver.stop()
    failures = 0
    while failures < 3:
        failures += results.get(timeout=15) is False
    # The queue is fed before the wrapper counts and logs; exports run one after another on
    # one thread, so the next result means the previous export's accounting is done.
    results.get(timeout=15)
    assert push.stats.get("home").failures >= 3

    receiver.start()  # same port
    receiver.drain()
    receiver.next(timeout=30)  # export resumes
    while results.get(timeout=15) is False:
        pass
    assert results.get(timeout=15) is True
    counts = push.stats.get("home")
    assert counts.outage_failures == 0 and counts.last_success is not None

    ours = [r for r in caplog.records if r.name.startswith("envoy_exporter.outputs")]
    failing = [r for r in ours if "failing" in r.getMessage()]
    recovered = [r for r in ours if "recovered" in r.getMessage()]
    assert len(failing) == 1 and failing[0].levelno == logging.WARNING
    assert receiver.endpoint in failing[0].getMessage()
    assert len(recovered) == 1 and f"after {counts.failures} failed" in recovered[0].getMessage()
    # the SDK's own per-export complaints do not reach the log
    assert not [r for r in caplog.records if r.name.startswith("opentelemetry.exporter")]

    registry = CollectorRegistry()
    registry.register(OtlpStatsCollector(push.stats))
    text = scraped(generate_latest(registry))
    key = frozenset({("target", "home")})
    assert text[("enphase_exporter_otlp_export_failures_total", key)] == counts.failures
    assert text[("enphase_exporter_otlp_exports_total", key)] == counts.exports


def test_slow_collector_does_not_block_scrapes(simulator: SimulatorFactory, pusher: Pusher) -> None:
    sim = simulator("battery")
    target = make_target(sim)
    server = build_server({"home": target}, single="home", listen="127.0.0.1:0").start()
    results: queue.Queue[bool] = queue.Queue()
    with HttpReceiver() as rec:
        try:
            push = pusher([target], rec, results, timeout=0.5, interval=0.1)
            assert results.get(timeout=15) is True
            rec.hold()  # answers now hang past the export timeout
            assert results.get(timeout=15) is False
            answer = requests.get(server.url + "metrics", timeout=30)
            assert answer.status_code == 200 and "enphase_up 1.0" in answer.text
            assert results.get(timeout=15) is False  # the pusher went on to the next interval
            results.get(timeout=15)  # the previous export's accounting is done
            assert push.stats.get("home").failures >= 2
        finally:
            rec.release()
            server.stop()


class InFlight:
    """Exports in flight across targets: for each export, how many ran at its start (itself
    included) and whether an export had already failed by then."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.failed = False
        self.log: list[tuple[int, bool]] = []
        self.ended: queue.Queue[None] = queue.Queue()

    def factory(self, settings: OtlpSettings) -> MetricExporter:
        counts, inner = self, sdk_exporter(settings)

        class Counting(Recording):
            def export(
                self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kw: Any
            ) -> Any:
                with counts.lock:
                    counts.running += 1
                    counts.log.append((counts.running, counts.failed))
                result = inner.export(metrics_data, timeout_millis=timeout_millis, **kw)
                with counts.lock:
                    counts.running -= 1
                    counts.failed |= result != MetricExportResult.SUCCESS
                counts.ended.put(None)
                return result

        return Counting(inner, queue.Queue())


def test_a_hanging_collector_holds_one_pool_thread(simulator: SimulatorFactory) -> None:
    # bench_fleet --otlp: 1,000 targets pushing to a collector that is down kept half the work
    # pool in export retries, and every probe missed its scrape timeout. While exports fail,
    # one at a time is enough to notice the collector's return.
    sim = simulator("battery", sleep=False)
    targets = [make_target(sim, name=f"t{i}") for i in range(6)]
    pool = WorkPool(threads=6, name="test-otlp")
    counts = InFlight()
    with HttpReceiver() as rec:
        rec.hold()  # every export hangs until its timeout
        settings = OtlpSettings(endpoint=rec.endpoint, timeout=0.5, interval=0.05)
        push = OtlpPush(targets, settings, exporter_factory=counts.factory, pool=pool).start()
        try:
            for _ in range(12):
                counts.ended.get(timeout=30)
        finally:
            push.stop()
            rec.release()
            for target in targets:
                target.close()
            pool.shutdown()
    # Before the first failure is known, up to half the pool's threads push at once; once
    # those pushes have drained, one at a time.
    first = pool.threads // 2
    assert all(failed for _, failed in counts.log[first:]), counts.log
    assert max(running for running, _ in counts.log[first:]) == 1, counts.log
    assert sum(push.stats.get(t.name).failures for t in targets) >= 12


def test_gateway_unreachable_pushes_up_zero(pusher: Pusher) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = Target(TargetConfig(name="attic", host=f"127.0.0.1:{port}", timeout=1.0))
    with HttpReceiver() as rec:
        pusher([target], rec)
        pts = points(rec.next())
    up = [p for p in pts if p.name == "enphase.up"]
    assert [p.value for p in up] == [0.0]
    assert up[0].resource["service.instance.id"] == "attic"  # the serial is not known yet


class Clock:
    """Wall-clock seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_push_logs_an_unreadable_gateway_once_and_its_recovery(
    simulator: SimulatorFactory, pusher: Pusher, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 16 item 5: only serve said so; push exported enphase_up 0 without a word.
    caplog.set_level(logging.INFO)
    fault = F.Status(503)
    fault.enabled = False
    sim = simulator("battery", sleep=False, fault=fault)
    clock = Clock()
    target = Target(
        TargetConfig(name="home", host=sim.host, token=sim.token, cache_ttl=15.0, timeout=5.0),
        clock=clock,
    )
    results: queue.Queue[bool] = queue.Queue()
    with HttpReceiver() as rec:
        pusher([target], rec, results, interval=0.05)
        for enabled in (True, False):
            fault.enabled = enabled
            for _ in range(4):  # several refreshes in each state, each followed by an export
                clock.now += 16.0
                results.get(timeout=30)
    said = [r.getMessage() for r in caplog.records]
    down = [m for m in said if "target home: gateway unreadable" in m]
    assert 1 <= len(down) <= 2, said  # a second line only if the cause's text changed
    assert said.count("target home: gateway readable again") == 1


def test_a_refused_export_is_logged_whole_with_its_cause(
    simulator: SimulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 16 item 6: "...exporting metrics batch, r (failures are counted...": the reason was
    # cut at 300 characters, before the http/protobuf exporter's "Connection refused".
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sim = simulator("battery", sleep=False)
    results: queue.Queue[bool] = queue.Queue()
    settings = OtlpSettings(
        endpoint=f"http://127.0.0.1:{port}/v1/metrics", timeout=2.0, interval=0.1
    )

    def factory(s: OtlpSettings) -> MetricExporter:
        return Recording(sdk_exporter(s), results)

    push = OtlpPush([make_target(sim)], settings, exporter_factory=factory).start()
    try:
        assert results.get(timeout=30) is False
        results.get(timeout=30)  # the first export's accounting and line are done
    finally:
        push.stop()
    failing = [r.getMessage() for r in caplog.records if "failing" in r.getMessage()]
    assert len(failing) == 1
    assert "Connection refused" in failing[0]
    assert "retrying in" in failing[0] and "batch, r (" not in failing[0]


# -- options ----------------------------------------------------------------------------------


def settings(args: list[str], env: dict[str, str]) -> OtlpSettings | None:
    found: list[OtlpSettings | None] = []

    @click.command()
    @otlp_options
    def cmd(**params: Any) -> None:
        found.append(otlp_settings_from(params, env))

    result = CliRunner().invoke(cmd, args, env={"ENVOY_EXPORTER_OTLP": None})
    if result.exit_code != 0:
        raise click.UsageError(result.output)
    return found[0]


def test_options_default_to_the_specification() -> None:
    assert settings([], {}) is None  # --no-otlp by default
    s = settings(["--otlp"], {})
    assert s is not None
    assert (s.endpoint, s.protocol, s.timeout, s.interval, dict(s.headers)) == (
        "http://localhost:4318/v1/metrics", "http/protobuf", 10.0, 60.0, {},
    )  # fmt: skip
    grpc = settings(["--otlp", "--otlp.protocol", "grpc"], {})
    assert grpc is not None and grpc.endpoint == "http://localhost:4317"


def test_options_read_the_standard_variables() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/base/",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_HEADERS": "api-key=s%3Dcret,x-tenant = solar ",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
        "OTEL_METRIC_EXPORT_INTERVAL": "15000",
    }
    s = settings(["--otlp"], env)
    assert s is not None
    assert s.endpoint == "http://collector:4318/base/v1/metrics"
    assert dict(s.headers) == {"api-key": "s=cret", "x-tenant": "solar"}
    assert (s.timeout, s.interval) == (2.5, 15.0)
    assert "s=cret" not in repr(s)
    # the metrics-specific variables win, and their endpoint is used as is
    env |= {
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "https://otlp.example/ingest",
        "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "700",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc",
    }
    s = settings(["--otlp"], env)
    assert s is not None
    assert (s.endpoint, s.protocol, s.timeout) == ("https://otlp.example/ingest", "grpc", 0.7)


def test_flags_override_the_variables() -> None:
    env = {
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://ignored:4318/v1/metrics",
        "OTEL_EXPORTER_OTLP_HEADERS": "a=b",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "9000",
        "OTEL_METRIC_EXPORT_INTERVAL": "9000",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    }
    args = ["--otlp", "--otlp.endpoint", "http://c:4317", "--otlp.protocol", "grpc",
            "--otlp.headers", "k=v", "--otlp.timeout", "3", "--otlp.interval", "5"]  # fmt: skip
    s = settings(args, env)
    assert s is not None
    assert (s.endpoint, s.protocol, dict(s.headers), s.timeout, s.interval) == (
        "http://c:4317", "grpc", {"k": "v"}, 3.0, 5.0,
    )  # fmt: skip
    http = settings(["--otlp", "--otlp.endpoint", "http://c:4318/v1/metrics"], {})
    assert http is not None and http.endpoint == "http://c:4318/v1/metrics"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "http/json"),
        (["--otlp.endpoint", "collector:4318"], {}, "--otlp.endpoint"),
        ([], {"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://x"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ([], {"OTEL_EXPORTER_OTLP_HEADERS": "api-key"}, "api-key"),
        ([], {"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "OTEL_EXPORTER_OTLP_TIMEOUT"),
        ([], {"OTEL_METRIC_EXPORT_INTERVAL": "0"}, "OTEL_METRIC_EXPORT_INTERVAL"),
    ],
)
def test_bad_settings_name_the_culprit(args: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(click.UsageError, match=re.escape(message)):
        settings(["--otlp", *args], env)


def test_header_values_never_appear_in_errors() -> None:
    with pytest.raises(click.UsageError) as err:
        settings(["--otlp"], {"OTEL_EXPORTER_OTLP_HEADERS": "good=t0psecret,broken"})
    assert "t0psecret" not in str(err.value)


# -- the push command, as a process ---------------------------------------------------------


def test_push_command_pushes_until_terminated(simulator: SimulatorFactory) -> None:
    sim = simulator("battery")
    with GrpcReceiver() as rec:
        env = {
            **os.environ,
            "ENVOY_TOKEN": sim.token,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_ENDPOINT": rec.endpoint,
            "OTEL_METRIC_EXPORT_INTERVAL": "200",
        }
        code = "from envoy_exporter.cli.push import push; push()"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "--envoy", sim.host, "--otlp.timeout", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            pts = points(rec.next(timeout=60))
            assert pts[0].resource["service.instance.id"] == sim.serial
            assert any(p.name == "enphase.production.power" for p in pts)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"pushing to {rec.endpoint}" in out
    assert sim.token not in out + err


# -- the README's Collector configuration ---------------------------------------------------


def test_readme_collector_configuration_is_consistent() -> None:
    import yaml

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## OpenTelemetry\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    config = yaml.safe_load(blocks[0])
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317")
    assert protocols["http"]["endpoint"].endswith(":4318")
    assert {"prometheus", "debug"} <= set(config["exporters"])
    pipeline = config["service"]["pipelines"]["metrics"]
    assert pipeline["receivers"] == ["otlp"]
    for kind in ("receivers", "processors", "exporters"):
        assert set(pipeline[kind]) <= set(config[kind]), kind
    # the defaults the exporter pushes to are what this configuration listens on
    defaults = otlp_settings_from({"otlp": True}, {})
    assert defaults is not None and defaults.endpoint == "http://localhost:4318/v1/metrics"


def _printed_url(proc: subprocess.Popen[str], timeout: float = 60.0) -> str:
    """The URL of the 'listening on URL' line, read on a side thread (a queue bounds the wait)."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    while True:
        line = lines.get(timeout=timeout)
        if "listening on " in line:
            return line.split("listening on ", 1)[1].strip()


def test_serve_with_otlp_pushes_and_shows_export_counts(simulator: SimulatorFactory) -> None:
    sim = simulator("battery")
    with HttpReceiver() as rec:
        code = "from envoy_exporter.cli import main; main()"
        args = ["serve", "--envoy", sim.host, "--web.listen-address", "127.0.0.1:0",
                "--otlp", "--otlp.endpoint", rec.endpoint, "--otlp.interval", "0.2"]  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env={**os.environ, "ENVOY_TOKEN": sim.token},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            url = _printed_url(proc)
            pts = points(rec.next(timeout=60))
            assert pts[0].resource["service.instance.id"] == sim.serial
            rec.next(timeout=60)  # a second export: the first one has been counted
            text = requests.get(url + "metrics", timeout=30).text
            found = scraped(text)
            key = frozenset({("target", sim.host)})
            assert found[("enphase_exporter_otlp_exports_total", key)] >= 1
            assert found[("enphase_exporter_otlp_export_failures_total", key)] == 0
            assert found[("enphase_up", frozenset())] == 1.0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert proc.stderr is not None
    assert proc.returncode == 0, proc.stderr.read()
