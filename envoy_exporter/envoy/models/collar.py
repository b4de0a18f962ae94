"""The IQ Meter Collar, from /ivp/ensemble/inventory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Keys a usable collar entry has. The spec makes an entry missing any of them "no collar"
# (None) rather than an error, so one odd entry does not fail the whole ensemble update.
COLLAR_KEYS = frozenset(
    {
        "admin_state",
        "admin_state_str",
        "collar_state",
        "communicating",
        "control_error",
        "grid_state",
        "img_load_date",
        "img_pnum_running",
        "installed",
        "last_rpt_date",
        "mid_state",
        "part_num",
        "serial_num",
        "temperature",
    }
)


@dataclass(slots=True)
class EnvoyCollar:
    """The IQ Meter Collar (a meter and grid relay fitted under the utility meter)."""

    admin_state: int
    admin_state_str: str
    firmware_loaded_date: int
    firmware_version: str
    installed_date: int
    last_report_date: int
    communicating: bool
    #: microgrid interconnect device state, e.g. "close"
    mid_state: str
    #: e.g. "on_grid"
    grid_state: str
    part_number: str
    serial_number: str
    temperature: int
    temperature_unit: str
    control_error: int
    collar_state: str

    @classmethod
    def from_api(cls, inventory: dict[str, Any]) -> EnvoyCollar | None:
        """Build from the device of the COLLAR inventory entry; None if keys are missing."""
        if not COLLAR_KEYS.issubset(inventory):
            return None
        return cls(
            admin_state=inventory["admin_state"],
            admin_state_str=inventory["admin_state_str"],
            firmware_loaded_date=inventory["img_load_date"],
            firmware_version=inventory["img_pnum_running"],
            installed_date=inventory["installed"],
            last_report_date=inventory["last_rpt_date"],
            communicating=inventory["communicating"],
            mid_state=inventory["mid_state"],
            grid_state=inventory["grid_state"],
            part_number=inventory["part_num"],
            serial_number=inventory["serial_num"],
            temperature=inventory["temperature"],
            temperature_unit="C",
            control_error=inventory["control_error"],
            collar_state=inventory["collar_state"],
        )
