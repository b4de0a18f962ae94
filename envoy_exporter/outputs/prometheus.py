"""Prometheus output: the catalogue's metrics of one snapshot as prometheus_client families.

The collector keeps no state between scrapes: every collect() builds fresh families from the
target's current snapshot (which the target caches). render() adds one cache on top: the text
exposition of a snapshot generation is built once, however many scrapers read it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ..catalogue import CATALOGUE, MetricSpec, Sample

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


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        return list(families(self._snapshot))


def render_snapshot(snapshot: Snapshot) -> bytes:
    """The text exposition (format 0.0.4) of one snapshot."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot))
    return generate_latest(registry)


_rendered: weakref.WeakKeyDictionary[Target, tuple[int, bytes]] = weakref.WeakKeyDictionary()
_rendered_lock = threading.Lock()


def render(target: Target) -> bytes:
    """The target's current snapshot as text exposition, built once per snapshot generation."""
    snapshot = target.snapshot()
    with _rendered_lock:
        cached = _rendered.get(target)
    if cached is not None and cached[0] == snapshot.generation:
        return cached[1]
    text = render_snapshot(snapshot)
    with _rendered_lock:
        _rendered[target] = (snapshot.generation, text)
    return text
