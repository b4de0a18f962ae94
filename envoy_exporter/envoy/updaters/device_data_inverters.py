"""Detailed microinverter data from /ivp/pdm/device_data (firmware 8.2.4345 and later)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from ..const import URL_DEVICE_DATA, Endpoint, EndpointKind, SupportedFeatures
from ..exceptions import EnvoyAuthenticationRequired
from ..models.envoy import EnvoyData
from ..models.inverter import EnvoyInverter
from .base import SHAPE_ERRORS, EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)


def active_microinverters(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The active "pcu" devices of a device_data answer, by serial number."""
    return {
        device["sn"]: device
        for device in answer.values()
        if isinstance(device, dict)
        and device.get("devName") == "pcu"
        and device.get("active")
        and "sn" in device
    }


def has_reading(device: dict[str, Any]) -> bool:
    """False for a device whose lastReading is empty, as for one that has not reported
    (8.3.5289 shows it for inverters that are gone): skipped, not an error."""
    channels = device.get("channels")
    if not isinstance(channels, list) or not channels or not isinstance(channels[0], dict):
        return True  # let the model say what is wrong
    return bool(channels[0].get("lastReading"))


def limit_reached(answer: Any) -> bool:
    """True when the gateway stopped listing devices (deviceCount at deviceDataLimit, 50)."""
    return bool(answer["deviceCount"] >= answer["deviceDataLimit"])


class EnvoyDeviceDataInvertersUpdater(EnvoyUpdater):
    """Reads microinverters with their AC/DC values, temperature and energies."""

    name: ClassVar[str] = "device_data_inverters"
    declared: ClassVar[tuple[Endpoint, ...]] = (Endpoint(URL_DEVICE_DATA, EndpointKind.REPORT),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: serial numbers read at the last probe or update
        self.known_inverters: set[str] = set()

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """INVERTERS and DETAILED_INVERTERS when device data lists every microinverter."""
        if SupportedFeatures.INVERTERS in discovered_features:
            return None
        try:
            answer = self._json_probe_request(URL_DEVICE_DATA)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No device data at %s: %s", URL_DEVICE_DATA, err)
            return None
        except EnvoyAuthenticationRequired as err:
            _LOGGER.debug("Device data at %s refused: %s", URL_DEVICE_DATA, err)
            return None
        try:
            # past deviceDataLimit the gateway leaves devices out: the v1 list has them all
            if limit_reached(answer):
                _LOGGER.debug("Device data at its device limit: not used")
                return None
            devices = active_microinverters(answer)
            inverters = {
                serial: EnvoyInverter.from_device_data(device)
                for serial, device in devices.items()
                if has_reading(device)
            }
        except SHAPE_ERRORS as err:
            _LOGGER.debug("Device data at %s not usable: %r", URL_DEVICE_DATA, err)
            return None
        if not inverters:
            return None
        self.known_inverters = set(inverters)
        self._supported_features |= (
            SupportedFeatures.INVERTERS | SupportedFeatures.DETAILED_INVERTERS
        )
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Store envoy_data.inverters; a device with incomplete data is left out."""
        answer = self._json_request(URL_DEVICE_DATA)
        envoy_data.raw[URL_DEVICE_DATA] = answer
        devices = self._parse(URL_DEVICE_DATA, active_microinverters, answer)
        inverters: dict[str, EnvoyInverter] = {}
        for serial, device in devices.items():
            if not has_reading(device):
                continue
            try:
                inverters[serial] = EnvoyInverter.from_device_data(device)
            except SHAPE_ERRORS as err:
                _LOGGER.debug("Inverter %s left out, incomplete data: %r", serial, err)
        self._note_changes(set(inverters))
        envoy_data.inverters = inverters

    def _note_changes(self, current: set[str]) -> None:
        if current == self.known_inverters:
            return
        if missing := self.known_inverters - current:
            _LOGGER.warning("Device data lacks inverters it had: %s", _serials(missing))
        if added := current - self.known_inverters:
            _LOGGER.debug("Device data has new inverters: %s", _serials(added))
        self.known_inverters = current


def _serials(serials: set[str]) -> str:
    return ", ".join(sorted(map(str, serials)))
