"""The metric catalogue: one declarative table mapping gateway data to metrics.

`CATALOGUE` is shared by every output (Prometheus, OTLP); it knows no transport.
"""

from __future__ import annotations

from . import acb, batteries, ensemble, generator, health, inverters, limits, meters, system
from .spec import Kind, MetricSpec, Sample

CATALOGUE: tuple[MetricSpec, ...] = (
    *health.GATEWAY,
    *system.SPECS,
    *limits.SPECS,
    *meters.SPECS,
    *inverters.SPECS,
    *batteries.SPECS,
    *acb.SPECS,
    *ensemble.SPECS,
    *generator.SPECS,
    *health.EXPORTER,
)

#: Numeric model fields deliberately not exported, with the reason.
EXCLUDED_FIELDS: dict[str, str] = {}

__all__ = ["CATALOGUE", "EXCLUDED_FIELDS", "Kind", "MetricSpec", "Sample"]
