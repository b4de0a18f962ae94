"""The IQ System Controller (Enpower), from /ivp/ensemble/inventory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class EnvoyEnpower:
    """The IQ System Controller: grid relay state and device information."""

    #: e.g. "multimode-ongrid" (Enpwr_grid_mode)
    grid_mode: str
    admin_state: int
    admin_state_str: str
    comm_level_2_4_ghz: int
    comm_level_sub_ghz: int
    communicating: bool
    firmware_loaded_date: int
    firmware_version: str
    installed_date: int
    last_report_date: int
    #: grid relay as requested: "closed" (on grid) or "open"
    mains_admin_state: str
    #: grid relay as it is
    mains_oper_state: str
    #: not reported by firmware 8 and newer
    operating: bool | None
    part_number: str
    serial_number: str
    temperature: int
    temperature_unit: str
    #: not reported by firmware 8 and newer
    zigbee_dongle_fw_version: str | None

    @classmethod
    def from_api(cls, enpower: dict[str, Any]) -> EnvoyEnpower:
        """Build from the device of the ENPOWER inventory entry."""
        return cls(
            grid_mode=enpower["Enpwr_grid_mode"],
            admin_state=enpower["admin_state"],
            admin_state_str=enpower["admin_state_str"],
            comm_level_2_4_ghz=enpower["comm_level_2_4_ghz"],
            comm_level_sub_ghz=enpower["comm_level_sub_ghz"],
            communicating=enpower["communicating"],
            firmware_loaded_date=enpower["img_load_date"],
            firmware_version=enpower["img_pnum_running"],
            installed_date=enpower["installed"],
            last_report_date=enpower["last_rpt_date"],
            mains_admin_state=enpower["mains_admin_state"],
            mains_oper_state=enpower["mains_oper_state"],
            operating=enpower.get("operating"),
            part_number=enpower["part_num"],
            serial_number=enpower["serial_num"],
            temperature=enpower["temperature"],
            # the controller's sensor reads in Fahrenheit, unlike the batteries'
            temperature_unit="F",
            zigbee_dongle_fw_version=enpower.get("zigbee_dongle_fw_version"),
        )
