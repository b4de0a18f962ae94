"""AC Batteries (ACB), the storage before IQ Batteries: production.json's `storage` entry,
their /inventory.json devices and their rows (devType 11) in the v1 inverters report.

They share the site's battery schedule with the IQ Batteries, in proportion to capacity
(`SiteModel.acb_share`), so the site's energy balance holds with both kinds installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import ProfileSource
from .physics import SiteModel

ACB_PN = "800-00930-r03"
ACB_DEV_TYPE = 11
#: an ACB's inverter, as its v1 report states it
ACB_MAX_WATTS = 270


@dataclass
class AcBatteries:
    model: SiteModel
    serial_base: int

    @property
    def serials(self) -> list[str]:
        return [str(self.serial_base + 47 * i) for i in range(self.model.params.acbs)]

    def power(self, now: float) -> float:
        """All ACBs' power in W, positive when discharging."""
        return self.model.flows(now).battery * self.model.acb_share

    def _state(self, watts: float) -> str:
        return "idle" if round(watts) == 0 else ("discharging" if watts > 0 else "charging")

    def storage(self, now: float) -> dict[str, Any]:
        """production.json's `storage` entry."""
        watts, soc = self.power(now), self.model.soc(now)
        return {
            "type": "acb",
            "activeCount": len(self.serials),
            "readingTime": int(now) - int(now) % 60,
            "wNow": round(watts),
            "whNow": round(self.model.params.acb_capacity_wh * soc / 100),
            "state": self._state(watts),
            "percentFull": round(soc),
        }

    def devices(self, now: float) -> list[dict[str, Any]]:
        installed = str(int(self.model.params.install_time))
        watts = self.power(now)
        return [
            {
                "part_num": ACB_PN,
                "installed": installed,
                "serial_num": serial,
                "device_status": ["envoy.global.ok"],
                "last_rpt_date": str(int(now) - int(now) % 300),
                "admin_state": 2,
                "dev_type": ACB_DEV_TYPE,
                "created_date": installed,
                "img_load_date": installed,
                "img_pnum_running": "520-00092-r01-v02.13.02",
                "ptpn": "540-00155-r01-v02.13.01",
                "chaneid": 1_795_162_385 + i,
                "device_control": [{"gficlearset": False}],
                "producing": watts > 0,
                "communicating": True,
                "provisioned": True,
                "operating": True,
                "sleep_enabled": False,
                "percentFull": round(self.model.soc(now)),
                "maxCellTemp": 30 + i,
                "sleep_min_soc": 25,
                "sleep_max_soc": 30,
                "charge_status": self._state(watts),
            }
            for i, serial in enumerate(self.serials)
        ]

    def inventory(self, site: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
        """The site's /inventory.json with the ACBs in its ACB section."""
        return [
            {**entry, "devices": self.devices(now)} if entry.get("type") == "ACB" else entry
            for entry in site
        ]

    def reports(self, now: float) -> list[dict[str, Any]]:
        """The ACBs' rows of /api/v1/production/inverters."""
        at = int(now) - int(now) % 300
        # an ACB reports its inverter's output, whichever way the energy flows
        watts = round(abs(self.power(now)) / max(len(self.serials), 1))
        return [
            {
                "serialNumber": serial,
                "lastReportDate": at,
                "devType": ACB_DEV_TYPE,
                "lastReportWatts": watts,
                "maxReportWatts": ACB_MAX_WATTS,
            }
            for serial in self.serials
        ]


def register_acbs(source: ProfileSource, acbs: AcBatteries) -> None:
    """Add the ACBs to a metered site's production documents, inventory (routed before) and
    v1 report."""
    for path in ("/production.json", "/production"):
        source.route(path, _with_storage(source.builder(path), acbs))
    inverters = source.builder("/api/v1/production/inverters")
    source.route(
        "/api/v1/production/inverters", lambda now, q: [*inverters(now, q), *acbs.reports(now)]
    )
    inventory = source.builder("/inventory.json")
    source.route("/inventory.json", lambda now, q: acbs.inventory(inventory(now, q), now))


def _with_storage(builder: Any, acbs: AcBatteries) -> Any:
    def build(now: float, query: dict[str, list[str]]) -> Any:
        doc = builder(now, query)
        doc["storage"] = [acbs.storage(now)]
        return doc

    return build
