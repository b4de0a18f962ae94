"""Prometheus output: the text exposition of a target's snapshot, for /metrics and /probe.

render() builds the text of a snapshot generation once, however many scrapers read it, and
from one generation to the next writes again only the entries whose parts changed. It keeps
text, not state: its bytes are those of render_snapshot(), a full render through
prometheus_client's generate_latest (the tests and bench/bench_render.py compare them).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING

from prometheus_client import generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ..catalogue import CATALOGUE, MetricSpec, Sample
from .text import FamilyWriter

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..collector.target import Target


def _family(spec: MetricSpec, samples: Iterable[Sample]) -> Metric:
    """One prometheus_client family; counters and info metrics lose their suffix, which the
    library adds back when it writes them."""
    if spec.kind == "counter":
        counter = CounterMetricFamily(
            spec.name.removesuffix("_total"), spec.help, labels=spec.labels
        )
        for sample in samples:
            counter.add_metric(list(sample.labels), sample.value)
        return counter
    if spec.kind == "info":
        info = InfoMetricFamily(spec.name.removesuffix("_info"), spec.help, labels=())
        for sample in samples:
            info.add_metric([], dict(zip(spec.labels, sample.labels, strict=True)))
        return info
    # A state set is written as a gauge with one series per state (0 or 1): the text format
    # has no state-set type, and the label keeps the catalogue's name ("status", "state").
    gauge = GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
    for sample in samples:
        gauge.add_metric(list(sample.labels), sample.value)
    return gauge


def families(snapshot: Snapshot, catalogue: Iterable[MetricSpec] = CATALOGUE) -> Iterator[Metric]:
    """Every catalogue family with at least one sample in the snapshot."""
    for spec in catalogue:
        samples = spec.samples(snapshot)
        if samples:
            yield _family(spec, samples)


class _Families(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._metrics


def render_snapshot(snapshot: Snapshot) -> bytes:
    """The text exposition (format 0.0.4) of one snapshot."""
    return generate_latest(_Families(list(families(snapshot))))


class SnapshotRenderer:
    """Renders the snapshots of one target, writing again only what changed.

    Most of a gateway changes slowly (inverters every 5 minutes, configuration hourly) while
    power is read every refresh. An entry's text is kept while the generations of the parts
    it reads (MetricSpec.parts) hold: a part's generation changes whenever its data does.
    Entries of the snapshot's health (parts None) are written every time.
    """

    def __init__(self, catalogue: Iterable[MetricSpec] = CATALOGUE) -> None:
        entries = [(spec, FamilyWriter(spec)) for spec in catalogue]
        # Neighbouring entries read the same parts: one key per run of them.
        self._runs = [(parts, list(run)) for parts, run in groupby(entries, key=_parts_of)]
        self._lock = threading.Lock()
        self._generation = -1
        self._text = b""
        # run index -> (the part generations it was written from, its text)
        self._kept: dict[int, tuple[tuple[object, ...], bytes]] = {}

    def render(self, snapshot: Snapshot) -> bytes:
        """The exposition of `snapshot`, built once per snapshot generation."""
        with self._lock:
            if snapshot.generation != self._generation:
                self._text = b"".join(self._run(i, snapshot) for i in range(len(self._runs)))
                self._generation = snapshot.generation
            return self._text

    def _run(self, index: int, snapshot: Snapshot) -> bytes:
        parts, entries = self._runs[index]
        if parts is None:
            return _write(entries, snapshot)
        generations = snapshot.part_generations
        # The collector drops firmware 3's all-zero production from the data it merged.
        key = (snapshot.poor_data_quality, *[generations.get(part) for part in parts])
        kept = self._kept.get(index)
        if kept is not None and kept[0] == key:
            return kept[1]
        text = _write(entries, snapshot)
        self._kept[index] = (key, text)
        return text


def _parts_of(entry: tuple[MetricSpec, FamilyWriter]) -> tuple[str, ...] | None:
    return entry[0].parts


def _write(entries: list[tuple[MetricSpec, FamilyWriter]], snapshot: Snapshot) -> bytes:
    return b"".join(writer.write(spec.samples(snapshot)) for spec, writer in entries)


_renderers: weakref.WeakKeyDictionary[Target, SnapshotRenderer] = weakref.WeakKeyDictionary()
_renderers_lock = threading.Lock()


def render(target: Target) -> bytes:
    """The target's current snapshot as text exposition, built once per snapshot generation."""
    snapshot = target.snapshot()
    with _renderers_lock:
        renderer = _renderers.get(target)
        if renderer is None:
            renderer = _renderers[target] = SnapshotRenderer()
    return renderer.render(snapshot)
