"""Production and export limits set on the gateway (read only: the exporter never sets them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .spec import PERCENT_TO_RATIO, MetricSpec, metric, one

_PV = "/ivp/sc/pvlimit"
_PEL = "/ivp/ss/pel_settings"
_DPEL = "/ivp/ss/dpel"


def _limit(source: str, model: str, attr: str) -> Callable[..., MetricSpec]:
    """Declares the entries of one limit endpoint, whose model is in EnvoyData.<attr>."""
    return partial(
        metric, subsystem="system", source=source, model=model, select=one(attr, ("limits",))
    )


_production = _limit(_PV, "EnvoyProductionLimit", "production_limit")
_export = _limit(_PEL, "EnvoyExportLimit", "export_limit")
_dynamic = _limit(_DPEL, "EnvoyDynamicLimit", "dynamic_limit")

SPECS: tuple[MetricSpec, ...] = (
    _production(
        "enphase_production_limit_enabled", "1 when a production (PV) limit is on", field="enabled"
    ),
    _production(
        "enphase_production_limit_ratio",
        "The production limit as a share of rated production (1: no limit)",
        field="limit_percent",
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _export("enphase_export_limit_enabled", "1 when a power export limit is on", field="enabled"),
    _export(
        "enphase_export_limit_watts",
        "The power export limit, while one is on and the gateway gives it in watts",
        field="limit_watts",
        unit="watts",
    ),
    _dynamic(
        "enphase_dynamic_export_limit_enabled",
        "1 when a dynamic power export limit (DPEL, set at run time by an app or installer) is on",
        field="enabled",
    ),
    _dynamic(
        "enphase_dynamic_export_limit_watts",
        "The dynamic limit on the net export to the grid, while one is on (export_limit true)",
        field="export_limit_watts",
        unit="watts",
    ),
    _dynamic(
        "enphase_dynamic_production_limit_watts",
        "The dynamic limit on production itself, while one is on (export_limit false)",
        field="production_limit_watts",
        unit="watts",
    ),
)
