"""The metric catalogue: one declarative table mapping gateway data to metrics.

`CATALOGUE` is shared by every output (Prometheus, OTLP); it knows no transport. Each module
of this package that declares `SPECS` adds its entries (declared with `spec.metric`): a new
module needs no edit here. The entries are ordered by subsystem (`spec.SUBSYSTEMS`), then as
their modules (by name) declare them.
"""

from __future__ import annotations

import importlib
import pkgutil

from .spec import SUBSYSTEMS, Kind, MetricSpec, Sample


def _collect() -> tuple[MetricSpec, ...]:
    specs: list[MetricSpec] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if info.name != "docs":  # the generator reads the catalogue
            module = importlib.import_module(f"{__name__}.{info.name}")
            specs += getattr(module, "SPECS", ())
    order = list(SUBSYSTEMS)
    return tuple(sorted(specs, key=lambda spec: order.index(spec.subsystem)))


CATALOGUE: tuple[MetricSpec, ...] = _collect()

__all__ = ["CATALOGUE", "Kind", "MetricSpec", "Sample"]
