"""Render caching by part generation: every catalogue entry is tied to the parts (updaters) that
fill what it reads, and no change of an exported model field is ever served from old text."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter.catalogue import CATALOGUE, MetricSpec, Sample
from envoy_exporter.collector.snapshot import GatewayInfo, PartStatus, Snapshot, frozen_map
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy.envoy import Envoy
from envoy_exporter.envoy.exceptions import EnvoyError
from envoy_exporter.envoy.models.envoy import EnvoyData
from envoy_exporter.envoy.models.home import EnvoyInterfaceInformation
from envoy_exporter.envoy.models.inverter import EnvoyInverter
from envoy_exporter.envoy.models.system_production import EnvoySystemProduction
from envoy_exporter.envoy.reading import merge
from envoy_exporter.envoy.updaters import UPDATERS
from envoy_exporter.outputs.prometheus import SnapshotRenderer, render, render_snapshot
from envoy_exporter.simulator.captures import CaptureSource
from envoy_exporter.simulator.profiles import PROFILE_NAMES, load_profile
from envoy_exporter.simulator.server import SimulatedEnvoy

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "envoy-captures"
FOLDERS = sorted(p.name for p in CAPTURES.iterdir() if p.is_dir()) if CAPTURES.is_dir() else []
Parts = list[tuple[str, EnvoyData]]


def read_parts(sim: SimulatedEnvoy) -> Parts:
    """Each updater the probe keeps, run on its own EnvoyData as the collector runs it."""
    envoy = Envoy(sim.host)
    try:
        envoy.setup()
        if sim.legacy:
            envoy.authenticate("envoy", sim.local_users["envoy"])
        else:
            envoy.authenticate(token=sim.token)
        envoy.probe()
        parts: Parts = []
        for updater in envoy.updaters:
            data = EnvoyData()
            updater.update(data)
            data.raw = {}
            parts.append((updater.name, data))
        return parts
    finally:
        envoy.close()


def filled(data: EnvoyData) -> set[str]:
    return {name for name, value in vars(data).items() if name != "raw" and value}


def untied(parts: Parts, catalogue: tuple[MetricSpec, ...] = CATALOGUE) -> list[str]:
    """Entries reading an attribute a part filled without naming that part."""
    return [
        f"{spec.name} reads {attr} from {name}"
        for name, data in parts
        for attr in sorted(filled(data))
        for spec in catalogue
        if attr in spec.reads and name not in (spec.parts or ())
    ]


@pytest.fixture(scope="module")
def profile_parts() -> dict[str, Parts]:
    found = {}
    for profile in PROFILE_NAMES:
        with SimulatedEnvoy(load_profile(profile), listen="127.0.0.1:0", sleep=False) as sim:
            found[profile] = read_parts(sim)
    return found


def test_every_entry_of_the_data_names_real_parts_and_attributes() -> None:
    names = {updater.name for updater in UPDATERS}
    attributes = {f.name for f in dataclasses.fields(EnvoyData)} - {"raw"}
    snapshot_fields = {f.name for f in dataclasses.fields(Snapshot)}
    for spec in CATALOGUE:
        if spec.parts is None:
            assert spec.reads == (), spec.name  # the snapshot's own: what it reads of it
            assert set(spec.snapshot_reads) <= snapshot_fields - {"data"}, spec.name
            continue
        assert spec.snapshot_reads == (), spec.name
        assert spec.parts and set(spec.parts) <= names, spec.name
        assert spec.reads and set(spec.reads) <= attributes, spec.name


def test_every_entry_is_tied_to_the_parts_that_fill_what_it_reads(
    profile_parts: dict[str, Parts],
) -> None:
    for profile, parts in profile_parts.items():
        assert untied(parts) == [], profile
    assert {name for parts in profile_parts.values() for name, _ in parts} >= {
        "meters",
        "production_json",
        "inverters",
        "ensemble",
    }


# -- the stale-render test ------------------------------------------------------------------

#: openmetrics (as SnapshotRenderer.render takes it) -> how a failure names the format
FORMATS = {False: "", True: " (OpenMetrics)"}

#: "Model.field" -> how an entry shows it ("number" or "text")
EXPORTED = {
    field: "number" if spec.kind in ("gauge", "counter") else "text"
    for spec in CATALOGUE
    if spec.parts is not None
    for field in spec.covers
}


def changed(old: Any, shown_as: str) -> Any:
    if isinstance(old, list | tuple):
        return type(old)([*old, "changed-flag"])
    if shown_as == "text":
        return f"{old}-changed"
    if isinstance(old, bool):
        return not old
    return 1 if old is None else old + 1


def variants(value: Any) -> Iterator[tuple[Any, str]]:
    """(value with one exported field changed, "Model.field") for each exported field in it."""
    if isinstance(value, dict):
        # one device of each kind is enough (a large site has hundreds alike)
        for key in sorted(value)[:1]:
            for new, field in variants(value[key]):
                yield {**value, key: new}, field
        return
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return
    for f in dataclasses.fields(value):
        old = getattr(value, f.name)
        name = f"{type(value).__name__}.{f.name}"
        if name in EXPORTED:
            yield dataclasses.replace(value, **{f.name: changed(old, EXPORTED[name])}), name
        for new, field in variants(old):
            yield dataclasses.replace(value, **{f.name: new}), field


def snapshot(parts: Parts, generations: dict[str, int], generation: int) -> Snapshot:
    return Snapshot(
        target="site",
        up=True,
        data=merge(data for _, data in parts),
        generation=generation,
        refreshed_at=0.0,
        part_generations=generations,
    )


def renders(
    renderer: SnapshotRenderer, snap: Snapshot, catalogue: tuple[MetricSpec, ...]
) -> Iterator[tuple[bool, str, bytes, bool]]:
    """Per format: (openmetrics, how a failure names it, the render, whether it equals a full
    render)."""
    # a fresh renderer writes every entry (its bytes are prometheus_client's: the output's
    # tests compare them)
    fresh = SnapshotRenderer(catalogue)
    for om, named in FORMATS.items():
        text = renderer.render(snap, om)
        yield om, named, text, text == fresh.render(snap, om)


def stale_renders(
    parts: Parts, catalogue: tuple[MetricSpec, ...] = CATALOGUE
) -> tuple[list[str], set[str], set[str]]:
    """Change each exported field of each part's data, one at a time, bumping that part's
    generation as the collector does: the renders that differ from a full render, the fields
    changed and those whose change showed in the exposition, in either format (one renderer
    serves both, as for Prometheus asking OpenMetrics and curl asking text)."""
    renderer = SnapshotRenderer(catalogue)
    generations = {name: i for i, (name, _) in enumerate(parts)}
    counter = len(parts)
    first = snapshot(parts, generations, counter)
    before = {om: renderer.render(first, om) for om in FORMATS}
    stale: list[str] = []
    tried: set[str] = set()
    shown: set[str] = set()
    for index, (name, data) in enumerate(list(parts)):
        for attr in sorted(filled(data)):
            for new, field in list(variants(getattr(data, attr))):
                counter += 1
                data = dataclasses.replace(data, **{attr: new})
                parts[index] = (name, data)
                generations[name] = counter
                snap = snapshot(parts, generations, counter)
                for om, named, text, whole in renders(renderer, snap, catalogue):
                    if not whole:
                        stale.append(f"{name}: {attr} {field}{named}")
                    if text != before[om]:
                        shown.add(field + named)
                    before[om] = text
                tried.add(field)
    return stale, tried, shown


def assert_never_stale(sources: dict[str, Parts]) -> set[str]:
    """No stale render, and every field changed showed (at least on one gateway: power
    from production.json hides behind the CTs' where a gateway has both); the fields tried."""
    tried: set[str] = set()
    shown: set[str] = set()
    for source, parts in sources.items():
        stale, changed_here, shown_here = stale_renders(list(parts))
        assert stale == [], source
        tried |= changed_here
        shown |= shown_here
    assert sorted({field + named for field in tried for named in FORMATS.values()} - shown) == []
    return tried


@pytest.fixture(scope="module")
def profile_fields(profile_parts: dict[str, Parts]) -> set[str]:
    return assert_never_stale(profile_parts)


def test_no_change_of_an_exported_field_is_served_stale(profile_fields: set[str]) -> None:
    assert len(profile_fields) > 90


@pytest.mark.corpus
def test_the_captures_are_tied_and_never_served_stale(profile_fields: set[str]) -> None:
    if not FOLDERS:
        pytest.skip(f"no captures at {CAPTURES}")
    captures = {}
    for folder in FOLDERS:
        source = CaptureSource(CAPTURES / folder)
        with SimulatedEnvoy(source, listen="127.0.0.1:0", sleep=False) as sim:
            try:
                captures[folder] = read_parts(sim)
            except EnvoyError:
                continue  # a gateway the client cannot read (bad credentials, firmware 3)
        assert untied(captures[folder]) == [], folder
    tried = assert_never_stale(captures) | profile_fields
    # Every exported field of every model, on the profiles or the captures.
    assert sorted(set(EXPORTED) - tried) == []


def test_the_stale_render_test_finds_an_entry_tied_to_the_wrong_part(
    profile_parts: dict[str, Parts],
) -> None:
    wrong = tuple(
        dataclasses.replace(spec, parts=("tariff",))
        if spec.name == "enphase_inverter_power_watts"
        else spec
        for spec in CATALOGUE
    )
    stale, _, _ = stale_renders(list(profile_parts["metered-3phase"]), wrong)
    assert any("EnvoyInverter.last_report_watts" in line for line in stale)
    assert untied(profile_parts["metered-3phase"], wrong) != []


def test_poor_data_quality_and_dropped_parts_are_not_served_stale() -> None:
    production = EnvoyData(system_production=EnvoySystemProduction(0, 0, 0, 0))
    renderer = SnapshotRenderer()
    good = snapshot([("production", production)], {"production": 1}, 1)
    assert renderer.render(good) == render_snapshot(good)
    # firmware 3 at boot: the collector drops the all-zero production, its part unchanged
    poor = dataclasses.replace(good, generation=2, data=EnvoyData(), poor_data_quality=True)
    assert renderer.render(poor) == render_snapshot(poor)
    assert b"enphase_production_energy" not in renderer.render(poor)
    # a part dropped for being stale leaves the generations
    again = dataclasses.replace(good, generation=3)
    assert renderer.render(again) == render_snapshot(again)
    dropped = dataclasses.replace(good, generation=4, data=EnvoyData(), part_generations={})
    assert renderer.render(dropped) == render_snapshot(dropped)
    assert b"enphase_production_energy" not in renderer.render(dropped)


# -- the snapshot's own entries (identity, probe, the exporter's health) --------------------

#: the Snapshot attributes the snapshot's own entries read
SNAPSHOT_READS = sorted({name for spec in CATALOGUE for name in spec.snapshot_reads})


def health_snapshot(generation: int = 1, **changed: Any) -> Snapshot:
    """A snapshot with every attribute the snapshot's own entries read filled in."""
    values: dict[str, Any] = {
        "info": GatewayInfo("122300000001", "D7.6.175", "800-00654-r08", "Envoy", "envoy.lan"),
        "supported_features": ("PRODUCTION", "CTMETERS"),
        "parts": frozen_map(
            {
                "meters": PartStatus(True, None, 1.5, 15.0, 1.7e9, 0.25),
                "inverters": PartStatus(False, "HTTP 500", 950.0, 300.0, 1.6e9, 0.5, True),
            }
        ),
        "token_expiry": 1.8e9,
        "auth_failed": False,
        "last_success": 1.7e9,
        "intervals": frozen_map(
            {"/ivp/meters/readings": 15.0, "/api/v1/production/inverters": 300.0}
        ),
        "latencies": frozen_map({"/ivp/meters/readings": 0.3, "/api/v1/production/inverters": 0.8}),
        "requests": frozen_map({("/ivp/meters/readings", "200"): 40, ("/home", "error"): 1}),
        "request_seconds": frozen_map({"/ivp/meters/readings": 12.0, "/home": 5.0}),
        "busy_ratio": 0.025,
        "busy_budget_exceeded": False,
        "counter_decreases": 2,
        "enlighten_failures": frozen_map({"refused": 1}),
        "grid_energy_wh": (1200.0, 300.0),
        "poor_data_quality": False,
        "properties": frozen_map(
            {
                "phase_count": 3.0,
                "active_phase_count": 3.0,
                "ct_meter_count": 2.0,
                "acb_batteries_reported": 0.0,
            }
        ),
        "interface": EnvoyInterfaceInformation(
            "eth0", "00:11:22", "ethernet", True, 1_600_000_000, "UTC"
        ),
    }
    values = {"up": True, **values, **changed}
    return Snapshot(
        target="site", data=EnvoyData(), generation=generation, refreshed_at=0.0, **values
    )


def changed_values(value: Any) -> Iterator[Any]:
    """The value with one thing in it changed, for each thing in it (a key added too)."""
    if isinstance(value, bool):
        yield not value
    elif value is None or isinstance(value, int | float):
        yield 1.0 if value is None else value + 1
    elif isinstance(value, str):
        yield f"{value}-changed"
    elif isinstance(value, tuple):
        yield (*value, value[0])
        for index, item in enumerate(value):
            for new in changed_values(item):
                yield (*value[:index], new, *value[index + 1 :])
    elif isinstance(value, Mapping):
        first = next(iter(value))
        yield frozen_map({**value, changed_key(first): value[first]})
        for key in value:
            for new in changed_values(value[key]):
                yield frozen_map({**value, key: new})
    else:
        for f in dataclasses.fields(value):
            for new in changed_values(getattr(value, f.name)):
                yield dataclasses.replace(value, **{f.name: new})


def changed_key(key: Any) -> Any:
    return tuple(f"{k}-new" for k in key) if isinstance(key, tuple) else f"{key}-new"


def stale_snapshot_renders(
    catalogue: tuple[MetricSpec, ...] = CATALOGUE,
) -> tuple[list[str], set[str]]:
    """Change each attribute the snapshot's own entries read, one thing at a time: the renders
    that differ from a full render, and the attributes whose change showed (in either format)."""
    renderer = SnapshotRenderer(catalogue)
    base = health_snapshot()
    before = {om: renderer.render(base, om) for om in FORMATS}
    stale: list[str] = []
    shown: set[str] = set()
    generation = 1
    for name in SNAPSHOT_READS:
        for new in changed_values(getattr(base, name)):
            generation += 1
            snap = health_snapshot(generation, **{name: new})
            for om, named, text, whole in renders(renderer, snap, catalogue):
                if not whole:
                    stale.append(f"{name} = {new!r}{named}")
                if text != before[om]:
                    shown.add(name + named)
    return stale, shown


def test_no_change_of_the_snapshot_is_served_stale() -> None:
    stale, shown = stale_snapshot_renders()
    assert stale == []
    assert sorted({n + named for n in SNAPSHOT_READS for named in FORMATS.values()} - shown) == []
    assert {"up", "info", "parts", "requests", "properties", "interface"} <= set(SNAPSHOT_READS)


def test_the_snapshot_stale_render_test_finds_an_entry_reading_what_it_does_not_name() -> None:
    def busy(snapshot: Snapshot) -> Iterator[Sample]:
        yield Sample((), snapshot.busy_ratio)

    # made by hand: metric() gives an extractor the values of what it names and nothing else
    wrong = tuple(
        dataclasses.replace(spec, extract=busy, snapshot_reads=("up",))
        if spec.name == "enphase_exporter_gateway_busy_ratio"
        else spec
        for spec in CATALOGUE
    )
    stale, _ = stale_snapshot_renders(wrong)
    assert any(line.startswith("busy_ratio = ") for line in stale)


# -- the cap on series per target (issue 13 item 9) ----------------------------------------


def inverter_snapshot(count: int, generation: int) -> Snapshot:
    inverters = {
        str(1000 + i): EnvoyInverter(str(1000 + i), 1_700_000_000, 200, 300) for i in range(count)
    }
    return Snapshot(
        target="big",
        up=True,
        data=EnvoyData(inverters=inverters),
        generation=generation,
        refreshed_at=0.0,
        part_generations={"inverters": generation},
    )


def series(text: bytes, prefix: str) -> dict[str, float]:
    return {
        f"{sample.name}{sorted(sample.labels.items())}": sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
        if sample.name.startswith(prefix)
    }


def test_series_over_the_cap_are_left_out_counted_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    renderer = SnapshotRenderer(max_series=25)
    with caplog.at_level(logging.INFO, logger="envoy_exporter.outputs.prometheus"):
        # 10 inverters x 3 values: 5 series over
        for generation in (1, 2):
            text = renderer.render(inverter_snapshot(10, generation))
            assert len(series(text, "enphase_inverter_")) == 25
            assert series(text, "enphase_exporter_series_dropped") == {
                "enphase_exporter_series_dropped[]": 5.0
            }
            assert series(text, "enphase_up") == {"enphase_up[]": 1.0}  # health always
        # under the cap again: everything written, the count gone
        text = renderer.render(inverter_snapshot(5, 3))
        assert text == render_snapshot(inverter_snapshot(5, 3))
        assert len(series(text, "enphase_inverter_")) == 15
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "target big: over the cap of 25 series (max_series): 5 series left out of the exposition"
    ]
    assert any("under the cap of 25 series again" in r.getMessage() for r in caplog.records)


def test_a_kept_entry_is_cut_again_when_the_room_before_it_shrinks() -> None:
    renderer = SnapshotRenderer(max_series=32)
    whole = inverter_snapshot(10, 1)
    assert len(series(renderer.render(whole), "enphase_inverter_")) == 30
    # production (before the inverters in the exposition) arrives: 4 series, 2 over
    inverters = inverter_snapshot(10, 1).data.inverters  # type: ignore[union-attr]
    data = EnvoyData(system_production=EnvoySystemProduction(100, 10, 1, 5), inverters=inverters)
    parts = {"inverters": 1, "production": 2}
    cut = dataclasses.replace(whole, generation=2, data=data, part_generations=parts)
    text = renderer.render(cut)
    assert len(series(text, "enphase_production_")) == 4
    assert len(series(text, "enphase_inverter_")) == 28
    assert series(text, "enphase_exporter_series_dropped")["enphase_exporter_series_dropped[]"] == 2


def test_the_cap_is_a_target_setting(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    target = Target(TargetConfig(name="site", host=sim.host, token=sim.token, max_series=5))
    text = render(target)
    assert series(text, "enphase_up") == {"enphase_up[]": 1.0}
    assert series(text, "enphase_exporter_series_dropped")["enphase_exporter_series_dropped[]"] > 0
    data_names = {spec.name for spec in CATALOGUE if spec.parts is not None}
    written = [
        sample
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
        if sample.name in data_names
    ]
    assert len(written) == 5
    target.close()
    with pytest.raises(ValueError, match="max_series"):
        TargetConfig(name="site", host=sim.host, max_series=0)


def test_the_cap_holds_in_openmetrics_too(simulator: Any) -> None:
    """Prometheus asks for OpenMetrics first: that answer is cut like the text one."""
    import requests
    from prometheus_client.openmetrics.parser import (
        text_string_to_metric_families as openmetrics_families,
    )

    from envoy_exporter.cli.serve import build_server

    sim = simulator("metered-3phase", sleep=False)
    target = Target(TargetConfig(name="site", host=sim.host, token=sim.token, max_series=5))
    server = build_server({"site": target}, single="site", listen="127.0.0.1:0").start()
    try:
        url = server.url + "metrics"
        text = requests.get(url, timeout=60).text
        om = requests.get(
            url, headers={"Accept": "application/openmetrics-text; version=1.0.0"}, timeout=60
        )
    finally:
        server.stop()
    assert om.headers["Content-Type"].startswith("application/openmetrics-text")
    dropped = [
        s.value
        for f in openmetrics_families(om.text)
        for s in f.samples
        if s.name == "enphase_exporter_series_dropped"
    ]
    assert dropped == [
        series(text.encode(), "enphase_exporter_series_dropped")[
            "enphase_exporter_series_dropped[]"
        ]
    ]
