"""Network interface information from /home."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNKNOWN = "unknown"


@dataclass(slots=True, frozen=True)
class EnvoyInterfaceInformation:
    """The gateway's primary (active) network interface."""

    #: name of the primary interface ("eth0", "wlan0")
    primary_interface: str
    #: its MAC address, "unknown" if not given
    mac: str
    #: its type ("ethernet", "wifi"), "unknown" if not given
    interface_type: str
    #: whether it uses DHCP, False if not given
    dhcp: bool
    #: build time of the gateway software (epoch seconds), 0 if not given
    software_build_epoch: int
    #: the gateway's time zone, "unknown" if not given
    timezone: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyInterfaceInformation | None:
        """Build from the /home answer; None when it names no primary interface found in it."""
        network = data.get("network")
        if not network:
            return None
        name = network.get("primary_interface")
        interface = next(
            (
                entry
                for entry in network.get("interfaces") or []
                if isinstance(entry, dict) and entry.get("interface") == name
            ),
            None,
        )
        if interface is None:
            return None
        return cls(
            primary_interface=name,
            mac=interface.get("mac", UNKNOWN),
            interface_type=interface.get("type", UNKNOWN),
            dhcp=interface.get("dhcp", False),
            software_build_epoch=data.get("software_build_epoch", 0),
            timezone=data.get("timezone", UNKNOWN),
        )
