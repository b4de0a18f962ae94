"""Microinverter health from the inventory (/inventory.json): producing, communicating,
provisioned, operating and the device status flags."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from ..const import URL_INVENTORY, Endpoint, EndpointKind, SupportedFeatures
from ..exceptions import EnvoyAuthenticationRequired, EnvoyDataError
from ..models.envoy import EnvoyData
from ..models.inverter_status import EnvoyInverterStatus
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

#: the inventory entry type of microinverters
TYPE_PCU = "PCU"


def inverter_statuses(inventory: Any) -> dict[str, EnvoyInverterStatus]:
    """Every microinverter of the inventory with a serial number, by serial."""
    if not isinstance(inventory, list):
        raise TypeError(f"expected a list, got {type(inventory).__name__}")
    devices = (
        device
        for entry in inventory
        if isinstance(entry, dict) and entry.get("type") == TYPE_PCU
        for device in entry.get("devices") or []
        if isinstance(device, dict) and isinstance(device.get("serial_num"), str)
    )
    statuses = (EnvoyInverterStatus.from_inventory(device) for device in devices)
    return {status.serial_number: status for status in statuses}


class EnvoyInverterStatusUpdater(EnvoyUpdater):
    """Kept where the inventory lists microinverters; the inverters' power comes from the
    inverter reports, their health from here."""

    name: ClassVar[str] = "inverter_status"
    declared: ClassVar[tuple[Endpoint, ...]] = (
        # 2-6 s a read on a real gateway: hourly, like the AC Battery inventory
        Endpoint(URL_INVENTORY, EndpointKind.CONFIG),
    )

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """INVERTERS again (already found by a report updater) when the inventory lists any."""
        self._supported_features = SupportedFeatures(0)
        if SupportedFeatures.INVERTERS not in discovered_features:
            return None
        try:
            inventory = self._json_probe_request(URL_INVENTORY)
            found = inverter_statuses(inventory)
        except (*ENDPOINT_PROBE_ERRORS, EnvoyAuthenticationRequired) as err:
            _LOGGER.debug("No inverter inventory at %s: %s", URL_INVENTORY, err)
            return None
        except (TypeError, ValueError) as err:
            _LOGGER.debug("Inverter inventory at %s not understood: %s", URL_INVENTORY, err)
            return None
        if not found:
            return None
        self._supported_features = SupportedFeatures.INVERTERS
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Store envoy_data.inverter_status."""
        # The AC Battery inventory updater may have read it already in this cycle.
        inventory = envoy_data.raw.get(URL_INVENTORY)
        if inventory is None:
            inventory = self._json_request(URL_INVENTORY)
            envoy_data.raw[URL_INVENTORY] = inventory
        try:
            envoy_data.inverter_status = inverter_statuses(inventory)
        except (TypeError, ValueError, KeyError) as err:
            raise EnvoyDataError(URL_INVENTORY, f"unexpected shape ({err})") from err
