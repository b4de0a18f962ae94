"""Microinverters: from /api/v1/production/inverters or /ivp/pdm/device_data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .counters import LIFETIME
from .inverter_status import bool_field

JOULES_PER_WH = 3600.0


def _milli(value: float | None) -> float | None:
    return None if value is None else value / 1000.0


@dataclass(slots=True)
class EnvoyInverter:
    """One microinverter's last report."""

    serial_number: str
    #: end of the last report (epoch seconds)
    last_report_date: int
    #: power in the last report (W)
    last_report_watts: int
    #: highest power reported (W)
    max_report_watts: int
    # Only device data has these (None from the v1 API).
    dc_voltage: float | None = None
    dc_current: float | None = None
    ac_voltage: float | None = None
    ac_current: float | None = None
    ac_frequency: float | None = None
    temperature: float | None = None
    #: lifetime energy produced (Wh)
    lifetime_energy: int | None = field(default=None, metadata=LIFETIME)
    #: average power over the last report's period (W)
    energy_produced: float | None = None
    #: energy produced today (Wh)
    energy_today: int | None = None
    #: length of the last report's period (s)
    last_report_duration: int | None = None
    #: device data's modGone: seen on inverters the gateway no longer hears (the inventory
    #: calls them not communicating) and on removed ones
    mod_gone: bool | None = None

    @classmethod
    def from_v1_api(cls, data: dict[str, Any]) -> EnvoyInverter:
        """Build from one entry of /api/v1/production/inverters."""
        return cls(
            serial_number=data["serialNumber"],
            last_report_date=data["lastReportDate"],
            last_report_watts=data["lastReportWatts"],
            max_report_watts=data["maxReportWatts"],
        )

    @classmethod
    def from_device_data(cls, data: dict[str, Any]) -> EnvoyInverter:
        """Build from one "pcu" device of /ivp/pdm/device_data.

        Serial number, end date, current and maximum power are required (KeyError
        otherwise); every other value is None when the gateway leaves it out.
        """
        channel = data["channels"][0]
        reading = channel["lastReading"]
        duration = reading.get("duration")
        period_joules = reading.get("joulesProduced")
        lifetime_joules = (channel.get("lifetime") or {}).get("joulesProduced")
        watt_hours = channel.get("wattHours") or {}
        return cls(
            serial_number=data["sn"],
            last_report_date=reading["endDate"],
            last_report_watts=channel["watts"]["now"],
            max_report_watts=channel["watts"]["max"],
            dc_voltage=_milli(reading.get("dcVoltageINmV")),
            dc_current=_milli(reading.get("dcCurrentINmA")),
            ac_voltage=_milli(reading.get("acVoltageINmV")),
            ac_current=_milli(reading.get("acCurrentInmA")),
            ac_frequency=_milli(reading.get("acFrequencyINmHz")),
            temperature=reading.get("channelTemp"),
            lifetime_energy=(
                None if lifetime_joules is None else round(lifetime_joules / JOULES_PER_WH)
            ),
            # joules over the period / seconds = W; the reference rounds to 3 decimals
            energy_produced=(
                round(period_joules / duration / 3.6, 3)
                if period_joules is not None and duration and duration > 0
                else None
            ),
            energy_today=watt_hours.get("today"),
            last_report_duration=duration,
            mod_gone=bool_field(data, "modGone"),
        )
