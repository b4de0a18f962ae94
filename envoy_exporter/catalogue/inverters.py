"""Microinverters, one series per inverter serial (bounded by the site's inverter count)."""

from __future__ import annotations

from functools import partial

from .spec import WH_TO_JOULES, MetricSpec, keyed, metric

_SOURCE = "/api/v1/production/inverters or /ivp/pdm/device_data"
_DETAIL = "/ivp/pdm/device_data"
_MODEL = "EnvoyInverter"
_SELECT = keyed("inverters", ("inverters", "device_data_inverters"))


# Every entry reads one field of each inverter, labelled by serial.
_inverter = partial(metric, subsystem="inverters", model=_MODEL, select=_SELECT, labels=("serial",))


SPECS: tuple[MetricSpec, ...] = (
    _inverter(
        "enphase_inverter_power_watts",
        "Power of the inverter's last report",
        field="last_report_watts",
        unit="watts",
        source=_SOURCE,
    ),
    _inverter(
        "enphase_inverter_max_power_watts",
        "Highest power the inverter has reported",
        field="max_report_watts",
        unit="watts",
        source=_SOURCE,
    ),
    _inverter(
        "enphase_inverter_last_report_timestamp_seconds",
        "Time of the inverter's last report (Unix seconds)",
        field="last_report_date",
        unit="seconds",
        source=_SOURCE,
    ),
    _inverter(
        "enphase_inverter_dc_voltage_volts",
        "DC (panel) voltage at the last report",
        field="dc_voltage",
        unit="volts",
        source=_DETAIL,
    ),
    _inverter(
        "enphase_inverter_dc_current_amperes",
        "DC (panel) current at the last report",
        field="dc_current",
        unit="amperes",
        source=_DETAIL,
    ),
    _inverter(
        "enphase_inverter_ac_voltage_volts",
        "AC voltage at the last report",
        field="ac_voltage",
        unit="volts",
        source=_DETAIL,
    ),
    _inverter(
        "enphase_inverter_ac_current_amperes",
        "AC current at the last report",
        field="ac_current",
        unit="amperes",
        source=_DETAIL,
    ),
    _inverter(
        "enphase_inverter_ac_frequency_hertz",
        "AC frequency at the last report",
        field="ac_frequency",
        unit="hertz",
        source=_DETAIL,
    ),
    _inverter(
        "enphase_inverter_temperature_celsius",
        "Channel temperature at the last report",
        field="temperature",
        unit="celsius",
        source=_DETAIL,
    ),
    _inverter(
        "enphase_inverter_energy_joules_total",
        "Lifetime energy produced by the inverter",
        field="lifetime_energy",
        unit="joules",
        source=_DETAIL,
        scale=WH_TO_JOULES,
        kind="counter",
    ),
    # The client computes energy_produced as the period's joules / duration / 3.6, so x 3.6
    # gives back joules per second: the average power over the report period.
    _inverter(
        "enphase_inverter_average_power_watts",
        "Average power over the last report period (joulesProduced / duration)",
        field="energy_produced",
        unit="watts",
        source=_DETAIL,
        scale=3.6,
    ),
    _inverter(
        "enphase_inverter_energy_today_joules",
        "Energy produced by the inverter since midnight",
        field="energy_today",
        unit="joules",
        source=_DETAIL,
        scale=WH_TO_JOULES,
    ),
    _inverter(
        "enphase_inverter_last_report_duration_seconds",
        "Length of the period the last report covers",
        field="last_report_duration",
        unit="seconds",
        source=_DETAIL,
    ),
)
