"""The IQ Combiner 6C controller (C6CC), from /ivp/ensemble/inventory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Keys a usable C6CC entry has; an entry missing any of them is skipped, not an error.
C6CC_KEYS = frozenset(
    {
        "admin_state",
        "admin_state_str",
        "communicating",
        "dmir_version",
        "fw_version",
        "img_load_date",
        "installed",
        "last_rpt_date",
        "part_num",
        "serial_num",
    }
)


@dataclass(slots=True)
class EnvoyC6CC:
    """The C6 Combiner controller."""

    admin_state: int
    admin_state_str: str
    firmware_loaded_date: int
    #: fw_version (this device has no img_pnum_running)
    firmware_version: str
    installed_date: int
    last_report_date: int
    communicating: bool
    part_number: str
    serial_number: str
    dmir_version: str

    @classmethod
    def from_api(cls, inventory: dict[str, Any]) -> EnvoyC6CC | None:
        """Build from the device of the C6 COMBINER CONTROLLER entry; None if keys are missing."""
        if not C6CC_KEYS.issubset(inventory):
            return None
        return cls(
            admin_state=inventory["admin_state"],
            admin_state_str=inventory["admin_state_str"],
            firmware_loaded_date=inventory["img_load_date"],
            firmware_version=inventory["fw_version"],
            installed_date=inventory["installed"],
            last_report_date=inventory["last_rpt_date"],
            communicating=inventory["communicating"],
            part_number=inventory["part_num"],
            serial_number=inventory["serial_num"],
            dmir_version=inventory["dmir_version"],
        )
