"""Prometheus output against the simulator: /metrics text parses, values equal the client's
EnvoyData (joules = Wh x 3600, ratio = percent / 100), fixed names present where data exists."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Metric, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from envoy_exporter.catalogue import CATALOGUE, MetricSpec, Sample
from envoy_exporter.collector.snapshot import Snapshot
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy.envoy import Envoy
from envoy_exporter.envoy.exceptions import EnvoyError, EnvoyPoorDataQuality
from envoy_exporter.envoy.models.envoy import EnvoyData
from envoy_exporter.envoy.models.inverter import EnvoyInverter
from envoy_exporter.envoy.models.system_production import EnvoySystemProduction
from envoy_exporter.outputs.prometheus import (
    SnapshotRenderer,
    render,
    render_snapshot,
)
from envoy_exporter.outputs.text import OPENMETRICS_EOF, FamilyWriter, go_float
from envoy_exporter.server.app import ExporterApp
from envoy_exporter.simulator.captures import CaptureSource
from envoy_exporter.simulator.profiles import PROFILE_NAMES
from envoy_exporter.simulator.server import SimulatedEnvoy

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "envoy-captures"
FOLDERS = sorted(p.name for p in CAPTURES.iterdir() if p.is_dir()) if CAPTURES.is_dir() else []

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def credentials(sim: SimulatedEnvoy) -> dict[str, Any]:
    if sim.legacy:
        return {"username": "envoy", "password": sim.local_users["envoy"]}
    return {"token": sim.token}


def parse(text: bytes) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"duplicate series {key}"
            samples[key] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def ct_power(data: EnvoyData) -> dict[str, float]:
    """Power now from the CTs, which the exporter prefers to the slower production.json:
    a production CT gives production; a net-consumption CT gives net, and consumption is
    net + production; a total-consumption CT gives consumption, and net is total - production."""
    power: dict[str, float] = {}
    prod, cons = data.ctmeter_production, data.ctmeter_consumption
    if prod is not None:
        power["production"] = prod.active_power
    if cons is not None and prod is not None:
        if str(cons.measurement_type) == "net-consumption":
            power["net_consumption"] = cons.active_power
            power["consumption"] = cons.active_power + prod.active_power
        elif str(cons.measurement_type) == "total-consumption":
            power["consumption"] = cons.active_power
            power["net_consumption"] = cons.active_power - prod.active_power
    elif cons is not None and str(cons.measurement_type) == "net-consumption":
        power["net_consumption"] = cons.active_power
    return power


def expected(data: EnvoyData) -> list[tuple[str, dict[str, str], float]]:
    """What the fixed names must say, computed here from the client's EnvoyData."""
    out: list[tuple[str, dict[str, str], float]] = []
    power = ct_power(data)
    for flow, obj in (("production", data.system_production),
                      ("consumption", data.system_consumption)):  # fmt: skip
        if obj is not None:
            out += [
                (f"enphase_{flow}_power_watts", {}, power.get(flow, obj.watts_now)),
                (f"enphase_{flow}_energy_joules_total", {}, obj.watt_hours_lifetime * 3600),
                (f"enphase_{flow}_energy_today_joules", {}, obj.watt_hours_today * 3600),
                (
                    f"enphase_{flow}_energy_last_seven_days_joules",
                    {},
                    obj.watt_hours_last_7_days * 3600,
                ),
            ]
    if data.system_net_consumption is not None:
        net = power.get("net_consumption", data.system_net_consumption.watts_now)
        out.append(("enphase_net_consumption_power_watts", {}, net))
    ct_phases = data.ctmeter_production_phases or {}
    for phase, obj in (data.system_production_phases or {}).items():
        if obj is not None:
            now = ct_phases[phase].active_power if phase in ct_phases else obj.watts_now
            out.append(("enphase_production_phase_power_watts", {"phase": phase}, now))
    for default, meter in (("production", data.ctmeter_production),
                           ("consumption", data.ctmeter_consumption),
                           ("storage", data.ctmeter_storage)):  # fmt: skip
        if meter is None:
            continue
        ct = str(meter.measurement_type or default)
        out += [
            ("enphase_ct_power_watts", {"ct": ct}, meter.active_power),
            ("enphase_ct_energy_delivered_joules_total", {"ct": ct}, meter.energy_delivered * 3600),
            ("enphase_ct_energy_received_joules_total", {"ct": ct}, meter.energy_received * 3600),
        ]
        if meter.metering_status is not None:
            status = {"ct": ct, "status": str(meter.metering_status)}
            out.append(("enphase_ct_metering_status", status, 1.0))
        for flag in meter.status_flags or []:
            out.append(("enphase_ct_status_flag", {"ct": ct, "flag": str(flag)}, 1.0))
    for serial, inverter in data.inverters.items():
        out += [
            ("enphase_inverter_power_watts", {"serial": serial}, inverter.last_report_watts),
            (
                "enphase_inverter_last_report_timestamp_seconds",
                {"serial": serial},
                inverter.last_report_date,
            ),
        ]
    site = data.battery_aggregate or data.encharge_aggregate or data.acb_power
    if site is not None:
        out.append(("enphase_battery_state_of_charge_ratio", {}, site.state_of_charge / 100))
    for serial, power in (data.encharge_power or {}).items():
        out.append(("enphase_encharge_state_of_charge_ratio", {"serial": serial}, power.soc / 100))
    return out


def assert_matches(samples: Samples, data: EnvoyData) -> int:
    checks = expected(data)
    for name, labels, want in checks:
        got = value(samples, name, **labels)
        assert got == pytest.approx(float(want)), (name, labels)
    return len(checks)


def assert_well_formed(samples: Samples) -> None:
    for (name, labels), _ in samples.items():
        assert name.startswith("enphase_"), name
        for label, text in labels:
            # a labelled family never carries an unlabelled aggregate beside its parts
            if label in ("phase", "serial", "ct", "feature", "collector", "endpoint"):
                assert text not in ("", "total"), (name, label)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_profile_metrics_equal_envoy_data(simulator: Any, profile: str) -> None:
    sim = simulator(profile, sleep=False)
    target = Target(TargetConfig(name="site", host=sim.host, **credentials(sim)))
    snap = target.snapshot()
    assert snap.up and snap.data is not None
    samples = parse(render(target))
    assert_well_formed(samples)
    assert value(samples, "enphase_up") == 1.0
    info = {"serial": sim.serial, "firmware": snap.info.firmware,  # type: ignore[union-attr]
            "part_number": snap.info.part_number, "model": snap.info.model,  # type: ignore[union-attr]
            "host": sim.host}  # fmt: skip
    assert value(samples, "enphase_info", **info) == 1.0
    assert value(samples, "enphase_supported_feature", feature="PRODUCTION") == 1.0
    assert assert_matches(samples, snap.data) > 4
    assert value(samples, "enphase_production_power_watts") is not None
    for part in snap.parts:
        assert value(samples, "enphase_exporter_collector_success", collector=part) == 1.0
    assert (
        value(
            samples,
            "enphase_exporter_refresh_interval_seconds",
            endpoint=next(iter(snap.intervals)),
        )
        > 0
    )
    assert [r for r in sim.request_log if r.method != "GET"] == []
    target.close()


def test_battery_profile_has_battery_metrics(simulator: Any) -> None:
    sim = simulator("battery", sleep=False)
    target = Target(TargetConfig(name="site", host=sim.host, token=sim.token))
    samples = parse(render(target))
    names = {name for name, _ in samples}
    assert "enphase_battery_state_of_charge_ratio" in names
    assert "enphase_encharge_state_of_charge_ratio" in names
    assert "enphase_ct_power_watts" in names
    assert all(0.0 <= v <= 1.0 for (n, _), v in samples.items() if n.endswith("_ratio"))
    target.close()


def test_probe_and_metrics_share_one_renderer(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    target = Target(TargetConfig(name="site", host=sim.host, token=sim.token))
    app = ExporterApp({"site": target}, single="site")
    status, text = app.probe("site", timeout=60)
    assert status == 200
    assert app.metrics_parts(timeout=60)[1] is text  # the same text object, built once
    assert text == render_snapshot(target.snapshot())  # what generate_latest writes
    assert value(parse(text), "enphase_up") == 1.0
    app.close()


def test_render_is_built_once_per_generation(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    target = Target(TargetConfig(name="site", host=sim.host, token=sim.token))
    first = render(target)
    count = len(sim.request_log)
    assert render(target) is first
    assert len(sim.request_log) == count
    target.close()


def test_gateway_down_renders_up_zero(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    cfg = TargetConfig(name="site", host=sim.host, token=sim.token)
    sim.stop()
    target = Target(cfg)
    samples = parse(render(target))
    assert value(samples, "enphase_up") == 0.0
    assert not any(name.startswith("enphase_production") for name, _ in samples)
    target.close()


def _client_run(sim: SimulatedEnvoy) -> tuple[EnvoyData | EnvoyError, tuple[str, ...]]:
    """The oracle: a plain client's update(), and the updaters its probe kept."""
    envoy = Envoy(sim.host)
    try:
        envoy.setup()
        envoy.authenticate(**credentials(sim))
        data: EnvoyData | EnvoyError = envoy.update()
    except EnvoyError as err:
        data = err
    finally:
        envoy.close()
    return data, tuple(sorted(u.name for u in envoy.updaters))


def _exporter_run(folder: str) -> tuple[EnvoyData | EnvoyError, Samples, Snapshot, list[Any]]:
    source = CaptureSource(CAPTURES / folder)
    with SimulatedEnvoy(source, listen="127.0.0.1:0", sleep=False) as sim:
        oracle, updaters = _client_run(sim)
        target = Target(TargetConfig(name="site", host=sim.host, **credentials(sim)))
        samples = parse(render(target))
        snap = target.snapshot()
        target.close()
        log = sim.request_log
    if isinstance(oracle, EnvoyError) != (not snap.up) or updaters != tuple(sorted(snap.parts)):
        # Under load the simulator sometimes drops a keep-alive connection after a digest
        # challenge, and a probe does not retry: the two runs then saw different gateways.
        raise _Disagreement(f"oracle {updaters} {oracle!r:.80}, exporter {tuple(snap.parts)}")
    return oracle, samples, snap, log


class _Disagreement(Exception):
    pass


@pytest.mark.corpus
@pytest.mark.parametrize("folder", FOLDERS or ["<no captures>"])
def test_capture_metrics_equal_client_data(folder: str) -> None:
    if not FOLDERS:
        pytest.skip(f"no captures at {CAPTURES}")
    for attempt in range(3):
        try:
            oracle, samples, snap, log = _exporter_run(folder)
            break
        except _Disagreement:
            if attempt == 2:
                raise
    assert [r for r in log if r.method != "GET"] == []
    assert_well_formed(samples)
    if isinstance(oracle, EnvoyPoorDataQuality):
        assert value(samples, "enphase_poor_data_quality") == 1.0
        return
    if isinstance(oracle, EnvoyError):
        assert value(samples, "enphase_up") == 0.0
        return
    assert value(samples, "enphase_up") == 1.0
    failed = {name: part.error for name, part in snap.parts.items() if not part.ok}
    assert failed == {}
    assert assert_matches(samples, oracle) >= 1


def _snapshot(generation: int, data: EnvoyData, parts: dict[str, int]) -> Snapshot:
    return Snapshot(
        target="site",
        up=True,
        data=data,
        generation=generation,
        refreshed_at=0.0,
        part_generations=parts,
    )


def _inverters(watts: int) -> dict[str, EnvoyInverter]:
    return {s: EnvoyInverter(s, 1_700_000_000, watts, 300) for s in ("1001", "1002")}


def test_renderer_rewrites_only_entries_whose_parts_changed() -> None:
    calls: dict[str, int] = {}

    def counted(spec: MetricSpec) -> MetricSpec:
        def extract(snapshot: Snapshot) -> Any:
            calls[spec.name] = calls.get(spec.name, 0) + 1
            return spec.extract(snapshot)

        return replace(spec, extract=extract)

    renderer = SnapshotRenderer([counted(spec) for spec in CATALOGUE])
    inverters = _inverters(200)
    production = EnvoySystemProduction(90, 10, 1, 5)
    steps = [
        (EnvoySystemProduction(100, 10, 1, 5), inverters, {"production": 1, "inverters": 2}),
        # a power refresh: the inverters' part kept its generation
        (production, inverters, {"production": 3, "inverters": 2}),
        # the inverters' report came in
        (production, _inverters(250), {"production": 3, "inverters": 4}),
    ]
    seen = []
    for generation, (site, devices, parts) in enumerate(steps, 1):
        data = EnvoyData(system_production=site, inverters=devices)
        snapshot = _snapshot(generation, data, parts)
        assert renderer.render(snapshot) == render_snapshot(snapshot)
        seen.append(dict(calls))
    inverter_power = "enphase_inverter_power_watts"
    assert [s[inverter_power] for s in seen] == [1, 1, 2]
    assert [s["enphase_production_energy_today_joules"] for s in seen] == [1, 2, 2]
    assert [s["enphase_up"] for s in seen] == [1, 1, 1]  # the snapshot's own: while up holds
    assert b'enphase_inverter_power_watts{serial="1001"} 250.0' in renderer.render(snapshot)
    down = Snapshot(target="site", up=False, data=None, generation=4, refreshed_at=0.0)
    text = renderer.render(down)
    assert text == render_snapshot(down)
    assert b"enphase_up 0.0" in text and b"enphase_inverter" not in text
    assert calls["enphase_up"] == 2


@pytest.mark.parametrize("fleet", [False, True], ids=["single", "fleet"])
def test_render_over_an_hour_equals_a_full_render(simulator: Any, fleet: bool) -> None:
    # Parts refresh on different schedules (power every 15 s, inverters every 5 min,
    # configuration hourly): the pieces kept between renders must still be current. A fleet's
    # renderers keep no series lines nor whole text and share their writers: the same bytes.
    sim = simulator("battery", sleep=False)
    now = [time.time()]
    target = Target(
        TargetConfig(name="site", host=sim.host, token=sim.token, cache_ttl=15.0),
        clock=lambda: now[0],
    )
    renderer = SnapshotRenderer(fleet=fleet)
    generations = set()
    for step in range(250):
        snapshot = target.snapshot()
        generations.add(snapshot.generation)
        # One renderer serves both formats, in turn and together (Prometheus asks OpenMetrics,
        # curl text): neither format's kept text may leak into the other's.
        for om in ((False,), (True,), (True, False))[step % 3]:
            expected = render_snapshot(snapshot, om).removesuffix(OPENMETRICS_EOF)
            assert renderer.render(snapshot, om) == expected
        now[0] += 15.0
    assert len(generations) == 250
    target.close()


@settings(max_examples=2000, deadline=None)
@given(
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(10**18), max_value=10**18)
    | st.sampled_from([999999.0, 1e6, 1234567.5, -1e7, 1e16, 1e-5, -0.0])
)
def test_the_writer_formats_numbers_as_prometheus_client_does(value: float) -> None:
    assert go_float(value) == floatToGoString(value)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b", "c"]),
                st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e7, math.nan, math.inf]),
            ),
            max_size=3,
            unique_by=lambda s: s[0],
        ),
        min_size=2,
        max_size=6,
    )
)
def test_the_writer_keeps_lines_only_while_their_values_hold(
    renders: list[list[tuple[str, float]]],
) -> None:
    # One writer across renders, as the renderer keeps it: each text is a fresh render's.
    spec = next(s for s in CATALOGUE if s.labels == ("serial",) and s.kind == "gauge")
    writer, shared = FamilyWriter(spec), FamilyWriter(spec, keep_lines=False)
    for samples in renders:
        fresh = FamilyWriter(spec).write([Sample((serial,), v) for serial, v in samples])
        assert writer.write([Sample((serial,), v) for serial, v in samples]) == fresh
        assert shared.write([Sample((serial,), v) for serial, v in samples]) == fresh
        expected = generate_latest(_one_family(spec, samples)) if samples else b""
        assert fresh == expected


def _one_family(spec: MetricSpec, samples: list[tuple[str, float]]) -> CollectorRegistry:
    registry = CollectorRegistry()
    family = GaugeMetricFamily(spec.name, spec.help, labels=list(spec.labels))
    for serial, value in samples:
        family.add_metric([serial], value)
    registry.register(_Fixed([family]))
    return registry


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> list[Metric]:
        return self._families
