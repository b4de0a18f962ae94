"""A standby generator wired to the IQ System Controller: status, configuration, schedule, mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class EnvoyGenerator:
    """Generator relay and run state, from /ivp/ensemble/generator."""

    #: relay as requested, e.g. "open", "close", "unknown"
    admin_state: str
    #: relay as it is
    oper_state: str
    admin_mode: int
    schedule: int
    #: battery state of charge (%) that starts the generator
    start_soc: int
    #: battery state of charge (%) that stops it; -1 when unset
    stop_soc: int
    #: 1 while an exercise run is on
    exc_on: int
    present: bool
    type: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyGenerator:
        """Build from the generator answer."""
        return cls(
            admin_state=data["admin_state"],
            oper_state=data["oper_state"],
            admin_mode=data["admin_mode"],
            schedule=data["schedule"],
            start_soc=data["start_soc"],
            stop_soc=data["stop_soc"],
            exc_on=data["exc_on"],
            present=bool(data["present"]),
            type=data["type"],
        )


@dataclass(slots=True)
class EnvoyGeneratorConfig:
    """Generator configuration, from /ivp/ss/gen_config (an empty object: no generator)."""

    max_cont_gen_amps: float
    min_gen_loading_perc: int
    max_gen_efficiency_perc: int
    #: rating as entered at installation: seen holding kW (14.0) despite the name
    name_plate_rating_wat: float
    start_method: str
    warm_up_mins: int
    cool_down_mins: int
    gen_type: str
    model: str
    manufacturer: str
    last_updated_by: str
    generator_id: str
    charge_from_generator: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyGeneratorConfig:
        """Build from the gen_config answer."""
        return cls(**{name: data[name] for name in _CONFIG_FIELDS})

    def to_api(self) -> dict[str, Any]:
        """The configuration as the gateway takes it back."""
        return {name: getattr(self, name) for name in _CONFIG_FIELDS}


# The configuration's field names are the gateway's own keys.
_CONFIG_FIELDS = tuple(EnvoyGeneratorConfig.__dataclass_fields__)


@dataclass(slots=True)
class EnvoyGeneratorMode:
    """Requested generator mode, from /ivp/ss/gen_mode."""

    #: "off", "on" or "auto"
    gen_cmd: str
    last_updated_by: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyGeneratorMode:
        """Build from the gen_mode answer."""
        return cls(gen_cmd=data["gen_cmd"], last_updated_by=data["last_updated_by"])


@dataclass(slots=True)
class EnvoyGeneratorSchedule:
    """Exercise runs and state-of-charge thresholds, from /ivp/ss/gen_schedule.

    The gateway only includes exercise_config once an exercise is set up in the app;
    without it the answer is not a usable schedule (from_api raises KeyError).
    """

    exercise_freq_in_weeks: int
    #: minutes after midnight
    exercise_start: int
    #: minutes
    exercise_duration: int
    exercise_day: str
    default_start_soc: int
    default_stop_soc: int
    last_updated_by: str
    #: the periods, kept as the gateway sent them
    schedule: dict[str, Any]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyGeneratorSchedule:
        """Build from the gen_schedule answer."""
        exercise = data["exercise_config"]
        soc = data["default_soc"]
        return cls(
            exercise_freq_in_weeks=exercise["freq_in_weeks"],
            exercise_start=exercise["start"],
            exercise_duration=exercise["duration"],
            exercise_day=exercise["day"],
            default_start_soc=soc["start_soc"],
            default_stop_soc=soc["stop_soc"],
            last_updated_by=data["last_updated_by"],
            schedule=data["schedule"],
        )

    def to_api(self) -> dict[str, Any]:
        """The schedule as the gateway takes it back."""
        return {
            "exercise_config": {
                "freq_in_weeks": self.exercise_freq_in_weeks,
                "start": self.exercise_start,
                "duration": self.exercise_duration,
                "day": self.exercise_day,
            },
            "default_soc": {
                "start_soc": self.default_start_soc,
                "stop_soc": self.default_stop_soc,
            },
            "schedule": self.schedule,
            "last_updated_by": self.last_updated_by,
        }
