"""Ensemble devices beside batteries: system controller (Enpower), IQ Meter Collar, C6 Combiner,
dry contact relays, storage settings of the tariff, standby generator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .devices import device_specs
from .spec import PERCENT_TO_RATIO, MetricSpec, field_metric, info_metric, keyed, one, state_metric

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
_ENPOWER = one("enpower")
_COLLAR = one("collar")
_C6CC = one("c6cc")


def _g(
    name: str, help_text: str, model: str, field: str, select: Any, source: str, **kw: Any
) -> MetricSpec:
    return field_metric(
        name,
        help_text,
        model=model,
        field=field,
        select=select,
        source=source,
        subsystem="ensemble",
        **kw,
    )


def _identity(prefix: str, what: str, model: str, select: Any, extra: dict[str, str]) -> MetricSpec:
    return info_metric(
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
    state_metric(
        "enphase_enpower_mains_admin_state",
        "Requested state of the grid relay",
        model="EnvoyEnpower",
        field="mains_admin_state",
        select=_ENPOWER,
        source=_INVENTORY,
        states=("open", "closed"),
        subsystem="ensemble",
    ),
    state_metric(
        "enphase_enpower_mains_oper_state",
        "Actual state of the grid relay",
        model="EnvoyEnpower",
        field="mains_oper_state",
        select=_ENPOWER,
        source=_INVENTORY,
        states=("open", "closed"),
        subsystem="ensemble",
    ),
    state_metric(
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
    _g(
        "enphase_collar_control_error",
        "IQ Meter Collar control error code",
        "EnvoyCollar",
        "control_error",
        _COLLAR,
        _INVENTORY,
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
_RELAYS = keyed("dry_contact_settings")
_RELAY = ("id",)

DRY_CONTACTS: tuple[MetricSpec, ...] = (
    state_metric(
        "enphase_dry_contact_status",
        "Dry contact relay position",
        model="EnvoyDryContactStatus",
        field="status",
        select=keyed("dry_contact_status"),
        source=_RELAY_STATUS_SRC,
        states=("open", "closed"),
        labels=_RELAY,
        subsystem="ensemble",
    ),
    info_metric(
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
    _g(
        "enphase_dry_contact_soc_low_ratio",
        "Battery charge at which the relay sheds its load",
        "EnvoyDryContactSettings",
        "soc_low",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
        labels=_RELAY,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_dry_contact_soc_high_ratio",
        "Battery charge at which the relay restores its load",
        "EnvoyDryContactSettings",
        "soc_high",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
        labels=_RELAY,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_dry_contact_override",
        "1 when the relay is overridden",
        "EnvoyDryContactSettings",
        "override",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    _g(
        "enphase_dry_contact_manual_override",
        "1 when the relay is manually overridden",
        "EnvoyDryContactSettings",
        "manual_override",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    _g(
        "enphase_dry_contact_black_start",
        "Black start setting of the relay",
        "EnvoyDryContactSettings",
        "black_start",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    _g(
        "enphase_dry_contact_priority",
        "Load shedding priority of the relay",
        "EnvoyDryContactSettings",
        "priority",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
        labels=_RELAY,
    ),
    _g(
        "enphase_dry_contact_essential_start_time_seconds",
        "Start of the relay's essential period, as the gateway states it",
        "EnvoyDryContactSettings",
        "essential_start_time",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
        labels=_RELAY,
        unit="seconds",
    ),
    _g(
        "enphase_dry_contact_essential_end_time_seconds",
        "End of the relay's essential period, as the gateway states it",
        "EnvoyDryContactSettings",
        "essential_end_time",
        _RELAYS,
        _RELAY_SETTINGS_SRC,
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
STORAGE: tuple[MetricSpec, ...] = (
    state_metric(
        "enphase_storage_mode",
        "Battery storage mode",
        model="EnvoyStorageSettings",
        field="mode",
        select=_storage_settings,
        source=_TARIFF,
        states=("backup", "self-consumption", "economy", "savings-mode"),
        state_label="mode",
        subsystem="ensemble",
    ),
    _g(
        "enphase_storage_reserve_state_of_charge_ratio",
        "Battery charge kept in reserve",
        "EnvoyStorageSettings",
        "reserved_soc",
        _storage_settings,
        _TARIFF,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_storage_very_low_state_of_charge_ratio",
        "Battery charge deemed very low",
        "EnvoyStorageSettings",
        "very_low_soc",
        _storage_settings,
        _TARIFF,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_storage_charge_from_grid",
        "1 when batteries may charge from the grid",
        "EnvoyStorageSettings",
        "charge_from_grid",
        _storage_settings,
        _TARIFF,
    ),
    _g(
        "enphase_storage_optimised_schedules",
        "1 when optimised schedules are enabled",
        "EnvoyStorageSettings",
        "opt_schedules",
        _storage_settings,
        _TARIFF,
    ),
)

_GEN = one("generator")
_GEN_SRC = "/ivp/ensemble/generator"
_GEN_CONFIG = one("generator_config")
_GEN_CONFIG_SRC = "/ivp/ss/gen_config"
_GEN_SCHEDULE = one("generator_schedule")
_GEN_SCHEDULE_SRC = "/ivp/ss/gen_schedule"

GENERATOR: tuple[MetricSpec, ...] = (
    info_metric(
        "enphase_generator_info",
        "Standby generator state",
        model="EnvoyGenerator",
        select=_GEN,
        source=_GEN_SRC,
        subsystem="ensemble",
        fields={"admin_state": "admin_state", "oper_state": "oper_state"},
    ),
    _g(
        "enphase_generator_admin_mode",
        "Generator administrative mode code",
        "EnvoyGenerator",
        "admin_mode",
        _GEN,
        _GEN_SRC,
    ),
    _g(
        "enphase_generator_schedule",
        "Generator schedule code",
        "EnvoyGenerator",
        "schedule",
        _GEN,
        _GEN_SRC,
    ),
    _g(
        "enphase_generator_start_soc_ratio",
        "Battery charge that starts the generator",
        "EnvoyGenerator",
        "start_soc",
        _GEN,
        _GEN_SRC,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_generator_stop_soc_ratio",
        "Battery charge that stops the generator",
        "EnvoyGenerator",
        "stop_soc",
        _GEN,
        _GEN_SRC,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_generator_exercise_on",
        "Generator exercise flag",
        "EnvoyGenerator",
        "exc_on",
        _GEN,
        _GEN_SRC,
    ),
    _g(
        "enphase_generator_present",
        "1 when a generator is present",
        "EnvoyGenerator",
        "present",
        _GEN,
        _GEN_SRC,
    ),
    _g("enphase_generator_type", "Generator type code", "EnvoyGenerator", "type", _GEN, _GEN_SRC),
    _g(
        "enphase_generator_max_continuous_current_amperes",
        "Generator's maximum continuous current",
        "EnvoyGeneratorConfig",
        "max_cont_gen_amps",
        _GEN_CONFIG,
        _GEN_CONFIG_SRC,
        unit="amperes",
    ),
    _g(
        "enphase_generator_min_loading_ratio",
        "Generator's minimum loading",
        "EnvoyGeneratorConfig",
        "min_gen_loading_perc",
        _GEN_CONFIG,
        _GEN_CONFIG_SRC,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_generator_max_efficiency_ratio",
        "Generator's maximum efficiency",
        "EnvoyGeneratorConfig",
        "max_gen_efficiency_perc",
        _GEN_CONFIG,
        _GEN_CONFIG_SRC,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_generator_rated_power_watts",
        "Generator's nameplate rating",
        "EnvoyGeneratorConfig",
        "name_plate_rating_wat",
        _GEN_CONFIG,
        _GEN_CONFIG_SRC,
        unit="watts",
    ),
    _g(
        "enphase_generator_warm_up_seconds",
        "Generator warm-up time",
        "EnvoyGeneratorConfig",
        "warm_up_mins",
        _GEN_CONFIG,
        _GEN_CONFIG_SRC,
        unit="seconds",
        scale=60.0,
    ),
    _g(
        "enphase_generator_cool_down_seconds",
        "Generator cool-down time",
        "EnvoyGeneratorConfig",
        "cool_down_mins",
        _GEN_CONFIG,
        _GEN_CONFIG_SRC,
        unit="seconds",
        scale=60.0,
    ),
    _g(
        "enphase_generator_charge_from_generator",
        "1 when batteries charge from the generator",
        "EnvoyGeneratorConfig",
        "charge_from_generator",
        _GEN_CONFIG,
        _GEN_CONFIG_SRC,
    ),
    _g(
        "enphase_generator_exercise_interval_seconds",
        "Time between generator exercises",
        "EnvoyGeneratorSchedule",
        "exercise_freq_in_weeks",
        _GEN_SCHEDULE,
        _GEN_SCHEDULE_SRC,
        unit="seconds",
        scale=7 * 86400.0,
    ),
    _g(
        "enphase_generator_exercise_start",
        "Start of the generator exercise, as the gateway states it",
        "EnvoyGeneratorSchedule",
        "exercise_start",
        _GEN_SCHEDULE,
        _GEN_SCHEDULE_SRC,
    ),
    _g(
        "enphase_generator_exercise_duration",
        "Length of the generator exercise, as the gateway states it",
        "EnvoyGeneratorSchedule",
        "exercise_duration",
        _GEN_SCHEDULE,
        _GEN_SCHEDULE_SRC,
    ),
    _g(
        "enphase_generator_default_start_soc_ratio",
        "Default battery charge that starts the generator",
        "EnvoyGeneratorSchedule",
        "default_start_soc",
        _GEN_SCHEDULE,
        _GEN_SCHEDULE_SRC,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
    _g(
        "enphase_generator_default_stop_soc_ratio",
        "Default battery charge that stops the generator",
        "EnvoyGeneratorSchedule",
        "default_stop_soc",
        _GEN_SCHEDULE,
        _GEN_SCHEDULE_SRC,
        unit="ratio",
        scale=PERCENT_TO_RATIO,
    ),
)

SPECS: tuple[MetricSpec, ...] = (*DEVICES, *DRY_CONTACTS, *STORAGE, *GENERATOR)
