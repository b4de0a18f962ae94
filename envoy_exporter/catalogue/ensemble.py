"""Ensemble devices beside batteries: system controller (Enpower), IQ Meter Collar, C6 Combiner,
dry contact relays, storage settings of the tariff."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .codes import UNDOCUMENTED
from .devices import device_specs
from .spec import (
    PERCENT_TO_RATIO,
    DataSelector,
    MetricSpec,
    keyed,
    metric,
    one,
)

if TYPE_CHECKING:
    from ..envoy.models.envoy import EnvoyData

_INVENTORY = "/ivp/ensemble/inventory"
_DEVICE_FIELDS = (
    "admin_state",
    "comm_level_2_4_ghz",
    "comm_level_sub_ghz",
    "communicating",
    "operating",
    "firmware_loaded_date",
    "installed_date",
    "last_report_date",
    "temperature",
)
# The collar and the combiner report neither radio levels nor an operating flag;
# the combiner no temperature either.
_COLLAR_FIELDS = (
    "admin_state",
    "communicating",
    "firmware_loaded_date",
    "installed_date",
    "last_report_date",
    "temperature",
)
_ENSEMBLE = ("ensemble",)
_ENPOWER = one("enpower", _ENSEMBLE)
_COLLAR = one("collar", _ENSEMBLE)
_C6CC = one("c6cc", _ENSEMBLE)


def _identity(prefix: str, what: str, model: str, select: Any, extra: dict[str, str]) -> MetricSpec:
    return metric(
        f"enphase_{prefix}_info",
        f"{what} identity",
        model=model,
        select=select,
        source=_INVENTORY,
        subsystem="ensemble",
        fields={
            "serial": "serial_number",
            "part_number": "part_number",
            "firmware": "firmware_version",
            "admin_state": "admin_state_str",
            **extra,
        },
    )


DEVICES: tuple[MetricSpec, ...] = (
    *device_specs(
        "enpower",
        "System controller",
        model="EnvoyEnpower",
        select=_ENPOWER,
        source=_INVENTORY,
        fields=_DEVICE_FIELDS,
        subsystem="ensemble",
    ),
    _identity("enpower", "System controller", "EnvoyEnpower", _ENPOWER, {}),
    metric(
        "enphase_enpower_mains_admin_state",
        "Requested state of the grid relay",
        model="EnvoyEnpower",
        field="mains_admin_state",
        select=_ENPOWER,
        source=_INVENTORY,
        states=("open", "closed"),
        subsystem="ensemble",
    ),
    metric(
        "enphase_enpower_mains_oper_state",
        "Actual state of the grid relay",
        model="EnvoyEnpower",
        field="mains_oper_state",
        select=_ENPOWER,
        source=_INVENTORY,
        states=("open", "closed"),
        subsystem="ensemble",
    ),
    metric(
        "enphase_enpower_grid_mode",
        "Grid mode of the system controller",
        model="EnvoyEnpower",
        field="grid_mode",
        select=_ENPOWER,
        source=_INVENTORY,
        states=("multimode-ongrid", "multimode-offgrid"),
        state_label="mode",
        subsystem="ensemble",
    ),
    *device_specs(
        "collar",
        "IQ Meter Collar",
        model="EnvoyCollar",
        select=_COLLAR,
        source=_INVENTORY,
        fields=_COLLAR_FIELDS,
        subsystem="ensemble",
    ),
    _identity(
        "collar",
        "IQ Meter Collar",
        "EnvoyCollar",
        _COLLAR,
        {"mid_state": "mid_state", "grid_state": "grid_state", "collar_state": "collar_state"},
    ),
    metric(
        "enphase_collar_control_error",
        f"IQ Meter Collar control error code ({UNDOCUMENTED})",
        subsystem="ensemble",
        model="EnvoyCollar",
        field="control_error",
        select=_COLLAR,
        source=_INVENTORY,
    ),
    *device_specs(
        "c6cc",
        "C6 Combiner controller",
        model="EnvoyC6CC",
        select=_C6CC,
        source=_INVENTORY,
        fields=_COLLAR_FIELDS[:-1],
        subsystem="ensemble",
    ),
    _identity(
        "c6cc", "C6 Combiner controller", "EnvoyC6CC", _C6CC, {"dmir_version": "dmir_version"}
    ),
)

_RELAY_STATUS_SRC = "/ivp/ensemble/dry_contacts"
_RELAY_SETTINGS_SRC = "/ivp/ss/dry_contact_settings"
_RELAYS = keyed("dry_contact_settings", _ENSEMBLE)
_RELAY = ("id",)

DRY_CONTACTS: tuple[MetricSpec, ...] = (
    metric(
        "enphase_dry_contact_status",
        "Dry contact relay position",
        model="EnvoyDryContactStatus",
        field="status",
        select=keyed("dry_contact_status", _ENSEMBLE),
        source=_RELAY_STATUS_SRC,
        states=("open", "closed"),
        labels=_RELAY,
        subsystem="ensemble",
    ),
    metric(
        "enphase_dry_contact_info",
        "Dry contact relay configuration",
        model="EnvoyDryContactSettings",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
        subsystem="ensemble",
        fields={
            "load_name": "load_name",
            "type": "type",
            "mode": "mode",
            "grid_action": "grid_action",
            "micro_grid_action": "micro_grid_action",
            "generator_action": "generator_action",
        },
    ),
    metric(
        "enphase_dry_contact_soc_low_ratio",
        "Battery charge at which the relay sheds its load",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="soc_low",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_dry_contact_soc_high_ratio",
        "Battery charge at which the relay restores its load",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="soc_high",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_dry_contact_override",
        "1 when the relay is overridden",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="override",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    metric(
        "enphase_dry_contact_manual_override",
        "1 when the relay is manually overridden",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="manual_override",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    metric(
        "enphase_dry_contact_black_start",
        f"Black start setting of the relay ({UNDOCUMENTED})",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="black_start",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    metric(
        "enphase_dry_contact_priority",
        "Load shedding priority of the relay",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="priority",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    metric(
        "enphase_dry_contact_essential_start_time_seconds",
        "Start of the relay's essential period, as the gateway states it",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="essential_start_time",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
        unit="seconds",
    ),
    metric(
        "enphase_dry_contact_essential_end_time_seconds",
        "End of the relay's essential period, as the gateway states it",
        subsystem="ensemble",
        model="EnvoyDryContactSettings",
        field="essential_end_time",
        select=_RELAYS,
        source=_RELAY_SETTINGS_SRC,
        labels=_RELAY,
        unit="seconds",
    ),
)


def _storage_settings(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
    tariff = data.tariff
    settings = getattr(tariff, "storage_settings", None) if tariff is not None else None
    if settings is not None:
        yield (), settings


_TARIFF = "/admin/lib/tariff"
_STORAGE_SETTINGS = DataSelector(("tariff",), ("tariff",), _storage_settings)
STORAGE: tuple[MetricSpec, ...] = (
    metric(
        "enphase_storage_mode",
        "Battery storage mode",
        model="EnvoyStorageSettings",
        field="mode",
        select=_STORAGE_SETTINGS,
        source=_TARIFF,
        states=("backup", "self-consumption", "economy", "savings-mode"),
        state_label="mode",
        subsystem="ensemble",
    ),
    metric(
        "enphase_storage_reserve_state_of_charge_ratio",
        "Battery charge kept in reserve",
        subsystem="ensemble",
        model="EnvoyStorageSettings",
        field="reserved_soc",
        select=_STORAGE_SETTINGS,
        source=_TARIFF,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_storage_very_low_state_of_charge_ratio",
        "Battery charge deemed very low",
        subsystem="ensemble",
        model="EnvoyStorageSettings",
        field="very_low_soc",
        select=_STORAGE_SETTINGS,
        source=_TARIFF,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    metric(
        "enphase_storage_charge_from_grid",
        "1 when batteries may charge from the grid",
        subsystem="ensemble",
        model="EnvoyStorageSettings",
        field="charge_from_grid",
        select=_STORAGE_SETTINGS,
        source=_TARIFF,
    ),
    metric(
        "enphase_storage_optimised_schedules",
        "1 when optimised schedules are enabled",
        subsystem="ensemble",
        model="EnvoyStorageSettings",
        field="opt_schedules",
        select=_STORAGE_SETTINGS,
        source=_TARIFF,
    ),
)

SPECS: tuple[MetricSpec, ...] = (*DEVICES, *DRY_CONTACTS, *STORAGE)
