"""Tariff and battery storage settings, from /admin/lib/tariff (read and written back)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EnvoyStorageMode(StrEnum):
    """Battery storage mode (profile)."""

    BACKUP = "backup"
    SELF_CONSUMPTION = "self-consumption"
    SAVINGS = "economy"
    #: older firmware's name for SAVINGS; read as SAVINGS, never written
    LEGACY_SAVINGS = "savings-mode"


@dataclass
class EnvoyStorageSettings:
    """Battery settings inside the tariff; the write actions change them in place."""

    mode: EnvoyStorageMode | None
    operation_mode_sub_type: str
    #: backup reserve in %
    reserved_soc: float
    very_low_soc: int
    charge_from_grid: bool
    #: not reported by every firmware
    date: str | None
    #: reported from firmware 8.2.42xx on
    opt_schedules: bool | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyStorageSettings:
        """Build from the tariff's storage_settings."""
        return cls(
            mode=_storage_mode(data.get("mode")),
            operation_mode_sub_type=data["operation_mode_sub_type"],
            reserved_soc=data["reserved_soc"],
            very_low_soc=data["very_low_soc"],
            charge_from_grid=data["charge_from_grid"],
            date=data.get("date"),
            opt_schedules=data.get("opt_schedules"),
        )

    def to_api(self) -> dict[str, Any]:
        """The settings as the gateway takes them back."""
        out: dict[str, Any] = {
            "mode": self.mode.value if self.mode else None,
            "operation_mode_sub_type": self.operation_mode_sub_type,
            "reserved_soc": self.reserved_soc,
            "very_low_soc": self.very_low_soc,
            "charge_from_grid": self.charge_from_grid,
        }
        if self.date is not None:
            out["date"] = self.date
        if self.opt_schedules is not None:
            out["opt_schedules"] = self.opt_schedules
        return out


@dataclass
class EnvoyTariff:
    """The tariff: rates (kept as the gateway sent them) and the storage settings."""

    currency: dict[str, Any]
    logger: str | None
    date: str | None
    storage_settings: EnvoyStorageSettings | None
    single_rate: dict[str, Any]
    seasons: list[Any]
    seasons_sell: list[Any] | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyTariff:
        """Build from the `tariff` member of the answer."""
        settings = data.get("storage_settings")
        return cls(
            currency=data["currency"],
            logger=data.get("logger"),
            date=data.get("date"),
            storage_settings=EnvoyStorageSettings.from_api(settings) if settings else None,
            single_rate=data["single_rate"],
            seasons=data["seasons"],
            seasons_sell=data.get("seasons_sell"),
        )

    def to_api(self) -> dict[str, Any]:
        """The tariff as the gateway takes it back (PUT {"tariff": ...})."""
        out: dict[str, Any] = {
            "currency": self.currency,
            "single_rate": self.single_rate,
            "seasons": self.seasons,
        }
        # Sent back as received (an empty seasons_sell too): the PUT replaces the whole tariff.
        optional = {"logger": self.logger, "date": self.date, "seasons_sell": self.seasons_sell}
        out.update({key: value for key, value in optional.items() if value is not None})
        if self.storage_settings is not None:
            out["storage_settings"] = self.storage_settings.to_api()
        return out


def _storage_mode(value: Any) -> EnvoyStorageMode | None:
    # Some firmware sends no mode (null); "savings-mode" and "economy" mean the same,
    # and the Enlighten app uses "economy", so that is the one kept.
    if not value:
        return None
    mode = EnvoyStorageMode(value)
    return EnvoyStorageMode.SAVINGS if mode is EnvoyStorageMode.LEGACY_SAVINGS else mode
