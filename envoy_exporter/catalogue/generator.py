"""Standby generator behind the system controller: state, configuration, exercise schedule."""

from __future__ import annotations

from .spec import PERCENT_TO_RATIO, MetricSpec, field_builder, info_metric, one

_g = field_builder("ensemble")


_PART = ("generator",)
_GEN = one("generator", _PART)
_GEN_SRC = "/ivp/ensemble/generator"
_GEN_CONFIG = one("generator_config", _PART)
_GEN_CONFIG_SRC = "/ivp/ss/gen_config"
_GEN_SCHEDULE = one("generator_schedule", _PART)
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

SPECS: tuple[MetricSpec, ...] = GENERATOR
