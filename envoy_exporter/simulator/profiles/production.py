"""Microinverters and the production documents: /api/v1/production[/inverters], production.json."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .meters import Grid, eim_entry
from .physics import SLOT_SECONDS, SiteModel, unit

#: microinverters report to the gateway every five minutes
REPORT_SECONDS = SLOT_SECONDS
#: an IQ7-series microinverter, as /inventory.json names its part
PCU_PN = "800-00630-r02"


@dataclass(frozen=True)
class Inverter:
    serial: str
    share: float  # fraction of the site's production
    offset: int  # seconds after each 5-minute boundary at which it reports


@dataclass
class Fleet:
    """The site's microinverters: who they are and when they report."""

    model: SiteModel
    inverters: list[Inverter] = field(init=False)

    def __post_init__(self) -> None:
        p = self.model.params
        raw = [0.9 + 0.2 * unit(p.seed, i, 3) for i in range(p.inverters)]
        total = sum(raw) or 1.0
        # 7919 is prime, so the serials stay distinct for any fleet size
        first = 121_500_000_000 + serial_block(p.seed)
        self.inverters = [
            Inverter(
                serial=str(first + 7919 * i),
                share=raw[i] / total,
                offset=int(unit(p.seed, i, 4) * 60),
            )
            for i in range(p.inverters)
        ]

    def last_report(self, inverter: Inverter, now: float) -> int:
        """When `inverter` last reported, at or before `now`."""
        return math.floor((now - inverter.offset) / REPORT_SECONDS) * REPORT_SECONDS + (
            inverter.offset
        )

    def reports(self, now: float) -> list[dict[str, Any]]:
        """/api/v1/production/inverters."""
        totals: dict[int, float] = {}
        peak = self.model.params.peak_w
        doc = []
        for inv in self.inverters:
            at = self.last_report(inv, now)
            slot = at - at % REPORT_SECONDS
            if slot not in totals:
                totals[slot] = sum(self.model.flows(at).production)
            doc.append(
                {
                    "serialNumber": inv.serial,
                    "lastReportDate": at,
                    "devType": 1,
                    "lastReportWatts": round(totals[slot] * inv.share),
                    # the sun curve and clouds never exceed 1.1 x peak
                    "maxReportWatts": math.ceil(peak * inv.share * 1.1),
                }
            )
        return doc

    def inventory(self, now: float) -> list[dict[str, Any]]:
        """/inventory.json: the microinverters (PCU) with the serials of their reports, beside
        the empty sections of a site without AC Batteries."""
        return [
            {"type": "PCU", "devices": self.devices(now)},
            {"type": "ACB", "devices": []},
            {"type": "NSRB", "devices": []},
            {"type": "ESUB", "devices": []},
        ]

    def devices(self, now: float) -> list[dict[str, Any]]:
        """The PCU devices of /inventory.json, healthy, producing while their report does."""
        installed = str(int(self.model.params.install_time))
        return [
            {
                "part_num": PCU_PN,
                "installed": installed,
                "serial_num": report["serialNumber"],
                "device_status": ["envoy.global.ok"],
                "last_rpt_date": str(report["lastReportDate"]),
                "admin_state": 1,
                "dev_type": 1,
                "created_date": installed,
                "img_load_date": installed,
                "img_pnum_running": "520-00082-r01-v04.30.32",
                "ptpn": "540-00134-r01-v04.30.10",
                "chaneid": 1_627_390_000 + i,
                "device_control": [{"gficlearset": False}],
                "producing": report["lastReportWatts"] > 0,
                "communicating": True,
                "provisioned": True,
                "operating": True,
            }
            for i, report in enumerate(self.reports(now))
        ]

    def section(self, now: float) -> dict[str, Any]:
        """The `inverters` entry of production.json (as of the last report round)."""
        at = math.floor(now / REPORT_SECONDS) * REPORT_SECONDS
        return {
            "type": "inverters",
            "activeCount": len(self.inverters),
            "readingTime": at,
            "wNow": round(sum(self.model.flows(at).production)),
            "whLifetime": round(sum(self.model.energy(at).production)),
        }


def serial_block(seed: int) -> int:
    """A per-seed serial block, far enough apart for 100 000 inverters."""
    return int(unit(seed, 5) * 3_000) * 10_000_000


def api_v1_production(model: SiteModel, now: float) -> dict[str, Any]:
    """/api/v1/production."""
    midnight = model.local_midnight(now)
    return {
        "wattHoursToday": round(model.produced_between(midnight, now)),
        "wattHoursSevenDays": round(model.produced_between(midnight - 6 * 86400, now)),
        "wattHoursLifetime": round(sum(model.energy(now).production)),
        "wattsNow": round(sum(model.flows(now).production)),
    }


def acb_storage() -> dict[str, Any]:
    """The `storage` entry of production.json on a site without AC batteries."""
    return {
        "type": "acb",
        "activeCount": 0,
        "readingTime": 0,
        "wNow": 0,
        "whNow": 0,
        "state": "idle",
    }


def production_json(
    fleet: Fleet, grid: Grid | None, now: float, details: bool, *, noct_eim: bool = False
) -> dict[str, Any]:
    """production.json: inverters, then the CTs' eim entries when metered (`grid` set).

    `noct_eim` adds the production eim entry a gateway without CTs shows, with activeCount 0.
    """
    model = fleet.model
    production: list[dict[str, Any]] = [fleet.section(now)]
    doc: dict[str, Any] = {"production": production}
    if grid is not None:
        production.append(eim_entry(model, grid, "production", now, details))
        doc["consumption"] = [
            eim_entry(model, grid, "total-consumption", now, details),
            eim_entry(model, grid, "net-consumption", now, details),
        ]
    elif noct_eim:
        nominal = Grid(voltage=240.0, freq=60.0, phase_mode="single")
        production.append(eim_entry(model, nominal, "production", now, details, active=False))
    doc["storage"] = [acb_storage()]
    return doc
