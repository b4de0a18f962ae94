"""OpenMetrics through the shared renderer: the same bytes as prometheus_client's OpenMetrics
writer on the same families, for the profiles and the captures, kept per format."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter.catalogue import CATALOGUE, Sample
from envoy_exporter.collector.snapshot import Snapshot
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy.models.envoy import EnvoyData
from envoy_exporter.envoy.models.inverter import EnvoyInverter
from envoy_exporter.outputs.prometheus import SnapshotRenderer, render_snapshot
from envoy_exporter.outputs.text import OPENMETRICS_EOF
from envoy_exporter.server.app import ExporterApp
from envoy_exporter.simulator.captures import CaptureSource
from envoy_exporter.simulator.profiles import PROFILE_NAMES
from envoy_exporter.simulator.server import SimulatedEnvoy

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "envoy-captures"
FOLDERS = sorted(p.name for p in CAPTURES.iterdir() if p.is_dir()) if CAPTURES.is_dir() else []

Series = dict[tuple[str, tuple[tuple[str, str], ...]], str]


def series(families: Any) -> Series:
    # repr: NaN equals NaN, and 0.0 differs from -0.0
    return {
        (s.name, tuple(sorted(s.labels.items()))): repr(s.value)
        for family in families
        for s in family.samples
    }


def assert_as_prometheus_client(snapshot: Snapshot) -> bytes:
    """The renderer's OpenMetrics equals prometheus_client's byte for byte, parses, and
    holds the series of the text format; the OpenMetrics document."""
    document = SnapshotRenderer().render(snapshot, openmetrics=True) + OPENMETRICS_EOF
    assert document == render_snapshot(snapshot, openmetrics=True)
    text = render_snapshot(snapshot)
    assert series(openmetrics_families(document.decode())) == series(
        text_string_to_metric_families(text.decode())
    )
    return document


def snapshot_of(sim: SimulatedEnvoy) -> Snapshot:
    if sim.legacy:
        config = TargetConfig(
            name="site", host=sim.host, username="envoy", password=sim.local_users["envoy"]
        )
    else:
        config = TargetConfig(name="site", host=sim.host, token=sim.token)
    target = Target(config)
    try:
        return target.snapshot()
    finally:
        target.close()


def test_openmetrics_equals_prometheus_client_on_every_profile(simulator: Any) -> None:
    types = set()
    for profile in PROFILE_NAMES:
        snapshot = snapshot_of(simulator(profile, sleep=False))
        assert snapshot.up, profile
        document = assert_as_prometheus_client(snapshot)
        types |= {f.type for f in openmetrics_families(document.decode())}
    # counters (`_total` series under a family without it), info metrics, state sets (gauges)
    assert types == {"counter", "gauge", "info"}


@pytest.mark.corpus
def test_openmetrics_equals_prometheus_client_on_the_captures() -> None:
    if not FOLDERS:
        pytest.skip(f"no captures at {CAPTURES}")
    read = 0
    for folder in FOLDERS:
        source = CaptureSource(CAPTURES / folder)
        with SimulatedEnvoy(source, listen="127.0.0.1:0", sleep=False) as sim:
            snapshot = snapshot_of(sim)
        assert_as_prometheus_client(snapshot)
        read += snapshot.up
    assert read >= len(FOLDERS) // 2


def test_the_cap_cuts_openmetrics_where_it_cuts_the_text() -> None:
    inverters = {str(s): EnvoyInverter(str(s), 1_700_000_000, s, 300) for s in range(1000, 1010)}
    snapshot = Snapshot(
        target="big",
        up=True,
        data=EnvoyData(inverters=inverters),
        generation=1,
        refreshed_at=0.0,
        part_generations={"inverters": 1},
    )
    renderer = SnapshotRenderer(max_series=25)
    text = renderer.render(snapshot)
    document = renderer.render(snapshot, openmetrics=True) + OPENMETRICS_EOF
    assert document == render_snapshot(snapshot, openmetrics=True, max_series=25)
    assert text == render_snapshot(snapshot, max_series=25)
    dropped = series(openmetrics_families(document.decode()))
    assert dropped[("enphase_exporter_series_dropped", ())] == "5.0"


def test_probe_and_metrics_share_the_openmetrics_text(simulator: Any) -> None:
    sim = simulator("metered-3phase", sleep=False)
    target = Target(TargetConfig(name="site", host=sim.host, token=sim.token))
    app = ExporterApp({"site": target}, single="site")
    status, gateway, own = app.metrics_parts(timeout=60, openmetrics=True)
    assert status == 200 and own.endswith(OPENMETRICS_EOF)
    assert app.metrics_parts(timeout=60, openmetrics=True)[1] is gateway  # built once
    assert app.probe("site", timeout=60, openmetrics=True) == (200, gateway + OPENMETRICS_EOF)
    assert gateway + OPENMETRICS_EOF == render_snapshot(target.snapshot(), openmetrics=True)
    app.close()


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_KINDS = ("gauge", "counter", "info", "stateset")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_KINDS),
    _TEXT,
    st.lists(
        st.tuples(_TEXT, st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e7, math.nan, -math.inf])),
        max_size=3,
        unique_by=lambda s: s[0],
    ),
)
def test_headers_and_escaping_as_prometheus_client(
    kind: str, help_text: str, values: list[tuple[str, float]]
) -> None:
    base = next(s for s in CATALOGUE if s.kind == kind and s.labels)
    samples = [Sample((label,) * len(base.labels), value) for label, value in values]
    spec = dataclasses.replace(
        base, help=f'{help_text} \\ " \n', extract=lambda _: samples, parts=None
    )
    snapshot = Snapshot(target="t", up=True, data=None, generation=1, refreshed_at=0.0)
    for openmetrics in (False, True):
        written = SnapshotRenderer([spec]).render(snapshot, openmetrics)
        expected = render_snapshot(snapshot, openmetrics, catalogue=[spec])
        assert written == expected.removesuffix(OPENMETRICS_EOF)
