"""The export side of the OTLP push: settings, the SDK exporter, and its health (exports
counted per target, one log line per outage).

The SDK's OTLP exporters log every failed export (and every retry) themselves, so a
collector that is down for an hour would write a warning per interval. Their records are
captured here instead, per exporting thread, and the first one of an outage becomes the
reason in our single "failing" line; the recovery gets one line too.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_LOGGER = logging.getLogger(__name__)

Protocol = Literal["grpc", "http/protobuf"]
PROTOCOLS: tuple[Protocol, ...] = ("http/protobuf", "grpc")

#: loggers of the SDK exporters whose per-export complaints are folded into our own lines
SDK_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.common.http",
)
# The system's words inside a wrapped connection error: "[Errno 111] Connection refused".
_ERRNO_CAUSE = re.compile(r"\[Errno -?\d+\] ([^'\"\)\]]+)")


def export_cause(reason: str | None, messages: list[str]) -> str:
    """Why an export failed, whole: the root cause first when the message wraps one (the
    http/protobuf exporter's names the refused connection deep inside urllib3's repr)."""
    text = reason or (messages[0] if messages else "the collector refused the export")
    root = _ERRNO_CAUSE.search(text)
    return f"{root.group(1).strip()}: {text}" if root else text


class SdkLogCapture(logging.Filter):
    """Keeps the SDK exporters' records of the current thread's export instead of logging them.

    At debug level they pass through as well, for whoever is chasing a collector problem.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._messages: dict[int, list[str]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            with self._lock:
                kept = self._messages.setdefault(threading.get_ident(), [])
                if len(kept) < 8:
                    kept.append(record.getMessage())
        return _LOGGER.isEnabledFor(logging.DEBUG)

    def take(self) -> list[str]:
        """The records captured on this thread since the last take()."""
        with self._lock:
            return self._messages.pop(threading.get_ident(), [])


_CAPTURE = SdkLogCapture()
_installed = False
_install_lock = threading.Lock()


def install_log_capture() -> SdkLogCapture:
    """Attach the capture to the SDK exporters' loggers (once per process)."""
    global _installed
    with _install_lock:
        if not _installed:
            for name in SDK_EXPORTER_LOGGERS:
                logging.getLogger(name).addFilter(_CAPTURE)
            _installed = True
    return _CAPTURE


@dataclass(frozen=True)
class TargetExports:
    """Export counts of one target."""

    exports: int = 0
    failures: int = 0
    last_success: float | None = None
    #: failures since the last success (0 while exports succeed)
    outage_failures: int = 0


class ExportStats:
    """Export attempts and failures per target. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: dict[str, TargetExports] = {}

    def add_target(self, target: str) -> None:
        """Make the target's counters appear (at 0) before its first export."""
        with self._lock:
            self._targets.setdefault(target, TargetExports())

    def record(self, target: str, ok: bool, now: float) -> TargetExports:
        """Count one export; returns the counts as they were before it."""
        with self._lock:
            before = self._targets.get(target, TargetExports())
            if ok:
                after = replace(
                    before, exports=before.exports + 1, last_success=now, outage_failures=0
                )
            else:
                after = replace(
                    before,
                    exports=before.exports + 1,
                    failures=before.failures + 1,
                    outage_failures=before.outage_failures + 1,
                )
            self._targets[target] = after
            return before

    def get(self, target: str) -> TargetExports:
        with self._lock:
            return self._targets.get(target, TargetExports())

    def view(self) -> dict[str, TargetExports]:
        with self._lock:
            return dict(self._targets)


class OtlpStatsCollector(Collector):
    """The push path's health as Prometheus families, for the server's own registry."""

    def __init__(self, stats: ExportStats) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        exports = CounterMetricFamily(
            "enphase_exporter_otlp_exports",
            "OTLP exports attempted, per target",
            labels=("target",),
        )
        failures = CounterMetricFamily(
            "enphase_exporter_otlp_export_failures",
            "OTLP exports that failed (collector down, slow or refusing), per target",
            labels=("target",),
        )
        last = GaugeMetricFamily(
            "enphase_exporter_otlp_last_success_timestamp_seconds",
            "Unix time of the last successful OTLP export, per target",
            labels=("target",),
        )
        for name, counts in sorted(self._stats.view().items()):
            exports.add_metric([name], counts.exports)
            failures.add_metric([name], counts.failures)
            if counts.last_success is not None:
                last.add_metric([name], counts.last_success)
        return [exports, failures, last]


class CountingExporter(MetricExporter):
    """Delegates to the SDK exporter; counts every export and logs only state changes.

    Never raises from export(): an exception would only reach the SDK's reader thread,
    which logs it with a traceback at every interval.
    """

    def __init__(
        self,
        inner: MetricExporter,
        stats: ExportStats,
        target: str,
        endpoint: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self._inner = inner
        self._stats = stats
        self._target = target
        self._endpoint = endpoint
        self._clock = clock
        self._capture = install_log_capture()
        stats.add_target(target)

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        self._capture.take()
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
            reason = None
        except Exception as err:  # any exporter bug must not end the reader thread
            result, reason = MetricExportResult.FAILURE, f"{type(err).__name__}: {err}"
        messages = self._capture.take()
        ok = result == MetricExportResult.SUCCESS
        before = self._stats.record(self._target, ok, self._clock())
        if not ok and before.outage_failures == 0:
            _LOGGER.warning(
                "target %s: OTLP export to %s failing: %s (failures are counted in "
                "enphase_exporter_otlp_export_failures_total; logged again on recovery)",
                self._target,
                self._endpoint,
                export_cause(reason, messages),
            )
        elif ok and before.outage_failures:
            _LOGGER.info(
                "target %s: OTLP export to %s recovered after %d failed export%s",
                self._target,
                self._endpoint,
                before.outage_failures,
                "" if before.outage_failures == 1 else "s",
            )
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        try:
            self._inner.shutdown(timeout_millis=timeout_millis, **kwargs)
        except Exception:
            _LOGGER.debug("OTLP exporter shutdown failed", exc_info=True)


# -- settings and the exporter --------------------------------------------------------------


@dataclass(frozen=True)
class OtlpSettings:
    """Where and how to push. `endpoint` is final: the full URL (http) or the server URL (grpc).

    Header values are kept out of repr(): they often carry an API key.
    """

    endpoint: str
    protocol: Protocol = "http/protobuf"
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 10.0
    interval: float = 60.0
    insecure: bool | None = None

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"OTLP protocol must be grpc or http/protobuf, got {self.protocol!r}")
        if "://" not in self.endpoint:
            raise ValueError(
                f"OTLP endpoint {self.endpoint!r} needs a scheme (http:// or https://)"
            )
        if self.timeout <= 0 or self.interval <= 0:
            raise ValueError("OTLP timeout and interval must be > 0 seconds")

    @property
    def secrets(self) -> list[str]:
        return [value for value in self.headers.values() if value]


def _cumulative() -> dict[type, AggregationTemporality]:
    from opentelemetry.sdk.metrics import ObservableCounter, ObservableGauge

    # Cumulative whatever OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE says: lifetime
    # energy must reach Prometheus as a counter, which delta sums do not.
    return {
        ObservableCounter: AggregationTemporality.CUMULATIVE,
        ObservableGauge: AggregationTemporality.CUMULATIVE,
    }


def sdk_exporter(settings: OtlpSettings) -> MetricExporter:
    """The SDK's OTLP exporter for the settings (grpc is imported only when asked for)."""
    headers = dict(settings.headers)
    if settings.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter as GrpcExporter,
        )

        return GrpcExporter(
            endpoint=settings.endpoint,
            insecure=settings.insecure,
            headers=headers,
            timeout=settings.timeout,
            preferred_temporality=_cumulative(),
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
        OTLPMetricExporter as HttpExporter,
    )

    return HttpExporter(
        endpoint=settings.endpoint,
        headers=headers,
        timeout=settings.timeout,
        preferred_temporality=_cumulative(),
    )
