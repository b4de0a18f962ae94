"""Write actions on a gateway: grid relay, dry contacts, battery settings in the tariff."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from .const import (
    URL_DRY_CONTACT_SETTINGS,
    URL_DRY_CONTACT_STATUS,
    URL_GRID_RELAY,
    URL_TARIFF,
    SupportedFeatures,
)
from .exceptions import EnvoyFeatureNotAvailable
from .models.dry_contacts import DryContactStatus, EnvoyDryContactSettings
from .models.envoy import EnvoyData
from .models.tariff import EnvoyStorageMode, EnvoyStorageSettings
from .updaters.base import SHAPE_ERRORS


class EnvoyActions:
    """Mixin of Envoy: the actions that change a gateway's settings.

    Each checks the feature it needs (EnvoyFeatureNotAvailable) and, where it sends a whole
    settings document back, that update() has read it first (ValueError).
    """

    data: EnvoyData | None

    @property
    def supported_features(self) -> SupportedFeatures:
        raise NotImplementedError

    def _json_request(
        self, end_point: str, data: dict[str, Any] | None, method: str | None = None
    ) -> Any:
        raise NotImplementedError

    # -- grid relay (System Controller / Enpower) ----------------------------------

    def go_on_grid(self) -> dict[str, Any]:
        """Close the grid relay: POST {"mains_admin_state": "closed"} to /ivp/ensemble/relay."""
        self._require(SupportedFeatures.ENPOWER, "a System Controller (Enpower)")
        result: dict[str, Any] = self._json_request(URL_GRID_RELAY, {"mains_admin_state": "closed"})
        return result

    def go_off_grid(self) -> dict[str, Any]:
        """Open the grid relay: POST {"mains_admin_state": "open"} to /ivp/ensemble/relay."""
        self._require(SupportedFeatures.ENPOWER, "a System Controller (Enpower)")
        result: dict[str, Any] = self._json_request(URL_GRID_RELAY, {"mains_admin_state": "open"})
        return result

    # -- dry contacts ---------------------------------------------------------------

    def update_dry_contact(self, new_data: dict[str, Any]) -> dict[str, Any]:
        """Change settings of one dry contact relay; `new_data` uses the gateway's keys.

        The relay's whole settings are sent (the gateway misbehaves on partial ones): the
        stored settings from the last update(), with `new_data` applied.
        """
        self._require(SupportedFeatures.ENPOWER, "a System Controller (Enpower)")
        relay_id = new_data.get("id")
        if not relay_id:
            raise ValueError("new_data must name the dry contact relay with 'id'")
        if self.data is None:
            raise ValueError("update() must read the dry contact settings first")
        current = self.data.dry_contact_settings.get(relay_id)
        if current is None:
            raise ValueError(f"no dry contact relay {relay_id!r} on this gateway")
        merged = {**current.to_api(), **new_data}
        result: dict[str, Any] = self._json_request(
            URL_DRY_CONTACT_SETTINGS, {"dry_contacts": merged}
        )
        # If our copy cannot be rebuilt, the next update() reads back what the gateway made of it.
        with contextlib.suppress(*SHAPE_ERRORS):
            self.data.dry_contact_settings[relay_id] = EnvoyDryContactSettings.from_api(merged)
        return result

    def open_dry_contact(self, id: str) -> dict[str, Any]:
        """Open a dry contact relay."""
        return self._set_dry_contact(id, DryContactStatus.OPEN)

    def close_dry_contact(self, id: str) -> dict[str, Any]:
        """Close a dry contact relay."""
        return self._set_dry_contact(id, DryContactStatus.CLOSED)

    def _set_dry_contact(self, relay_id: str, status: DryContactStatus) -> dict[str, Any]:
        self._require(SupportedFeatures.ENPOWER, "a System Controller (Enpower)")
        result: dict[str, Any] = self._json_request(
            URL_DRY_CONTACT_STATUS, {"dry_contacts": {"id": relay_id, "status": status.value}}
        )
        # The gateway reports the new state only seconds later; show it right away.
        if self.data is not None and (relay := self.data.dry_contact_status.get(relay_id)):
            relay.status = status
        return result

    # -- battery settings (in the tariff) -------------------------------------------

    def enable_charge_from_grid(self) -> dict[str, Any]:
        """Let the batteries charge from the grid."""
        return self._put_storage_setting("charge_from_grid", True)

    def disable_charge_from_grid(self) -> dict[str, Any]:
        """Stop the batteries charging from the grid."""
        return self._put_storage_setting("charge_from_grid", False)

    def set_storage_mode(self, mode: EnvoyStorageMode) -> dict[str, Any]:
        """Set the battery storage mode (backup, self-consumption, savings)."""
        if not isinstance(mode, EnvoyStorageMode):
            raise TypeError("mode must be an EnvoyStorageMode")
        return self._put_storage_setting("mode", mode)

    def set_reserve_soc(self, value: int) -> dict[str, Any]:
        """Set the battery reserve state of charge (percent)."""
        return self._put_storage_setting("reserved_soc", round(float(value), 1))

    def _put_storage_setting(self, key: str, value: Any) -> dict[str, Any]:
        settings = self._storage_settings()
        setattr(settings, key, value)
        document = self._tariff_document()
        document.setdefault("storage_settings", {})[key] = (
            value.value if isinstance(value, EnvoyStorageMode) else value
        )
        result: dict[str, Any] = self._json_request(URL_TARIFF, {"tariff": document}, method="PUT")
        # Keep the raw answer in step, so that a second change does not undo the first.
        assert self.data is not None
        raw = self.data.raw.get(URL_TARIFF)
        if isinstance(raw, dict):
            raw["tariff"] = document
        return result

    def _storage_settings(self) -> EnvoyStorageSettings:
        self._require(SupportedFeatures.ENCHARGE, "IQ / Encharge batteries")
        self._require(SupportedFeatures.TARIFF, "tariff settings")
        if self.data is None or self.data.tariff is None:
            raise ValueError("update() must read the tariff first")
        if self.data.tariff.storage_settings is None:
            raise EnvoyFeatureNotAvailable("the tariff has no battery storage settings")
        return self.data.tariff.storage_settings

    def _tariff_document(self) -> dict[str, Any]:
        # Send back the tariff as the gateway sent it (every field, known to our model or
        # not); only without the raw answer fall back to the model's rendering.
        assert self.data is not None and self.data.tariff is not None
        raw = self.data.raw.get(URL_TARIFF)
        if isinstance(raw, dict) and isinstance(raw.get("tariff"), dict):
            document: dict[str, Any] = copy.deepcopy(raw["tariff"])
            return document
        return self.data.tariff.to_api()

    def _require(self, feature: SupportedFeatures, what: str) -> None:
        if not self.supported_features & feature:
            raise EnvoyFeatureNotAvailable(f"this gateway has no {what} ({feature.name})")
