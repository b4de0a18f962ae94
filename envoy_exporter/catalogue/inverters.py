"""Microinverters, one series per inverter serial (bounded by the site's inverter count)."""

from __future__ import annotations

from typing import Any

from .spec import WH_TO_JOULES, MetricSpec, field_metric, keyed

_SOURCE = "/api/v1/production/inverters or /ivp/pdm/device_data"
_DETAIL = "/ivp/pdm/device_data"
_MODEL = "EnvoyInverter"
_SELECT = keyed("inverters", ("inverters", "device_data_inverters"))


def _metric(name: str, help_text: str, field: str, unit: str, **kw: Any) -> MetricSpec:
    source = kw.pop("source", _SOURCE)
    return field_metric(
        f"enphase_inverter_{name}",
        help_text,
        model=_MODEL,
        field=field,
        select=_SELECT,
        source=source,
        labels=("serial",),
        unit=unit,
        subsystem="inverters",
        **kw,
    )


SPECS: tuple[MetricSpec, ...] = (
    _metric("power_watts", "Power of the inverter's last report", "last_report_watts", "watts"),
    _metric(
        "max_power_watts", "Highest power the inverter has reported", "max_report_watts", "watts"
    ),
    _metric(
        "last_report_timestamp_seconds",
        "Time of the inverter's last report (Unix seconds)",
        "last_report_date",
        "seconds",
    ),
    _metric(
        "dc_voltage_volts",
        "DC (panel) voltage at the last report",
        "dc_voltage",
        "volts",
        source=_DETAIL,
    ),
    _metric(
        "dc_current_amperes",
        "DC (panel) current at the last report",
        "dc_current",
        "amperes",
        source=_DETAIL,
    ),
    _metric(
        "ac_voltage_volts", "AC voltage at the last report", "ac_voltage", "volts", source=_DETAIL
    ),
    _metric(
        "ac_current_amperes",
        "AC current at the last report",
        "ac_current",
        "amperes",
        source=_DETAIL,
    ),
    _metric(
        "ac_frequency_hertz",
        "AC frequency at the last report",
        "ac_frequency",
        "hertz",
        source=_DETAIL,
    ),
    _metric(
        "temperature_celsius",
        "Channel temperature at the last report",
        "temperature",
        "celsius",
        source=_DETAIL,
    ),
    _metric(
        "energy_joules_total",
        "Lifetime energy produced by the inverter",
        "lifetime_energy",
        "joules",
        scale=WH_TO_JOULES,
        kind="counter",
        source=_DETAIL,
    ),
    # The client computes energy_produced as the period's joules / duration / 3.6, so x 3.6
    # gives back joules per second: the average power over the report period.
    _metric(
        "average_power_watts",
        "Average power over the last report period (joulesProduced / duration)",
        "energy_produced",
        "watts",
        scale=3.6,
        source=_DETAIL,
    ),
    _metric(
        "energy_today_joules",
        "Energy produced by the inverter since midnight",
        "energy_today",
        "joules",
        scale=WH_TO_JOULES,
        source=_DETAIL,
    ),
    _metric(
        "last_report_duration_seconds",
        "Length of the period the last report covers",
        "last_report_duration",
        "seconds",
        source=_DETAIL,
    ),
)
