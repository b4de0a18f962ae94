"""Per-device AC Battery (ACB) data from /inventory, with power from the v1 inverters report."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from ..const import (
    URL_INVENTORY,
    URL_PRODUCTION_INVERTERS,
    Endpoint,
    EndpointKind,
    SupportedFeatures,
)
from ..exceptions import EnvoyAuthenticationRequired, EnvoyDataError
from ..models.acb import EnvoyACB
from ..models.envoy import EnvoyData
from .api_v1_production_inverters import INVERTER_REPORTS
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

#: the inventory entry type of AC Batteries
TYPE_ACB = "ACB"
#: devType of an ACB in /api/v1/production/inverters (microinverters are 1)
ACB_DEV_TYPE = 11
#: admin_state of a decommissioned device; a device without admin_state is active
ADMIN_STATE_DECOMMISSIONED = 0


def _active_acbs(inventory: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ACB devices still in service, each with a serial number."""
    return [
        device
        for entry in inventory
        if isinstance(entry, dict) and entry.get("type") == TYPE_ACB
        for device in _devices(entry)
        if isinstance(device, dict)
        and device.get("admin_state") != ADMIN_STATE_DECOMMISSIONED
        and device.get("serial_num")
    ]


def _devices(entry: dict[str, Any]) -> list[Any]:
    devices = entry.get("devices")
    return devices if isinstance(devices, list) else []


def _acb_inventory(inventory: list[dict[str, Any]], reports: Any) -> dict[str, EnvoyACB]:
    rows = reports if isinstance(reports, list) else []
    by_serial = {
        str(row["serialNumber"]): row
        for row in rows
        if isinstance(row, dict) and row.get("devType") == ACB_DEV_TYPE
    }
    acbs = (
        EnvoyACB.from_api(device, by_serial.get(str(device["serial_num"])))
        for device in _active_acbs(inventory)
    )
    return {acb.serial_num: acb for acb in acbs}


class EnvoyInventoryUpdater(EnvoyUpdater):
    """One entry per AC Battery; only used once production.json has reported ACBs."""

    name: ClassVar[str] = "inventory"
    declared: ClassVar[tuple[Endpoint, ...]] = (
        # the device list; the per-ACB charge it adds, production.json's storage section gives
        # in aggregate at every refresh. 2-6 s a read (5 min would add ~36 busy s/h): hourly
        Endpoint(URL_INVENTORY, EndpointKind.CONFIG),
        INVERTER_REPORTS,
    )

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """Keep this updater when the inventory lists at least one ACB in service.

        Returns ACB although an earlier updater found it: a feature of its own would not
        be one the gateway reports, and an empty answer would drop the updater.
        """
        self._supported_features = SupportedFeatures(0)
        if SupportedFeatures.ACB not in discovered_features:
            return None
        try:
            inventory = self._json_probe_request(URL_INVENTORY)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No inventory at %s: %s", URL_INVENTORY, err)
            return None
        except EnvoyAuthenticationRequired as err:
            _LOGGER.debug("Inventory not accessible: %s", err)
            return None
        if not isinstance(inventory, list) or not _active_acbs(inventory):
            return None
        self._supported_features = SupportedFeatures.ACB
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Read the inventory and attach each ACB's last report from the inverters report."""
        if not self._supported_features & SupportedFeatures.ACB:
            return
        inventory = self._json_request(URL_INVENTORY)
        envoy_data.raw[URL_INVENTORY] = inventory
        if not isinstance(inventory, list):
            raise EnvoyDataError(URL_INVENTORY, f"expected a list, got {type(inventory).__name__}")
        reports = self._inverter_reports(envoy_data)
        acbs = self._parse(URL_INVENTORY, _acb_inventory, inventory, reports)
        if acbs:
            envoy_data.acb_inventory = acbs

    def _inverter_reports(self, envoy_data: EnvoyData) -> Any:
        # An inverters updater may have read it already in this cycle.
        reports = envoy_data.raw.get(URL_PRODUCTION_INVERTERS)
        if reports:
            return reports
        try:
            reports = self._json_request(URL_PRODUCTION_INVERTERS)
        except (*ENDPOINT_PROBE_ERRORS, EnvoyAuthenticationRequired) as err:
            # The power figures are a bonus: the ACBs are reported without them.
            _LOGGER.debug("No ACB power from %s: %s", URL_PRODUCTION_INVERTERS, err)
            return []
        envoy_data.raw[URL_PRODUCTION_INVERTERS] = reports
        return reports
