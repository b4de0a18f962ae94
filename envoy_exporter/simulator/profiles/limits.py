"""Production and export limits of a simulated gateway: /ivp/sc/pvlimit, /ivp/ss/pel_settings.

The answers take the shapes real firmware 7.3-8.2 gateways give; a test turns a limit on by
changing the profile's `limits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...envoy.const import URL_PEL_SETTINGS, URL_PV_LIMIT
from .base import ProfileSource


@dataclass
class Limits:
    production_enabled: bool = False
    production_percent: float = 100.0
    export_enabled: bool = False
    export_watts: float = 0.0


def pvlimit_doc(limits: Limits) -> dict[str, Any]:
    return {"enable": limits.production_enabled, "pv_limit_pct": limits.production_percent}


def pel_settings_doc(limits: Limits) -> dict[str, Any]:
    return {
        "PEL": limits.export_enabled,
        "Hard_PEL": False,
        "Soft_PEL": limits.export_enabled,
        "Export_Limit_Type": "Aggregate",
        "percent": False,
        "apparent": False,
        "PEL_Limit": limits.export_watts if limits.export_enabled else 0.0,
        "Comm_Time_Loss": 0.0,
        "Resp_Time_SoftPEL": 0.0,
        "Resp_Time_HardPEL": 0.0,
        "msReset_HardPEL": 0.0,
        "PEL_db": 0.0,
    }


def register_limits(source: ProfileSource) -> Limits:
    """Serve both limit endpoints from one Limits the caller may change."""
    limits = Limits()
    source.route(URL_PV_LIMIT, lambda now, q: pvlimit_doc(limits))
    source.route(URL_PEL_SETTINGS, lambda now, q: pel_settings_doc(limits))
    return limits
