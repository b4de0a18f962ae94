"""CT meters: their configuration (/ivp/meters) and readings (/ivp/meters/readings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, TypedDict, TypeVar

from .counters import LIFETIME

E = TypeVar("E", bound=StrEnum)


def enum_or_none(kind: type[E], value: Any) -> E | None:
    """`value` as a member of `kind`, None when the gateway sent something unknown."""
    # A dict lookup instead of kind(value): CT readings convert a dozen states at every
    # power refresh, and the enum call costs ten times as much.
    try:
        return _members(kind).get(value)
    except TypeError:  # an unhashable value (a list or object where a string belongs)
        return None


@cache
def _members(kind: type[E]) -> dict[Any, E]:
    return {member.value: member for member in kind}


class EnvoyPhaseMode(StrEnum):
    """How the CTs of a gateway are wired to the grid."""

    SPLIT = "split"
    THREE = "three"
    SINGLE = "single"


class CtType(StrEnum):
    """What a CT measures (its measurementType)."""

    PRODUCTION = "production"
    NET_CONSUMPTION = "net-consumption"
    TOTAL_CONSUMPTION = "total-consumption"
    STORAGE = "storage"
    # Beyond the spec: firmware 8.3 with an IQ Meter Collar or a System Controller 3
    # lists these too (read, counted as CTs, but given no EnvoyData field).
    BACKFEED = "backfeed"
    LOAD = "load"
    EVSE = "evse"
    PV3P = "pv3p"


class CtState(StrEnum):
    """Whether a CT is in use."""

    ENABLED = "enabled"
    DISABLED = "disabled"


class CtMeterStatus(StrEnum):
    """Metering status the gateway reports for a CT."""

    NORMAL = "normal"
    NOT_METERING = "not-metering"
    CHECK_WIRING = "check-wiring"


class CtStatusFlags(StrEnum):
    """Fault flags the gateway may raise on a CT (the spec's spelling kept)."""

    PODUCTION_IMBALANCE = "production-imbalance"
    NEGATIVE_PRODUCTION = "negative-production"
    POWER_ON_UNUSED_PHASE = "power-on-unused-phase"
    NEGATIVE_TOTAL_CONSUMPTION = "negative-total-consumption"


class CtMeterData(TypedDict):
    """One entry of the /ivp/meters list (the CT's configuration)."""

    eid: str
    state: CtState
    measurementType: CtType
    phaseMode: EnvoyPhaseMode
    phaseCount: int
    meteringStatus: CtMeterStatus
    statusFlags: list[CtStatusFlags]


@dataclass(slots=True)
class EnvoyMeterData:
    """One CT reading, for all phases together or for one phase (channel)."""

    #: CT identifier (the channel's own eid for phase data)
    eid: str
    #: time of the reading (epoch seconds)
    timestamp: int
    #: lifetime energy delivered through the CT (Wh)
    energy_delivered: int = field(metadata=LIFETIME)
    #: lifetime energy received through the CT (Wh)
    energy_received: int = field(metadata=LIFETIME)
    #: power through the CT now (W), positive when delivering
    active_power: int
    power_factor: float
    #: volts; for the aggregate of a multiphase CT the gateway sums the phases
    voltage: float
    current: float
    frequency: float
    state: CtState | None
    measurement_type: CtType | None
    metering_status: CtMeterStatus | None
    status_flags: list[CtStatusFlags] | None

    @classmethod
    def from_api(cls, data: dict[str, Any], meter_status: CtMeterData) -> EnvoyMeterData:
        """Build from one /ivp/meters/readings entry and its /ivp/meters entry."""
        return cls(
            eid=data["eid"],
            timestamp=data["timestamp"],
            energy_delivered=round(data["actEnergyDlvd"]),
            energy_received=round(data["actEnergyRcvd"]),
            active_power=round(data["activePower"]),
            power_factor=data["pwrFactor"],
            voltage=data["voltage"],
            current=data["current"],
            frequency=data["freq"],
            state=enum_or_none(CtState, meter_status["state"]),
            measurement_type=enum_or_none(CtType, meter_status["measurementType"]),
            metering_status=enum_or_none(CtMeterStatus, meter_status["meteringStatus"]),
            status_flags=_status_flags(meter_status),
        )

    @classmethod
    def from_phase(
        cls, data: dict[str, Any], meter_status: CtMeterData, phase: int
    ) -> EnvoyMeterData | None:
        """Build from channel `phase` (0-2) of a reading; None if there is no such channel."""
        channels = data.get("channels")
        if not channels or phase >= len(channels):
            return None
        return cls.from_api(channels[phase], meter_status)


def _status_flags(meter_status: CtMeterData) -> list[CtStatusFlags] | None:
    # firmware before 7 has no statusFlags; a flag we do not know is left out
    flags = meter_status.get("statusFlags")
    if flags is None:
        return None
    return [flag for raw in flags if (flag := enum_or_none(CtStatusFlags, raw)) is not None]
