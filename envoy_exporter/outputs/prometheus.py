"""Prometheus output: the catalogue's metrics of one snapshot as prometheus_client families.

The collector keeps no state between scrapes: every collect() builds fresh families from the
target's current snapshot (which the target caches); /probe uses it, one registry per request.
render() serves /metrics: the text of a snapshot generation is built once, however many
scrapers read it, and from one generation to the next only the entries whose inputs changed
are written again. It keeps text, not state: its bytes are those of render_snapshot(), a
full render through prometheus_client (the tests compare them).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import attrgetter
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


class EnvoyCollector(Collector):
    """A prometheus_client collector for one Target. Registration does not touch the gateway."""

    def __init__(self, target: Target, catalogue: Iterable[MetricSpec] = CATALOGUE) -> None:
        self._target = target
        self._catalogue = tuple(catalogue)

    def describe(self) -> Iterable[Metric]:
        """The families this collector may yield, without samples (no snapshot is taken)."""
        return [_family(spec, ()) for spec in self._catalogue]

    def collect(self) -> Iterable[Metric]:
        return list(families(self._target.snapshot(), self._catalogue))


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
    power is read every refresh. Consecutive catalogue entries that read the same things
    (MetricSpec.reads) form a run; a run whose inputs are equal to those it was last written
    from keeps its text. Entries that do not say what they read are written every time.
    """

    def __init__(self, catalogue: Iterable[MetricSpec] = CATALOGUE) -> None:
        entries = [(spec, FamilyWriter(spec)) for spec in catalogue]
        self._runs = [
            (None if reads is None else _inputs_of(reads), list(run))
            for reads, run in groupby(entries, key=lambda e: e[0].reads)
        ]
        self._lock = threading.Lock()
        self._generation = -1
        self._text = b""
        # run index -> (the inputs it was written from, its text)
        self._kept: dict[int, tuple[object, bytes]] = {}

    def render(self, snapshot: Snapshot) -> bytes:
        """The exposition of `snapshot`, built once per generation."""
        with self._lock:
            if snapshot.generation != self._generation:
                self._text = b"".join(self._run(i, snapshot) for i in range(len(self._runs)))
                self._generation = snapshot.generation
            return self._text

    def _run(self, index: int, snapshot: Snapshot) -> bytes:
        inputs_of, entries = self._runs[index]
        if inputs_of is None:
            return _write(entries, snapshot)
        inputs = inputs_of(snapshot)
        kept = self._kept.get(index)
        # Tuple equality tries identity first: the objects of a part that was not read again
        # match at once. An updater that reads a fresh endpoint beside a stored one (ensemble:
        # power every refresh, the inventory hourly) builds new but equal models from the
        # stored answer, and equal models give equal samples. The kept inputs stay
        # referenced, so an identity is never that of a recycled object.
        if kept is not None and kept[0] == inputs:
            return kept[1]
        text = _write(entries, snapshot)
        self._kept[index] = (inputs, text)
        return text


_NO_DATA = object()


def _inputs_of(reads: tuple[str, ...]) -> Callable[[Snapshot], object]:
    """What a run reads from a snapshot, as one comparable value."""
    data_names = [name for name in reads if not name.startswith("snapshot.")]
    snapshot_names = [name.removeprefix("snapshot.") for name in reads if name not in data_names]
    from_data = attrgetter(*data_names) if data_names else None
    from_snapshot = attrgetter(*snapshot_names) if snapshot_names else None

    def inputs(snapshot: Snapshot) -> object:
        data = snapshot.data
        of_data = None if from_data is None else (_NO_DATA if data is None else from_data(data))
        return of_data, None if from_snapshot is None else from_snapshot(snapshot)

    return inputs


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
