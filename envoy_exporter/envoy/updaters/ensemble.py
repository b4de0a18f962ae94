"""Ensemble devices: IQ Batteries, System Controller and its dry contacts, Meter Collar, C6CC."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from packaging.version import Version

from ..const import (
    URL_DRY_CONTACT_SETTINGS,
    URL_DRY_CONTACT_STATUS,
    URL_ENSEMBLE_INVENTORY,
    URL_ENSEMBLE_POWER,
    URL_ENSEMBLE_SECCTRL,
    Endpoint,
    EndpointKind,
    SupportedFeatures,
)
from ..exceptions import EnvoyAuthenticationRequired
from ..models.acb import EnvoyBatteryAggregate
from ..models.c6combiner import EnvoyC6CC
from ..models.collar import EnvoyCollar
from ..models.dry_contacts import EnvoyDryContactSettings, EnvoyDryContactStatus
from ..models.encharge import EnvoyEncharge, EnvoyEnchargeAggregate, EnvoyEnchargePower
from ..models.enpower import EnvoyEnpower
from ..models.envoy import EnvoyData
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

#: firmware before 5 has no ensemble endpoints
ENSEMBLE_MIN_VERSION = Version("5.0.0")

# The `type` of each inventory entry, and the feature it stands for.
TYPE_ENCHARGE = "ENCHARGE"
TYPE_ENPOWER = "ENPOWER"
TYPE_COLLAR = "COLLAR"
TYPE_C6CC = "C6 COMBINER CONTROLLER"
FEATURE_OF_TYPE: dict[str, SupportedFeatures] = {
    TYPE_ENCHARGE: SupportedFeatures.ENCHARGE,
    TYPE_ENPOWER: SupportedFeatures.ENPOWER,
    TYPE_COLLAR: SupportedFeatures.COLLAR,
    TYPE_C6CC: SupportedFeatures.C6CC,
}


def _devices(inventory: list[dict[str, Any]], device_type: str) -> list[dict[str, Any]]:
    """All devices of one type in the ensemble inventory (an entry may have none)."""
    return [
        device
        for entry in inventory
        if entry["type"] == device_type
        for device in entry.get("devices") or []
    ]


def _encharge_inventory(inventory: list[dict[str, Any]]) -> dict[str, EnvoyEncharge]:
    return {
        device["serial_num"]: EnvoyEncharge.from_api(device)
        for device in _devices(inventory, TYPE_ENCHARGE)
    }


def _encharge_power(answer: dict[str, Any]) -> dict[str, EnvoyEnchargePower]:
    # The firmware names this list "devices:", colon included; accept the plain name too.
    devices = answer["devices:"] if "devices:" in answer else answer["devices"]
    return {device["serial_num"]: EnvoyEnchargePower.from_api(device) for device in devices}


def _dry_contact_status(answer: dict[str, Any]) -> dict[str, EnvoyDryContactStatus]:
    return {relay["id"]: EnvoyDryContactStatus.from_api(relay) for relay in answer["dry_contacts"]}


def _dry_contact_settings(answer: dict[str, Any]) -> dict[str, EnvoyDryContactSettings]:
    return {
        relay["id"]: EnvoyDryContactSettings.from_api(relay) for relay in answer["dry_contacts"]
    }


def _enpower(inventory: list[dict[str, Any]]) -> EnvoyEnpower | None:
    devices = _devices(inventory, TYPE_ENPOWER)
    return EnvoyEnpower.from_api(devices[0]) if devices else None


def _collar(inventory: list[dict[str, Any]]) -> EnvoyCollar | None:
    # A site has at most one collar.
    devices = _devices(inventory, TYPE_COLLAR)
    return EnvoyCollar.from_api(devices[0]) if devices else None


def _c6cc(inventory: list[dict[str, Any]]) -> EnvoyC6CC | None:
    # A site has at most one C6 combiner controller.
    devices = _devices(inventory, TYPE_C6CC)
    return EnvoyC6CC.from_api(devices[0]) if devices else None


class EnvoyEnsembleUpdater(EnvoyUpdater):
    """Reads the ensemble devices the inventory lists."""

    name: ClassVar[str] = "ensemble"
    declared: ClassVar[tuple[Endpoint, ...]] = (
        # the grid relay state (an alert watches it) and the batteries' states
        Endpoint(URL_ENSEMBLE_INVENTORY, EndpointKind.STATUS),
        # state of charge and stored energy: a battery at full power moves ~1 % a minute
        Endpoint(URL_ENSEMBLE_SECCTRL, EndpointKind.STATE),
        Endpoint(URL_ENSEMBLE_POWER, EndpointKind.POWER),
        Endpoint(URL_DRY_CONTACT_STATUS, EndpointKind.STATE),
        Endpoint(URL_DRY_CONTACT_SETTINGS, EndpointKind.CONFIG),
    )

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """Find which ensemble device types the inventory lists."""
        self._supported_features = SupportedFeatures(0)
        if self._envoy_version < ENSEMBLE_MIN_VERSION:
            return None
        try:
            inventory = self._json_probe_request(URL_ENSEMBLE_INVENTORY)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No ensemble inventory at %s: %s", URL_ENSEMBLE_INVENTORY, err)
            return None
        except EnvoyAuthenticationRequired as err:
            # Some early firmware 7 answers 401 here even to an owner token.
            _LOGGER.debug("Ensemble inventory not accessible: %s", err)
            return None
        # Newer firmware without ensemble devices answers an empty list, older a dict
        # holding "error".
        if not isinstance(inventory, list):
            return None
        for entry in inventory:
            kind = entry.get("type") if isinstance(entry, dict) else None
            if isinstance(kind, str) and kind in FEATURE_OF_TYPE:
                self._supported_features |= FEATURE_OF_TYPE[kind]
        return self._supported_features or None

    def update(self, envoy_data: EnvoyData) -> None:
        """Read the inventory, the battery aggregate and what the probe found."""
        features = self._supported_features
        inventory = self._json_request(URL_ENSEMBLE_INVENTORY)
        envoy_data.raw[URL_ENSEMBLE_INVENTORY] = inventory
        secctrl = self._json_request(URL_ENSEMBLE_SECCTRL)
        envoy_data.raw[URL_ENSEMBLE_SECCTRL] = secctrl

        if features & SupportedFeatures.ENCHARGE:
            self._update_encharge(envoy_data, inventory, secctrl)
        if features & SupportedFeatures.ENPOWER:
            self._update_enpower(envoy_data, inventory)
        # ACBs report through production.json; only when that found some is the combined
        # Encharge + ACB aggregate of secctrl meaningful.
        if self._common_properties.acb_batteries_reported:
            envoy_data.battery_aggregate = self._parse(
                URL_ENSEMBLE_SECCTRL, EnvoyBatteryAggregate.from_api, secctrl
            )
        if features & SupportedFeatures.COLLAR:
            envoy_data.collar = self._parse(URL_ENSEMBLE_INVENTORY, _collar, inventory)
        if features & SupportedFeatures.C6CC:
            envoy_data.c6cc = self._parse(URL_ENSEMBLE_INVENTORY, _c6cc, inventory)

    def _update_encharge(self, envoy_data: EnvoyData, inventory: Any, secctrl: Any) -> None:
        power = self._json_request(URL_ENSEMBLE_POWER)
        envoy_data.raw[URL_ENSEMBLE_POWER] = power
        envoy_data.encharge_inventory = self._parse(
            URL_ENSEMBLE_INVENTORY, _encharge_inventory, inventory
        )
        envoy_data.encharge_power = self._parse(URL_ENSEMBLE_POWER, _encharge_power, power)
        envoy_data.encharge_aggregate = self._parse(
            URL_ENSEMBLE_SECCTRL, EnvoyEnchargeAggregate.from_api, secctrl
        )

    def _update_enpower(self, envoy_data: EnvoyData, inventory: Any) -> None:
        envoy_data.enpower = self._parse(URL_ENSEMBLE_INVENTORY, _enpower, inventory)
        status = self._json_request(URL_DRY_CONTACT_STATUS)
        envoy_data.raw[URL_DRY_CONTACT_STATUS] = status
        settings = self._json_request(URL_DRY_CONTACT_SETTINGS)
        envoy_data.raw[URL_DRY_CONTACT_SETTINGS] = settings
        envoy_data.dry_contact_status = self._parse(
            URL_DRY_CONTACT_STATUS, _dry_contact_status, status
        )
        envoy_data.dry_contact_settings = self._parse(
            URL_DRY_CONTACT_SETTINGS, _dry_contact_settings, settings
        )
