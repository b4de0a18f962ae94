"""Current transformers: /ivp/meters, /ivp/meters/readings, production.json's `eim` entries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .physics import SLOT_SECONDS, SiteModel, unit

# gateways number their CTs and the CT channels in steps of 256 from fixed bases
_METER_EID = 704643328
_CHANNEL_EID = 1778385169
_EID_STEP = 256
# real gateways always report three lines, zeroed where no phase is wired
REPORTED_LINES = 3
_POWER_FACTOR = {
    "production": 0.97,
    "net-consumption": 0.82,
    "total-consumption": 0.88,
    "storage": 0.95,
    "backfeed": 0.96,
}
#: the slot of each measurement type in the gateway's CT table
CT_SLOTS = {
    "production": 0,
    "net-consumption": 1,
    "total-consumption": 1,
    "storage": 2,
    "backfeed": 4,
}


@dataclass(frozen=True)
class Line:
    """One line of one CT at one instant: W, and the two lifetime Wh counters."""

    power: float
    delivered: float
    received: float
    voltage: float
    power_factor: float

    @property
    def apparent(self) -> float:
        return abs(self.power) / self.power_factor if self.power else 0.0

    @property
    def reactive(self) -> float:
        app = self.apparent
        return math.sqrt(max(app * app - self.power * self.power, 0.0))

    @property
    def current(self) -> float:
        return self.apparent / self.voltage if self.voltage else 0.0


@dataclass(frozen=True)
class Grid:
    """The electrical side of the site: nominal line voltage, frequency, wired lines."""

    voltage: float
    freq: float
    phase_mode: str  # "single", "split" or "three"

    @property
    def phase_count(self) -> int:
        return {"single": 1, "split": 2, "three": 3}[self.phase_mode]


def _voltage(model: SiteModel, grid: Grid, now: float, line: int) -> float:
    slot = math.floor(now / SLOT_SECONDS)
    return grid.voltage * (1.0 + 0.01 * (2 * unit(model.params.seed, slot, line, 9) - 1))


def ct_lines(model: SiteModel, grid: Grid, measurement: str, now: float) -> list[Line]:
    """The three reported lines of a CT of type `measurement` (unwired lines are all zero)."""
    flows, energy = model.flows(now), model.energy(now)
    pf = _POWER_FACTOR[measurement]
    split = model.params.consumption_split
    lines = []
    for k in range(model.lines):
        if measurement == "production":
            values = (flows.production[k], energy.production[k], energy.production[k] * 0.003)
        elif measurement == "net-consumption":
            values = (flows.net[k], energy.imported[k], energy.exported[k])
        elif measurement == "total-consumption":
            values = (flows.consumption[k], energy.consumption[k], 0.0)
        elif measurement == "storage":
            values = (
                flows.battery * split[k],
                energy.discharged * split[k],
                energy.charged * split[k],
            )
        elif measurement == "backfeed":
            values = (
                flows.production[k] + flows.battery * split[k],
                energy.production[k] + energy.discharged * split[k],
                energy.charged * split[k],
            )
        else:
            raise ValueError(f"unknown CT measurement type {measurement!r}")
        lines.append(Line(*values, _voltage(model, grid, now, k), pf))
    while len(lines) < REPORTED_LINES:
        lines.append(Line(0.0, 0.0, 0.0, 0.0, 1.0))
    return lines


def meters_doc(grid: Grid, measurements: list[str]) -> list[dict[str, Any]]:
    """/ivp/meters: one entry per installed CT."""
    return [
        {
            "eid": _METER_EID + _EID_STEP * CT_SLOTS[m],
            "state": "enabled",
            "measurementType": m,
            "phaseMode": grid.phase_mode,
            "phaseCount": grid.phase_count,
            "meteringStatus": "normal",
            "statusFlags": [],
        }
        for m in measurements
    ]


def _reading(eid: int, now: float, line: Line | list[Line], freq: float) -> dict[str, Any]:
    parts = line if isinstance(line, list) else [line]
    power = sum(p.power for p in parts)
    delivered = sum(p.delivered for p in parts)
    received = sum(p.received for p in parts)
    apparent = sum(p.apparent for p in parts)
    reactive = sum(p.reactive for p in parts)
    return {
        "eid": eid,
        "timestamp": int(now),
        "actEnergyDlvd": round(delivered, 3),
        "actEnergyRcvd": round(received, 3),
        "apparentEnergy": round(sum(_vah(p) for p in parts), 3),
        "reactEnergyLagg": round(sum(_vah(p) for p in parts) * 0.2, 3),
        "reactEnergyLead": round(sum(_vah(p) for p in parts) * 0.01, 3),
        "instantaneousDemand": round(power, 3),
        "activePower": round(power, 3),
        "apparentPower": round(apparent, 3),
        "reactivePower": round(reactive, 3),
        "pwrFactor": round(power / apparent, 3) if apparent else 0.0,
        "voltage": round(sum(p.voltage for p in parts), 3),
        "current": round(sum(p.current for p in parts), 3),
        "freq": freq,
    }


def _vah(line: Line) -> float:
    return (line.delivered + line.received) / line.power_factor


def readings_doc(
    model: SiteModel, grid: Grid, measurements: list[str], now: float
) -> list[dict[str, Any]]:
    """/ivp/meters/readings: each CT's totals, then its three channels."""
    doc = []
    for m in measurements:
        slot = CT_SLOTS[m]
        lines = ct_lines(model, grid, m, now)
        entry = _reading(_METER_EID + _EID_STEP * slot, now, lines, grid.freq)
        entry["channels"] = [
            _reading(_CHANNEL_EID + _EID_STEP * slot + k, now, line, grid.freq)
            for k, line in enumerate(lines)
        ]
        doc.append(entry)
    return doc


def _eim_values(lines: list[Line], lifetime: float, today: float, week: float) -> dict[str, Any]:
    power = sum(p.power for p in lines)
    apparent = sum(p.apparent for p in lines)
    vah = sum(_vah(p) for p in lines)
    day_share = today / lifetime if lifetime > 0 else 0.0
    return {
        "wNow": round(power, 3),
        "whLifetime": round(lifetime, 3),
        "varhLeadLifetime": round(vah * 0.01, 3),
        "varhLagLifetime": round(vah * 0.2, 3),
        "vahLifetime": round(vah, 3),
        "rmsCurrent": round(sum(p.current for p in lines), 3),
        "rmsVoltage": round(sum(p.voltage for p in lines), 3),
        "reactPwr": round(sum(p.reactive for p in lines), 3),
        "apprntPwr": round(apparent, 3),
        "pwrFactor": round(power / apparent, 2) if apparent else 0.0,
        "whToday": round(today, 3),
        "whLastSevenDays": round(week, 3),
        "vahToday": round(vah * day_share, 3),
        "varhLeadToday": round(vah * day_share * 0.01, 3),
        "varhLagToday": round(vah * day_share * 0.2, 3),
    }


def _energy_of(model: SiteModel, measurement: str, now: float) -> list[float]:
    energy = model.energy(now)
    if measurement == "production":
        per_line = list(energy.production)
    elif measurement == "total-consumption":
        per_line = list(energy.consumption)
    else:
        per_line = list(energy.net)
    return per_line + [0.0] * (REPORTED_LINES - len(per_line))


def eim_entry(
    model: SiteModel, grid: Grid, measurement: str, now: float, details: bool, active: bool = True
) -> dict[str, Any]:
    """One `eim` entry of production.json, with per-line `lines` when `details`."""
    head: dict[str, Any] = {
        "type": "eim",
        "activeCount": 1 if active else 0,
        "measurementType": measurement,
        "readingTime": int(now),
    }
    lines = ct_lines(model, grid, measurement, now)
    if not active:
        zero = Line(0.0, 0.0, 0.0, 0.0, 1.0)
        lines = [zero] * REPORTED_LINES
    lifetime = _energy_of(model, measurement, now) if active else [0.0] * REPORTED_LINES
    # the gateway keeps no daily counters for net consumption: they read 0
    counted = active and measurement != "net-consumption"
    midnight = model.local_midnight(now)
    today = _energy_of(model, measurement, midnight) if counted else lifetime
    week = _energy_of(model, measurement, midnight - 6 * 86400) if counted else lifetime
    line_docs = [
        _eim_values([line], lifetime[k], lifetime[k] - today[k], lifetime[k] - week[k])
        for k, line in enumerate(lines)
    ]
    total = _eim_values(lines, sum(lifetime), sum(lifetime) - sum(today), sum(lifetime) - sum(week))
    head.update(total)
    if details:
        head["lines"] = line_docs
    return head
