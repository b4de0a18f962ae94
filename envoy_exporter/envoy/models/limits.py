"""Production and export limits: /ivp/sc/pvlimit and /ivp/ss/pel_settings (read only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


@dataclass(slots=True)
class EnvoyProductionLimit:
    """A production (PV) limit set on the gateway, as a share of the inverters' rating."""

    enabled: bool
    #: the limit as a percentage of rated production (100: no limit)
    limit_percent: float

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyProductionLimit:
        """Build from /ivp/sc/pvlimit: {"enable": false, "pv_limit_pct": 100}."""
        return cls(enabled=_flag(data["enable"]), limit_percent=_number(data["pv_limit_pct"]))


@dataclass(slots=True)
class EnvoyExportLimit:
    """A power export limit (PEL) set on the gateway.

    Firmware 7.6 answers {"PEL": false} alone; 7.3 and 8.2 add the hard and soft limits and
    the limit itself (`PEL_Limit`, in watts unless `percent` or `apparent` say otherwise).
    """

    enabled: bool
    hard: bool | None
    soft: bool | None
    #: the limit in watts; None when no limit is on (gateways send 0.0 then), or when the
    #: gateway gives none or gives it as a percentage or in volt-amperes
    limit_watts: float | None

    @classmethod
    def from_pel_settings(cls, data: dict[str, Any]) -> EnvoyExportLimit:
        """Build from /ivp/ss/pel_settings."""
        hard, soft = data.get("Hard_PEL"), data.get("Soft_PEL")
        enabled = _flag(data["PEL"])
        limit = data.get("PEL_Limit") if enabled else None
        in_watts = data.get("percent") is False and data.get("apparent") is False
        return cls(
            enabled=enabled,
            hard=None if hard is None else _flag(hard),
            soft=None if soft is None else _flag(soft),
            limit_watts=_number(limit) if limit is not None and in_watts else None,
        )


@dataclass(slots=True)
class EnvoyDynamicLimit:
    """A dynamic power export limit (DPEL), the one apps and installers change at run time.

    Firmware 8 answers /ivp/ss/dpel with {"dynamic_pel_settings": {"enable": false}} while
    none is on, and adds `export_limit` (true: the limit is on the net export to the grid;
    false: on production itself) and `limit_value_W` when one is; 8.2 gateways before
    8.3.5232 were seen to apply `export_limit` inverted, so it is reported as the gateway
    states it. Metered gateways only; some refuse an owner token (401).
    """

    enabled: bool
    #: the limit in watts on the net export, while an export limit is on
    export_limit_watts: float | None
    #: the limit in watts on production, while a production limit is on
    production_limit_watts: float | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyDynamicLimit:
        """Build from /ivp/ss/dpel."""
        settings = data["dynamic_pel_settings"]
        if not isinstance(settings, dict):
            raise TypeError(f"expected an object, got {settings!r}")
        enabled = _flag(settings["enable"])
        raw = settings.get("limit_value_W")
        watts = _number(raw) if enabled and raw is not None else None
        on_export = _flag(settings.get("export_limit", True))
        return cls(
            enabled=enabled,
            export_limit_watts=watts if on_export else None,
            production_limit_watts=None if on_export else watts,
        )
