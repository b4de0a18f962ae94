"""Production and export limits set on the gateway (read only: the exporter never sets them)."""

from __future__ import annotations

from .spec import MetricSpec, field_metric, one

_PV = "/ivp/sc/pvlimit"
_PEL = "/ivp/ss/pel_settings"
_PRODUCTION = one("production_limit", ("limits",))
_EXPORT = one("export_limit", ("limits",))

SPECS: tuple[MetricSpec, ...] = (
    field_metric(
        "enphase_production_limit_enabled",
        "1 when a production (PV) limit is on",
        model="EnvoyProductionLimit",
        field="enabled",
        select=_PRODUCTION,
        source=_PV,
        subsystem="system",
    ),
    field_metric(
        "enphase_production_limit_ratio",
        "The production limit as a share of rated production (1: no limit)",
        model="EnvoyProductionLimit",
        field="limit_percent",
        select=_PRODUCTION,
        source=_PV,
        unit="ratio",
        scale=0.01,
        subsystem="system",
    ),
    field_metric(
        "enphase_export_limit_enabled",
        "1 when a power export limit is on",
        model="EnvoyExportLimit",
        field="enabled",
        select=_EXPORT,
        source=_PEL,
        subsystem="system",
    ),
    field_metric(
        "enphase_export_limit_watts",
        "The power export limit, while one is on and the gateway gives it in watts",
        model="EnvoyExportLimit",
        field="limit_watts",
        select=_EXPORT,
        source=_PEL,
        unit="watts",
        subsystem="system",
    ),
)
