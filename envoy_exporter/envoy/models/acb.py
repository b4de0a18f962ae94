"""AC Batteries (ACB): the aggregate in production.json, the combined SOC, one entry per device."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Set in an ACB's device_status while the battery is in sleep mode.
SLEEP_MODE_FLAG = "envoy.cond_flags.pcu_ctrl.sleep-mode"


class ACBChargeStatus(StrEnum):
    """Charge status one ACB reports in /inventory."""

    CHARGING = "charging"
    DISCHARGING = "discharging"
    IDLE = "idle"
    UNKNOWN = "unknown"


class ACBSleepState(StrEnum):
    """Where an ACB is in its sleep cycle: requested sleep vs. the gateway's sleep flag."""

    AWAKE = "awake"
    GOING_TO_SLEEP = "going_to_sleep"
    ASLEEP = "asleep"
    WAKING = "waking"


@dataclass(slots=True)
class EnvoyACBPower:
    """All ACBs together, from the first `storage` entry of production.json."""

    #: charge (negative) or discharge (positive) power in W (wNow)
    power: int
    #: energy stored now in Wh (whNow)
    charge_wh: int
    #: state of charge in % (percentFull)
    state_of_charge: int
    #: "charging", "discharging" or "idle" (state)
    state: str
    #: number of ACBs reporting (activeCount)
    batteries: int

    @classmethod
    def from_production(cls, data: dict[str, Any], acb_segment: int = 0) -> EnvoyACBPower:
        """Build from the whole production.json answer; `acb_segment` picks the storage entry."""
        segment = data["storage"][acb_segment]
        return cls(
            power=segment["wNow"],
            charge_wh=segment["whNow"],
            state_of_charge=segment["percentFull"],
            state=segment["state"],
            batteries=segment["activeCount"],
        )


@dataclass(slots=True)
class EnvoyBatteryAggregate:
    """IQ Batteries (Encharge) and ACBs together, from /ivp/ensemble/secctrl."""

    #: Encharge plus ACB stored energy in Wh (ENC_agg_avail_energy + ACB_agg_energy)
    available_energy: int
    #: combined state of charge in % (agg_soc)
    state_of_charge: int
    #: combined capacity in Wh (Max_energy)
    max_available_capacity: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyBatteryAggregate:
        """Build from the secctrl answer."""
        return cls(
            available_energy=data["ENC_agg_avail_energy"] + data["ACB_agg_energy"],
            state_of_charge=data["agg_soc"],
            max_available_capacity=data["Max_energy"],
        )


@dataclass(slots=True)
class EnvoyACB:
    """One AC Battery, from its /inventory entry and its /api/v1/production/inverters row."""

    serial_num: str
    part_num: str
    sleep_enabled: bool
    charge_status: ACBChargeStatus
    #: status flags as reported, e.g. "envoy.global.ok"
    device_status: list[str]
    percent_full: int
    max_cell_temp: int | None
    communicating: bool
    operating: bool
    producing: bool
    sleep_min_soc: int | None
    sleep_max_soc: int | None
    #: from the inverters report (devType 11); None when the ACB is not in it
    last_report_date: int | None
    last_report_watts: int | None
    max_report_watts: int | None

    @property
    def sleep_state(self) -> ACBSleepState:
        """Combine the requested sleep (sleep_enabled) with the gateway's sleep flag."""
        flagged = SLEEP_MODE_FLAG in self.device_status
        if self.sleep_enabled:
            return ACBSleepState.ASLEEP if flagged else ACBSleepState.GOING_TO_SLEEP
        return ACBSleepState.WAKING if flagged else ACBSleepState.AWAKE

    @classmethod
    def from_api(cls, device: dict[str, Any], report: dict[str, Any] | None = None) -> EnvoyACB:
        """Build from an ACB device of /inventory and, if known, its v1 inverters row."""
        row = report or {}
        return cls(
            serial_num=str(device["serial_num"]),
            part_num=device.get("part_num", ""),
            sleep_enabled=bool(device.get("sleep_enabled", False)),
            charge_status=_charge_status(device.get("charge_status")),
            device_status=[str(flag) for flag in device.get("device_status", [])],
            percent_full=device.get("percentFull", 0),
            max_cell_temp=device.get("maxCellTemp"),
            communicating=bool(device.get("communicating", False)),
            operating=bool(device.get("operating", False)),
            producing=bool(device.get("producing", False)),
            sleep_min_soc=device.get("sleep_min_soc"),
            sleep_max_soc=device.get("sleep_max_soc"),
            last_report_date=row.get("lastReportDate"),
            last_report_watts=row.get("lastReportWatts"),
            max_report_watts=row.get("maxReportWatts"),
        )


def _charge_status(value: Any) -> ACBChargeStatus:
    # Firmware spells the status in varying case and may add new ones; keep the known ones.
    try:
        return ACBChargeStatus(str(value).lower())
    except ValueError:
        return ACBChargeStatus.UNKNOWN
