"""The IQ System Controller's dry contact relays: status and settings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class DryContactStatus(StrEnum):
    """Relay position."""

    OPEN = "open"
    CLOSED = "closed"


class DryContactAction(StrEnum):
    """What a relay does on grid, on microgrid or on generator."""

    APPLY = "apply"
    SHED = "shed"
    SCHEDULE = "schedule"
    NONE = "none"


class DryContactType(StrEnum):
    """What a relay is wired to."""

    NONE = "NONE"
    PV = "PV"
    LOAD = "LOAD"
    THIRD_PARTY_PV = "3RD-PV"


class DryContactMode(StrEnum):
    """Who drives a relay: the user, or the battery state of charge."""

    MANUAL = "manual"
    STATE_OF_CHARGE = "soc"


@dataclass(slots=True)
class EnvoyDryContactStatus:
    """Position of one relay, from /ivp/ensemble/dry_contacts."""

    id: str
    status: DryContactStatus

    @classmethod
    def from_api(cls, relay: dict[str, Any]) -> EnvoyDryContactStatus:
        """Build from one entry of the dry_contacts list."""
        return cls(id=relay["id"], status=DryContactStatus(relay["status"]))


@dataclass(slots=True)
class EnvoyDryContactSettings:
    """Settings of one relay, from /ivp/ss/dry_contact_settings."""

    id: str
    black_start: float | None
    essential_end_time: float | None
    essential_start_time: float | None
    generator_action: DryContactAction
    grid_action: DryContactAction
    load_name: str
    manual_override: bool | None
    micro_grid_action: DryContactAction
    mode: DryContactMode
    override: bool
    priority: float | None
    pv_serial_nb: list[Any]
    soc_high: float
    soc_low: float
    type: DryContactType

    @classmethod
    def from_api(cls, relay: dict[str, Any]) -> EnvoyDryContactSettings:
        """Build from one entry of the dry_contacts list."""
        manual = relay.get("manual_override")
        return cls(
            id=relay["id"],
            black_start=relay.get("black_s_start"),
            essential_end_time=relay.get("essential_end_time"),
            essential_start_time=relay.get("essential_start_time"),
            generator_action=DryContactAction(relay["gen_action"]),
            grid_action=DryContactAction(relay["grid_action"]),
            load_name=relay["load_name"],
            manual_override=_is_true(manual) if manual else None,
            micro_grid_action=DryContactAction(relay["micro_grid_action"]),
            mode=DryContactMode(relay["mode"]),
            override=_is_true(relay["override"]),
            priority=relay.get("priority"),
            pv_serial_nb=relay["pv_serial_nb"],
            soc_high=relay["soc_high"],
            soc_low=relay["soc_low"],
            type=DryContactType(relay["type"]),
        )

    def to_api(self) -> dict[str, Any]:
        """The settings as the gateway takes them back (booleans as "true" / "false")."""
        out: dict[str, Any] = {
            "id": self.id,
            "gen_action": self.generator_action.value,
            "grid_action": self.grid_action.value,
            "load_name": self.load_name,
            "micro_grid_action": self.micro_grid_action.value,
            "mode": self.mode.value,
            "override": _flag(self.override),
            "pv_serial_nb": self.pv_serial_nb,
            "soc_high": self.soc_high,
            "soc_low": self.soc_low,
            "type": self.type.value,
        }
        manual = None if self.manual_override is None else _flag(self.manual_override)
        optional = {
            "black_s_start": self.black_start,
            "essential_start_time": self.essential_start_time,
            "essential_end_time": self.essential_end_time,
            "priority": self.priority,
            "manual_override": manual,
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        return out


def _is_true(value: Any) -> bool:
    # The gateway writes booleans as the strings "true" / "false"; a caller's update may
    # hold real booleans.
    return value if isinstance(value, bool) else value == "true"


def _flag(value: bool) -> str:
    return "true" if value else "false"
