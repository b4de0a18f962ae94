"""AC Batteries one by one, from the inventory and the inverters report."""

from __future__ import annotations

from .spec import (
    PERCENT_TO_RATIO,
    MetricSpec,
    celsius_metric,
    field_builder,
    keyed,
    state_metric,
)

_ACB_INVENTORY = "/inventory.json and /api/v1/production/inverters"
_ACB_DEVICES = keyed("acb_inventory", ("inventory",))
_SERIAL = ("serial",)


_g = field_builder("batteries")


ACB_DEVICES: tuple[MetricSpec, ...] = (
    _g(
        "enphase_acb_device_state_of_charge_ratio",
        "AC Battery state of charge",
        "EnvoyACB",
        "percent_full",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    celsius_metric(
        "enphase_acb_device_max_cell_temperature_celsius",
        "AC Battery: hottest cell temperature",
        model="EnvoyACB",
        field="max_cell_temp",
        select=_ACB_DEVICES,
        source=_ACB_INVENTORY,
        labels=_SERIAL,
        subsystem="batteries",
    ),
    _g(
        "enphase_acb_device_communicating",
        "1 when the AC Battery communicates",
        "EnvoyACB",
        "communicating",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
    ),
    _g(
        "enphase_acb_device_operating",
        "1 when the AC Battery operates",
        "EnvoyACB",
        "operating",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
    ),
    _g(
        "enphase_acb_device_producing",
        "1 when the AC Battery produces",
        "EnvoyACB",
        "producing",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
    ),
    _g(
        "enphase_acb_device_sleep_enabled",
        "1 when sleep is requested for the AC Battery",
        "EnvoyACB",
        "sleep_enabled",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
    ),
    _g(
        "enphase_acb_device_sleep_min_state_of_charge_ratio",
        "Charge below which the AC Battery sleeps",
        "EnvoyACB",
        "sleep_min_soc",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_acb_device_sleep_max_state_of_charge_ratio",
        "Charge above which the AC Battery wakes",
        "EnvoyACB",
        "sleep_max_soc",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_acb_device_last_report_timestamp_seconds",
        "Time of the AC Battery's last report (Unix seconds)",
        "EnvoyACB",
        "last_report_date",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
        unit="seconds",
    ),
    _g(
        "enphase_acb_device_power_watts",
        "Power of the AC Battery's last report",
        "EnvoyACB",
        "last_report_watts",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
        unit="watts",
    ),
    _g(
        "enphase_acb_device_max_power_watts",
        "Highest power the AC Battery has reported",
        "EnvoyACB",
        "max_report_watts",
        _ACB_DEVICES,
        _ACB_INVENTORY,
        labels=_SERIAL,
        unit="watts",
    ),
    state_metric(
        "enphase_acb_device_charge_status",
        "AC Battery charge status",
        model="EnvoyACB",
        field="charge_status",
        select=_ACB_DEVICES,
        source=_ACB_INVENTORY,
        states=("charging", "discharging", "idle", "unknown"),
        labels=_SERIAL,
        subsystem="batteries",
    ),
)

SPECS: tuple[MetricSpec, ...] = ACB_DEVICES
