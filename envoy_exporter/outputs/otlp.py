"""OTLP output: the catalogue's metrics pushed with the OpenTelemetry SDK.

Every catalogue entry becomes one observable instrument whose name and unit translate back
to the entry's Prometheus name under the OpenTelemetry -> Prometheus compatibility rules
(dots -> underscores, unit word appended, `_total` on monotonic sums), so a site that
scrapes and a site that pushes see the same series. Callbacks read `target.snapshot()`,
the cache the scrape path uses too: pushing never adds gateway requests.

One MeterProvider per target, because the resource (serial, firmware, model) differs per
gateway; it is rebuilt when that identity becomes known or changes.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from .. import __version__
from ..catalogue import CATALOGUE, MetricSpec
from ..catalogue.spec import UNITS
from ..collector.conditions import report_state
from .otlp_export import (
    CountingExporter,
    ExportStats,
    OtlpSettings,
    OtlpStatsCollector,
    sdk_exporter,
)

if TYPE_CHECKING:
    from ..collector.snapshot import GatewayInfo, Snapshot
    from ..collector.target import Target

__all__ = [
    "ExportStats",
    "Instrument",
    "OtlpSettings",
    "OtlpStatsCollector",
    "TargetPusher",
    "instrument_for",
    "instruments",
    "otel_name",
    "resource_for",
    "sdk_exporter",
]

_LOGGER = logging.getLogger(__name__)

# Device families that become a namespace segment (enphase.ct.phase_power); any other name
# is enphase.<rest> (enphase.supported_feature). Either way dots translate back to "_".
NAMESPACES = (
    "acb", "battery", "c6cc", "collar", "consumption", "ct", "dry_contact", "encharge",
    "enpower", "exporter", "generator", "inverter", "net_consumption", "production", "storage",
)  # fmt: skip
SERVICE_NAME = "envoy-exporter"


@dataclass(frozen=True)
class Instrument:
    """How one catalogue entry is pushed."""

    spec: MetricSpec
    name: str
    unit: str
    monotonic: bool


def instrument_for(spec: MetricSpec) -> Instrument:
    """The OpenTelemetry instrument of one catalogue entry; ValueError when no name fits."""
    monotonic = spec.kind == "counter"
    base = spec.name
    if monotonic:
        if not base.endswith("_total"):
            raise ValueError(f"{spec.name}: a counter must end in _total")
        base = base.removesuffix("_total")
    unit = ""
    if spec.unit:
        suffix = f"_{spec.unit}"
        if not base.endswith(suffix):
            raise ValueError(f"{spec.name}: name does not end in its unit {spec.unit!r}")
        if spec.unit not in UNITS:
            raise ValueError(f"{spec.name}: no OpenTelemetry unit for {spec.unit!r}")
        unit = UNITS[spec.unit]
        # The translators back to Prometheus add the word of a plain symbol to the name (and
        # none for a ratio of a counter); an annotation ({VA}) they drop: its word stays.
        if not unit.startswith("{") and not (monotonic and spec.unit == "ratio"):
            base = base.removesuffix(suffix)
    return Instrument(spec, otel_name(base), unit, monotonic)


def otel_name(base: str) -> str:
    """enphase_ct_phase_power -> enphase.ct.phase_power; enphase_up -> enphase.up."""
    head, _, rest = base.partition("_")
    for namespace in sorted(NAMESPACES, key=len, reverse=True):
        if rest.startswith(f"{namespace}_"):
            return f"{head}.{namespace}.{rest[len(namespace) + 1 :]}"
    return f"{head}.{rest}" if rest else head


@cache
def instruments(catalogue: tuple[MetricSpec, ...] = CATALOGUE) -> tuple[Instrument, ...]:
    """Every instrument of a catalogue, in catalogue order."""
    return tuple(instrument_for(spec) for spec in catalogue)


def resource_for(target: Target, info: GatewayInfo | None) -> Resource:
    """Identity of one gateway, sent once per export instead of on every point."""
    config = target.config
    attributes: dict[str, str] = {
        "service.name": SERVICE_NAME,
        "service.version": __version__,
        "service.instance.id": (info.serial if info else None) or config.serial or config.name,
        "host.name": _host_name(config.host),
        "enphase.target": config.name,
    }
    if info is not None:
        for key, value in (
            ("enphase.firmware", info.firmware),
            ("enphase.model", info.model),
            ("enphase.part_number", info.part_number),
        ):
            if value:
                attributes[key] = value
    return Resource.create(attributes)


def _host_name(host: str) -> str:
    if host.startswith("["):  # [IPv6]:port
        return host[1:].partition("]")[0]
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else host


# -- one target's pipeline ------------------------------------------------------------------


class _Reading:
    """The snapshot of the current collection, shared by every callback of one export."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def refresh(self, snapshot: Snapshot | None = None) -> Snapshot:
        """Take the target's snapshot (or the one given, made by a refresh job just now)."""
        if snapshot is None:
            snapshot = self._target.snapshot()
        with self._lock:
            self._snapshot = snapshot
        return snapshot

    def current(self) -> Snapshot:
        with self._lock:
            snapshot = self._snapshot
        return snapshot if snapshot is not None else self.refresh()


def _callback(
    instrument: Instrument, reading: _Reading, failed: set[str]
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    spec = instrument.spec

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        try:
            samples = spec.samples(reading.current())
        except Exception:
            if spec.name not in failed:  # once per metric, not once per interval
                failed.add(spec.name)
                _LOGGER.warning("metric %s could not be read for OTLP", spec.name, exc_info=True)
            return []
        return [
            Observation(s.value, dict(zip(spec.labels, s.labels, strict=True))) for s in samples
        ]

    return observe


def build_provider(
    target: Target,
    exporter: MetricExporter,
    reading: _Reading,
    info: GatewayInfo | None,
    catalogue: tuple[MetricSpec, ...] = CATALOGUE,
) -> tuple[MeterProvider, PeriodicExportingMetricReader]:
    """A MeterProvider with one observable instrument per catalogue entry.

    The reader has no timer of its own (interval infinite): TargetPusher drives collect(),
    right after taking the snapshot that collection reads.
    """
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=math.inf)
    provider = MeterProvider(
        metric_readers=[reader], resource=resource_for(target, info), shutdown_on_exit=False
    )
    meter = provider.get_meter("envoy_exporter", __version__)
    failed: set[str] = set()
    for inst in instruments(catalogue):
        create = (
            meter.create_observable_counter if inst.monotonic else meter.create_observable_gauge
        )
        create(
            inst.name,
            callbacks=[_callback(inst, reading, failed)],
            unit=inst.unit,
            description=inst.spec.help,
        )
    return provider, reader


ExporterFactory = Callable[[OtlpSettings], MetricExporter]


class TargetPusher:
    """Pushes one target when called: take the snapshot, (re)build the MeterProvider when the
    gateway's identity is new (first contact, firmware upgrade), export. OtlpPush calls it
    every interval on the shared work pool (outputs/otlp_push.py).
    """

    def __init__(
        self,
        target: Target,
        settings: OtlpSettings,
        stats: ExportStats,
        *,
        exporter_factory: ExporterFactory = sdk_exporter,
        catalogue: tuple[MetricSpec, ...] = CATALOGUE,
    ) -> None:
        self.target = target
        self.settings = settings
        self._stats = stats
        self._factory = exporter_factory
        self._catalogue = catalogue
        self._reading = _Reading(target)
        self._stopped = False
        self._lock = threading.Lock()
        self._pipeline: tuple[MeterProvider, PeriodicExportingMetricReader] | None = None
        self._identity: GatewayInfo | None = None
        stats.add_target(target.name)

    def push(self, snapshot: Snapshot | None = None) -> None:
        """Export the given snapshot, or the target's (refreshed when its cache expired)."""
        try:
            self._push_once(snapshot)
        except Exception:  # the next interval must come whatever one push did
            _LOGGER.exception("target %s: OTLP push failed", self.target.name)

    def close(self) -> None:
        """No more exports; the pipeline is shut down (waits at most the OTLP timeout)."""
        with self._lock:
            self._stopped = True
        self._close_pipeline()

    def _push_once(self, snapshot: Snapshot | None) -> None:
        # The Target's cache and single flight make this the same refresh a scrape uses.
        snapshot = self._reading.refresh(snapshot)
        report_state(self.target.name, self.target, snapshot, _LOGGER)
        if self._stopped:
            return
        info = snapshot.info
        if self._pipeline is None or (info is not None and info != self._identity):
            if self._pipeline is not None:
                _LOGGER.info("target %s: new gateway identity, new OTLP resource", self.target.name)
            self._close_pipeline()
            exporter = CountingExporter(
                self._factory(self.settings), self._stats, self.target.name, self.settings.endpoint
            )
            with self._lock:
                self._pipeline = build_provider(
                    self.target, exporter, self._reading, info, self._catalogue
                )
                self._identity = info
        with self._lock:
            pipeline = None if self._stopped else self._pipeline
        if pipeline is not None:
            pipeline[1].collect(timeout_millis=self.settings.timeout * 1000.0)

    def _close_pipeline(self) -> None:
        with self._lock:
            pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline[0].shutdown(timeout_millis=(self.settings.timeout + 1.0) * 1000.0)
