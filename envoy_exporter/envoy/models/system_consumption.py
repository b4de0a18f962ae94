"""Consumption totals (total or net) from the consumption section of /production(.json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .counters import LIFETIME


@dataclass(slots=True)
class EnvoySystemConsumption:
    """Energy and power of one consumption meter: total (house) or net (grid)."""

    #: lifetime energy consumed (Wh)
    watt_hours_lifetime: int = field(metadata=LIFETIME)
    #: energy consumed in the 7 days before today (Wh)
    watt_hours_last_7_days: int
    #: energy consumed since the start of the day (Wh)
    watt_hours_today: int
    #: power consumed now (W)
    watts_now: int

    @classmethod
    def from_production(
        cls, data: dict[str, Any], consumption_segment: int = 0
    ) -> EnvoySystemConsumption:
        """Build from entry `consumption_segment` of the consumption section.

        The gateway lists total consumption first (0) and net consumption second (1).
        """
        return cls._from_values(data["consumption"][consumption_segment])

    @classmethod
    def from_production_phase(
        cls, data: dict[str, Any], phase: int, consumption_segment: int = 0
    ) -> EnvoySystemConsumption | None:
        """Build from line `phase` (0-2) of a consumption entry; None when there is none."""
        lines = data["consumption"][consumption_segment].get("lines")
        if not lines or phase >= len(lines):
            return None
        return cls._from_values(lines[phase])

    @classmethod
    def _from_values(cls, values: dict[str, Any]) -> EnvoySystemConsumption:
        return cls(
            watt_hours_lifetime=round(values["whLifetime"]),
            watt_hours_last_7_days=round(values["whLastSevenDays"]),
            watt_hours_today=round(values["whToday"]),
            watts_now=round(values["wNow"]),
        )
