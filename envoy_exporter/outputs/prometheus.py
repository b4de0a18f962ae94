"""Prometheus output: the exposition of a target's snapshot, for /metrics and /probe, in
format 0.0.4 or in OpenMetrics (which Prometheus asks for first).

render() builds the text of a snapshot generation once per format, however many scrapers read
it, and from one generation to the next writes again only the entries whose parts changed. It
keeps text, not state: its bytes are those of render_snapshot(), a full render through
prometheus_client's writers (the tests and bench/bench_render.py compare them).
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING, NamedTuple

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.registry import Collector

from ..catalogue import CATALOGUE, MetricSpec, Sample
from ..catalogue.health import SERIES_DROPPED
from ..catalogue.spec import snapshot_values
from ..collector.config import MAX_SERIES
from .text import FamilyWriter

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..collector.target import Target

_LOGGER = logging.getLogger(__name__)


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


def _families(
    snapshot: Snapshot, catalogue: Iterable[MetricSpec], max_series: int | None
) -> Iterator[Metric]:
    """Every catalogue family with at least one sample in the snapshot.

    With `max_series`, the gateway's data is cut where SnapshotRenderer cuts it (in catalogue
    order, the health always kept) and the cut counted in enphase_exporter_series_dropped.
    """
    room, dropped = max_series, 0
    for spec in catalogue:
        samples = spec.samples(snapshot)
        if room is not None and spec.parts is not None:
            kept = samples[: max(room, 0)]
            dropped += len(samples) - len(kept)
            room -= len(kept)
            samples = kept
        if samples:
            yield _family(spec, samples)
    if dropped:
        yield _family(SERIES_DROPPED, [Sample((), float(dropped))])


class _Families(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self._metrics


def render_snapshot(
    snapshot: Snapshot,
    openmetrics: bool = False,
    max_series: int | None = None,
    catalogue: Iterable[MetricSpec] = CATALOGUE,
) -> bytes:
    """The exposition of one snapshot through prometheus_client's writers: the yardstick of
    SnapshotRenderer (an OpenMetrics one ends with `# EOF`, which render() leaves out)."""
    collected = _Families(list(_families(snapshot, catalogue, max_series)))
    if not openmetrics:
        return generate_latest(collected)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collected)
    text: bytes = openmetrics_latest(registry)  # type: ignore[no-untyped-call]
    return text


class SnapshotRenderer:
    """Renders the snapshots of one target, writing again only what changed.

    Most of a gateway changes slowly (inverters every 5 minutes, configuration hourly) while
    power is read every refresh. An entry's text is kept while the generations of the parts
    it reads (MetricSpec.parts) hold: a part's generation changes whenever its data does.
    An entry of the snapshot itself (identity, probe, the exporter's health) is kept while
    the Snapshot attributes it reads (MetricSpec.snapshot_reads, the only values its
    extractor is given) compare equal. Text is kept per format: the format is part of
    every key.

    At most `max_series` series of the gateway's data are written (the health always is);
    the rest are left out, counted in enphase_exporter_series_dropped, and logged once.
    """

    def __init__(
        self,
        catalogue: Iterable[MetricSpec] = CATALOGUE,
        max_series: int = MAX_SERIES,
        *,
        fleet: bool = False,
    ) -> None:
        # A fleet's renderer (one per gateway of /probe, each scraped about once per snapshot)
        # keeps only the texts of the gateway's data, which save the most CPU per byte: no
        # series lines (FamilyWriter), writers shared by every target, no copy of the whole
        # text, none of the snapshot's own entries.
        self._fleet = fleet
        self._runs = _shared_runs(tuple(catalogue)) if fleet else _runs(catalogue, False)
        self._max_series = max_series
        self._dropped_writer = FamilyWriter(SERIES_DROPPED)
        self._dropped = 0
        self._lock = threading.Lock()
        # openmetrics -> (the snapshot generation, its exposition)
        self._texts: dict[bool, tuple[int, bytes]] = {}
        # openmetrics -> per run: (the values it was written from, its room, what it wrote)
        self._kept: dict[bool, list[tuple[tuple[object, ...], int, _Written] | None]] = {
            openmetrics: [None] * len(self._runs) for openmetrics in (False, True)
        }

    def render(self, snapshot: Snapshot, openmetrics: bool = False) -> bytes:
        """The exposition of `snapshot`, built once per snapshot generation and format (per
        call in a fleet, from the runs kept: a join and the health entries); in OpenMetrics
        without the `# EOF` that ends the whole answer."""
        with self._lock:
            if self._fleet:
                return self._render(snapshot, openmetrics)
            kept = self._texts.get(openmetrics)
            if kept is None or kept[0] != snapshot.generation:
                kept = (snapshot.generation, self._render(snapshot, openmetrics))
                self._texts[openmetrics] = kept
            return kept[1]

    def _render(self, snapshot: Snapshot, openmetrics: bool) -> bytes:
        room, dropped = self._max_series, 0
        texts = []
        kept_runs = self._kept[openmetrics]
        for index, run in enumerate(self._runs):
            if run.key is None:
                written = _write(run.entries, snapshot, None, openmetrics)
                texts.append(written.text)
                continue
            key = run.key(snapshot)
            kept = kept_runs[index]
            # Kept: written from the same values; data whole and still fitting, or cut alike.
            if (
                kept is None
                or kept[0] != key
                or (run.capped and kept[1] != room and not kept[2].fits(room))
            ):
                written = _write(run.entries, snapshot, room if run.capped else None, openmetrics)
                kept_runs[index] = (key, room, written)
            else:
                written = kept[2]
            texts.append(written.text)
            room -= written.series
            dropped += written.dropped
        if dropped:
            texts.append(self._dropped_writer.write([Sample((), float(dropped))], openmetrics))
        if bool(dropped) != bool(self._dropped):
            _report_cap(snapshot.target, dropped, self._max_series)
        self._dropped = dropped
        return b"".join(texts)


class _Written(NamedTuple):
    text: bytes
    #: series written that count against the cap, and those left out
    series: int
    dropped: int

    def fits(self, room: int) -> bool:
        return not self.dropped and self.series <= room


class _Run(NamedTuple):
    """Neighbouring entries that read the same parts, or the same attributes of the snapshot."""

    #: what the entries' text is written from: kept while it compares equal (None: written
    #: at every render)
    key: Callable[[Snapshot], tuple[object, ...]] | None
    entries: list[tuple[MetricSpec, FamilyWriter]]
    #: the gateway's data, cut at the cap (the snapshot's own entries never are)
    capped: bool


def _generations(parts: tuple[str, ...]) -> Callable[[Snapshot], tuple[object, ...]]:
    def key(snapshot: Snapshot) -> tuple[object, ...]:
        # The collector drops firmware 3's all-zero production from the data it merged.
        return snapshot.poor_data_quality, *map(snapshot.part_generations.get, parts)

    return key


def _reads(entry: tuple[MetricSpec, FamilyWriter]) -> tuple[object, ...]:
    return entry[0].parts, entry[0].snapshot_reads


def _runs(catalogue: Iterable[MetricSpec], fleet: bool) -> list[_Run]:
    entries = [(spec, FamilyWriter(spec, keep_lines=not fleet)) for spec in catalogue]
    runs = []
    for _, group in groupby(entries, key=_reads):
        run = list(group)
        spec = run[0][0]
        if spec.parts is not None:
            runs.append(_Run(_generations(spec.parts), run, True))
        elif fleet:
            # Not kept in a fleet: the exporter's health alone is ~14 KB a gateway.
            runs.append(_Run(None, run, False))
        else:
            # Its extractor is given these values alone: equal values, equal text.
            runs.append(_Run(snapshot_values(spec.snapshot_reads), run, False))
    return runs


@functools.cache
def _shared_runs(catalogue: tuple[MetricSpec, ...]) -> list[_Run]:
    """Writers that keep no lines hold nothing of a target: one set for every renderer (their
    headers and label orders are ~60 KB a target otherwise)."""
    return _runs(catalogue, True)


def _write(
    entries: list[tuple[MetricSpec, FamilyWriter]],
    snapshot: Snapshot,
    room: int | None,
    openmetrics: bool,
) -> _Written:
    """The entries' text; with `room`, at most that many series (the first ones)."""
    texts, series, dropped = [], 0, 0
    for spec, writer in entries:
        samples = spec.samples(snapshot)
        if room is not None:
            fits = max(room - series, 0)
            if len(samples) > fits:
                dropped += len(samples) - fits
                samples = samples[:fits]
            series += len(samples)
        texts.append(writer.write(samples, openmetrics))
    return _Written(b"".join(texts), series, dropped)


def _report_cap(target: str, dropped: int, max_series: int) -> None:
    if dropped:
        _LOGGER.warning(
            "target %s: over the cap of %d series (max_series): %d series left out of the "
            "exposition",
            target,
            max_series,
            dropped,
        )
    else:
        _LOGGER.info("target %s: under the cap of %d series again", target, max_series)


_renderers: weakref.WeakKeyDictionary[Target, SnapshotRenderer] = weakref.WeakKeyDictionary()
_renderers_lock = threading.Lock()


def render(target: Target, openmetrics: bool = False, *, fleet: bool = False) -> bytes:
    """The target's current snapshot as exposition, built once per snapshot generation and
    format; in OpenMetrics without its `# EOF` (OPENMETRICS_EOF ends the whole answer).

    `fleet` (decided at the target's first render) trades a fraction of a millisecond per
    render for ~300 KB per target: see SnapshotRenderer."""
    snapshot = target.snapshot()
    with _renderers_lock:
        renderer = _renderers.get(target)
        if renderer is None:
            renderer = SnapshotRenderer(max_series=target.config.max_series, fleet=fleet)
            _renderers[target] = renderer
    return renderer.render(snapshot, openmetrics)
