"""Limits of a simulated gateway: /ivp/sc/pvlimit, /ivp/ss/pel_settings, /ivp/ss/dpel.

The answers take the shapes real firmware 7.3-8.2 gateways give; a test turns a limit on by
changing the profile's `limits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...envoy.const import URL_DPEL, URL_PEL_SETTINGS, URL_PV_LIMIT
from .base import ProfileSource


@dataclass
class Limits:
    production_enabled: bool = False
    production_percent: float = 100.0
    export_enabled: bool = False
    export_watts: float = 0.0
    dynamic_enabled: bool = False
    #: True: the dynamic limit is on the net export; False: on production
    dynamic_on_export: bool = True
    dynamic_watts: float = 0.0


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


def dpel_doc(limits: Limits) -> dict[str, Any]:
    # firmware 8 sends the settings object alone while no dynamic limit is on
    settings: dict[str, Any] = {"enable": limits.dynamic_enabled}
    if limits.dynamic_enabled:
        settings |= {
            "export_limit": limits.dynamic_on_export,
            "limit_value_W": limits.dynamic_watts,
            "slew_rate": 10.0,
            "enable_dynamic_limiting": False,
        }
    return {
        "date": "2026-11-30 08:15:25",
        "dynamic_pel_settings": settings,
        "filename": "site_settings",
        "version": "00.00.01",
    }


def register_limits(source: ProfileSource) -> Limits:
    """Serve the limit endpoints from one Limits the caller may change."""
    limits = Limits()
    source.route(URL_PV_LIMIT, lambda now, q: pvlimit_doc(limits))
    source.route(URL_PEL_SETTINGS, lambda now, q: pel_settings_doc(limits))
    source.route(URL_DPEL, lambda now, q: dpel_doc(limits))
    return limits
