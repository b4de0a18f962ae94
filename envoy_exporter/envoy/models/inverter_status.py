"""Microinverter health as the gateway's inventory (/inventory.json) reports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: device_status entries start with one of these; the rest names the condition
_STATUS_PREFIXES = ("envoy.cond_flags.", "envoy.global.")


def status_flag(raw: str) -> str:
    """A device_status entry without its prefix: "envoy.cond_flags.pcu_ctrl.dc-pwr-low" is
    "pcu_ctrl.dc-pwr-low", "envoy.global.ok" is "ok"."""
    for prefix in _STATUS_PREFIXES:
        if raw.startswith(prefix):
            return raw[len(prefix) :]
    return raw


def bool_field(device: dict[str, Any], key: str) -> bool | None:
    """The device's `key` when it is a boolean, else None."""
    value = device.get(key)
    return value if isinstance(value, bool) else None


@dataclass(slots=True)
class EnvoyInverterStatus:
    """One microinverter's state in the inventory (each None when the gateway leaves it out)."""

    serial_number: str
    producing: bool | None
    communicating: bool | None
    provisioned: bool | None
    operating: bool | None
    #: the device's status flags without their prefix ("ok" when nothing is wrong)
    status_flags: tuple[str, ...]

    @classmethod
    def from_inventory(cls, device: dict[str, Any]) -> EnvoyInverterStatus:
        """Build from one device of the "PCU" entry of /inventory.json."""
        serial = device["serial_num"]
        if not isinstance(serial, str) or not serial:
            raise ValueError(f"inverter without a serial number: {serial!r}")
        raw_flags = device.get("device_status") or []
        if not isinstance(raw_flags, list):
            raise TypeError(f"device_status is not a list: {raw_flags!r}")
        flags = tuple(sorted({status_flag(f) for f in raw_flags if isinstance(f, str)}))
        return cls(
            serial_number=serial,
            producing=bool_field(device, "producing"),
            communicating=bool_field(device, "communicating"),
            provisioned=bool_field(device, "provisioned"),
            operating=bool_field(device, "operating"),
            status_flags=flags,
        )
