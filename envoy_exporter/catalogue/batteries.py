"""Batteries: IQ/Encharge batteries (per serial and aggregate), AC Batteries, and both combined."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .codes import UNDOCUMENTED
from .devices import device_specs
from .spec import (
    MILLI,
    PERCENT_TO_RATIO,
    PRODUCTION_PARTS,
    WH_TO_JOULES,
    DataSelector,
    MetricSpec,
    keyed,
    metric,
    one,
)

if TYPE_CHECKING:
    from ..envoy.models.envoy import EnvoyData

_INVENTORY = "/ivp/ensemble/inventory"
_POWER = "/ivp/ensemble/power"
_SECCTRL = "/ivp/ensemble/secctrl"
_ACB_PRODUCTION = "/production.json storage section"
_SERIAL = ("serial",)
_ENSEMBLE = ("ensemble",)


_ENCHARGE_INVENTORY = keyed("encharge_inventory", _ENSEMBLE)
_ENCHARGE_POWER = keyed("encharge_power", _ENSEMBLE)

ENCHARGE: tuple[MetricSpec, ...] = (
    *device_specs(
        "encharge",
        "IQ Battery",
        model="EnvoyEncharge",
        select=_ENCHARGE_INVENTORY,
        source=_INVENTORY,
        labels=_SERIAL,
        subsystem="batteries",
        fields=(
            "admin_state",
            "comm_level_2_4_ghz",
            "comm_level_sub_ghz",
            "communicating",
            "operating",
            "firmware_loaded_date",
            "installed_date",
            "last_report_date",
            "temperature",
        ),
    ),
    metric(
        "enphase_encharge_info",
        "IQ Battery identity",
        model="EnvoyEncharge",
        select=_ENCHARGE_INVENTORY,
        source=_INVENTORY,
        labels=_SERIAL,
        subsystem="batteries",
        fields={
            "part_number": "part_number",
            "firmware": "firmware_version",
            "bmu_firmware": "bmu_firmware_version",
            "revision": "encharge_revision",
            "admin_state": "admin_state_str",
        },
    ),
    metric(
        "enphase_encharge_dc_switch_off",
        "1 when the battery's DC switch is off",
        subsystem="batteries",
        model="EnvoyEncharge",
        field="dc_switch_off",
        select=_ENCHARGE_INVENTORY,
        source=_INVENTORY,
        labels=_SERIAL,
    ),
    metric(
        "enphase_encharge_capacity_joules",
        "Nameplate energy capacity of the battery",
        subsystem="batteries",
        model="EnvoyEncharge",
        field="encharge_capacity",
        select=_ENCHARGE_INVENTORY,
        source=_INVENTORY,
        labels=_SERIAL,
        unit="joules",
        scale=WH_TO_JOULES,
    ),
    metric(
        "enphase_encharge_led_status",
        f"LED status code of the battery ({UNDOCUMENTED})",
        subsystem="batteries",
        model="EnvoyEncharge",
        field="led_status",
        select=_ENCHARGE_INVENTORY,
        source=_INVENTORY,
        labels=_SERIAL,
    ),
    metric(
        "enphase_encharge_max_cell_temperature_celsius",
        "IQ Battery: hottest cell temperature",
        model="EnvoyEncharge",
        field="max_cell_temp",
        select=_ENCHARGE_INVENTORY,
        source=_INVENTORY,
        labels=_SERIAL,
        subsystem="batteries",
        unit="celsius",
    ),
    # The inventory's percentFull is read hourly; the fresh per-battery charge comes from
    # /ivp/ensemble/power below, under the fixed name.
    metric(
        "enphase_encharge_inventory_state_of_charge_ratio",
        "Battery state of charge as listed in the (hourly) inventory",
        subsystem="batteries",
        model="EnvoyEncharge",
        field="percent_full",
        select=_ENCHARGE_INVENTORY,
        source=_INVENTORY,
        labels=_SERIAL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_encharge_state_of_charge_ratio",
        "Battery state of charge",
        subsystem="batteries",
        model="EnvoyEnchargePower",
        field="soc",
        select=_ENCHARGE_POWER,
        source=_POWER,
        labels=_SERIAL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_encharge_power_watts",
        "Battery real power, positive when discharging",
        subsystem="batteries",
        model="EnvoyEnchargePower",
        field="real_power_mw",
        select=_ENCHARGE_POWER,
        source=_POWER,
        labels=_SERIAL,
        unit="watts",
        scale=MILLI,
    ),
    metric(
        "enphase_encharge_apparent_power_volt_amperes",
        "Battery apparent power",
        subsystem="batteries",
        model="EnvoyEnchargePower",
        field="apparent_power_mva",
        select=_ENCHARGE_POWER,
        source=_POWER,
        labels=_SERIAL,
        unit="volt_amperes",
        scale=MILLI,
    ),
)

_AGG = one("encharge_aggregate", _ENSEMBLE)
ENCHARGE_AGGREGATE: tuple[MetricSpec, ...] = (
    metric(
        "enphase_encharge_aggregate_available_energy_joules",
        "Energy currently stored in all IQ Batteries",
        subsystem="batteries",
        model="EnvoyEnchargeAggregate",
        field="available_energy",
        select=_AGG,
        source=_SECCTRL,
        unit="joules",
        scale=WH_TO_JOULES,
    ),
    metric(
        "enphase_encharge_aggregate_backup_reserve_joules",
        "Energy held back as backup reserve in all IQ Batteries",
        subsystem="batteries",
        model="EnvoyEnchargeAggregate",
        field="backup_reserve",
        select=_AGG,
        source=_SECCTRL,
        unit="joules",
        scale=WH_TO_JOULES,
    ),
    metric(
        "enphase_encharge_aggregate_state_of_charge_ratio",
        "Combined state of charge of all IQ Batteries",
        subsystem="batteries",
        model="EnvoyEnchargeAggregate",
        field="state_of_charge",
        select=_AGG,
        source=_SECCTRL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_encharge_aggregate_reserve_state_of_charge_ratio",
        "Reserve state of charge in effect",
        subsystem="batteries",
        model="EnvoyEnchargeAggregate",
        field="reserve_state_of_charge",
        select=_AGG,
        source=_SECCTRL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_encharge_aggregate_configured_reserve_state_of_charge_ratio",
        "Reserve state of charge as configured",
        subsystem="batteries",
        model="EnvoyEnchargeAggregate",
        field="configured_reserve_state_of_charge",
        select=_AGG,
        source=_SECCTRL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_encharge_aggregate_max_available_capacity_joules",
        "Maximum energy all IQ Batteries can hold",
        subsystem="batteries",
        model="EnvoyEnchargeAggregate",
        field="max_available_capacity",
        select=_AGG,
        source=_SECCTRL,
        unit="joules",
        scale=WH_TO_JOULES,
    ),
)

_ACB = one("acb_power", PRODUCTION_PARTS)


def _site_battery(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
    """All batteries together: the combined IQ + AC figure when the gateway gives one, else
    the IQ Battery aggregate, else the AC Batteries' (a site has one kind or both)."""
    for candidate in (data.battery_aggregate, data.encharge_aggregate, data.acb_power):
        if candidate is not None:
            yield (), candidate
            return


_BATTERY = DataSelector(
    ("battery_aggregate", "encharge_aggregate", "acb_power"),
    (*_ENSEMBLE, *PRODUCTION_PARTS),
    _site_battery,
)
ACB_AND_COMBINED: tuple[MetricSpec, ...] = (
    metric(
        "enphase_acb_power_watts",
        "AC Batteries' power, positive when discharging",
        subsystem="batteries",
        model="EnvoyACBPower",
        field="power",
        select=_ACB,
        source=_ACB_PRODUCTION,
        unit="watts",
    ),
    metric(
        "enphase_acb_available_energy_joules",
        "Energy stored in the AC Batteries",
        subsystem="batteries",
        model="EnvoyACBPower",
        field="charge_wh",
        select=_ACB,
        source=_ACB_PRODUCTION,
        unit="joules",
        scale=WH_TO_JOULES,
    ),
    metric(
        "enphase_acb_state_of_charge_ratio",
        "AC Batteries' state of charge",
        subsystem="batteries",
        model="EnvoyACBPower",
        field="state_of_charge",
        select=_ACB,
        source=_ACB_PRODUCTION,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_acb_batteries",
        "Number of AC Batteries reporting",
        subsystem="batteries",
        model="EnvoyACBPower",
        field="batteries",
        select=_ACB,
        source=_ACB_PRODUCTION,
    ),
    metric(
        "enphase_acb_state",
        "AC Batteries' state",
        model="EnvoyACBPower",
        field="state",
        select=_ACB,
        source=_ACB_PRODUCTION,
        states=("charging", "discharging", "idle"),
        subsystem="batteries",
    ),
    metric(
        "enphase_battery_state_of_charge_ratio",
        "State of charge of all batteries together (combined IQ + AC figure, else the IQ "
        "Battery aggregate, else the AC Batteries')",
        subsystem="batteries",
        model="EnvoyBatteryAggregate",
        field="state_of_charge",
        select=_BATTERY,
        source=_SECCTRL,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_battery_available_energy_joules",
        "Energy stored in all batteries together (combined IQ + AC figure, else the IQ "
        "Battery aggregate)",
        subsystem="batteries",
        model="EnvoyBatteryAggregate",
        field="available_energy",
        select=_BATTERY,
        source=_SECCTRL,
        unit="joules",
        scale=WH_TO_JOULES,
    ),
    metric(
        "enphase_battery_max_available_capacity_joules",
        "Maximum energy all batteries can hold (combined IQ + AC figure, else the IQ "
        "Battery aggregate)",
        subsystem="batteries",
        model="EnvoyBatteryAggregate",
        field="max_available_capacity",
        select=_BATTERY,
        source=_SECCTRL,
        unit="joules",
        scale=WH_TO_JOULES,
    ),
)

SPECS: tuple[MetricSpec, ...] = (*ENCHARGE, *ENCHARGE_AGGREGATE, *ACB_AND_COMBINED)
