"""Solar production totals: from /api/v1/production, /production(.json) or the 3.x HTML page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .counters import LIFETIME

#: unit prefix -> factor, for the values of the firmware 3.x HTML page
_PREFIX_FACTOR = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}

# One table row of the firmware 3.x /production page: `<td>Today</td> <td> 53.6 kWh</td>`.
_HTML_ROW = re.compile(
    r"<td>\s*(?P<label>[A-Za-z ]+?)\s*</td>\s*<td>\s*(?P<value>[0-9][0-9.,]*)\s*"
    r"(?P<prefix>[kMG]?)(?P<unit>Wh|W)\s*</td>"
)
_HTML_LABELS = {
    "currently": ("W", "watts_now"),
    "today": ("Wh", "watt_hours_today"),
    "past week": ("Wh", "watt_hours_last_7_days"),
    "since installation": ("Wh", "watt_hours_lifetime"),
}


def _section(segments: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """The entry of type `kind` ("eim" meter, "inverters") of a production list, or {}."""
    for segment in segments:
        if segment.get("type") == kind:
            return segment
    return {}


def _meter_section(data: dict[str, Any], meter_required: bool) -> dict[str, Any]:
    meter = _section(data["production"], "eim")
    if meter_required and not meter:
        raise ValueError("no 'eim' entry in the production section")
    return meter


@dataclass(slots=True)
class EnvoySystemProduction:
    """Energy and power of the solar production."""

    #: lifetime energy produced (Wh)
    watt_hours_lifetime: int = field(metadata=LIFETIME)
    #: energy produced in the 7 days before today (Wh)
    watt_hours_last_7_days: int
    #: energy produced since the start of the day (Wh)
    watt_hours_today: int
    #: power produced now (W)
    watts_now: int

    @classmethod
    def from_v1_api(cls, data: dict[str, Any]) -> EnvoySystemProduction:
        """Build from the /api/v1/production answer."""
        return cls(
            watt_hours_lifetime=data["wattHoursLifetime"],
            watt_hours_last_7_days=data["wattHoursSevenDays"],
            watt_hours_today=data["wattHoursToday"],
            watts_now=data["wattsNow"],
        )

    @classmethod
    def from_production(
        cls, data: dict[str, Any], meter_required: bool = True
    ) -> EnvoySystemProduction | None:
        """Build from a /production or /production.json answer.

        With `meter_required` (a gateway known to meter its production) the "eim"
        entry must be there, and an inactive one (activeCount 0) gives None: the
        inverter entry counts differently, so falling back to it would make the
        values jump. Without it, a missing or inactive meter falls back to the
        inverter entry's lifetime energy and power.
        """
        meter = _meter_section(data, meter_required)
        inverters = _section(data["production"], "inverters")
        if not inverters:
            raise ValueError("no 'inverters' entry in the production section")
        if meter_required and not meter["activeCount"]:
            return None
        now_source = meter if meter and meter["activeCount"] else inverters
        # today and last 7 days are wrong in both entries on some firmware; the
        # meter's are taken when it has them, like the reference library does
        return cls(
            watt_hours_lifetime=round(now_source["whLifetime"]),
            watt_hours_last_7_days=round(
                meter.get("whLastSevenDays") or inverters.get("whLastSevenDays") or 0
            ),
            watt_hours_today=round(meter.get("whToday") or inverters.get("whToday") or 0),
            watts_now=round(now_source["wNow"]),
        )

    @classmethod
    def from_production_phase(
        cls, data: dict[str, Any], phase: int, meter_required: bool = True
    ) -> EnvoySystemProduction | None:
        """Build from line `phase` (0-2) of the meter entry; None when there is none."""
        meter = _meter_section(data, meter_required)
        if not meter or (meter_required and not meter["activeCount"]):
            return None
        lines = meter.get("lines")
        if not lines or phase >= len(lines):
            return None
        line = lines[phase]
        return cls(
            watt_hours_lifetime=round(line.get("whLifetime") or 0),
            watt_hours_last_7_days=round(line.get("whLastSevenDays") or 0),
            watt_hours_today=round(line.get("whToday") or 0),
            watts_now=round(line.get("wNow") or 0),
        )

    @classmethod
    def from_production_html(cls, page: str) -> EnvoySystemProduction:
        """Build from the HTML /production page of firmware 3.x (e.g. D3.7.0).

        That firmware has neither /api/v1/production nor production.json; its page
        shows "Currently", "Today", "Past Week" and "Since Installation" in W/kW/MW
        and Wh/kWh/MWh, rounded to three significant digits by the gateway.
        """
        found: dict[str, int] = {}
        for row in _HTML_ROW.finditer(page):
            wanted = _HTML_LABELS.get(" ".join(row["label"].lower().split()))
            if wanted is None:
                continue
            unit, field_name = wanted
            if row["unit"] != unit:
                raise ValueError(f"{row['label']!r} is in {row['prefix']}{row['unit']}")
            value = float(row["value"].replace(",", ""))
            found[field_name] = round(value * _PREFIX_FACTOR[row["prefix"]])
        missing = sorted(name for _, name in _HTML_LABELS.values() if name not in found)
        if missing:
            raise ValueError(f"production page lacks {', '.join(missing)}")
        return cls(**found)
