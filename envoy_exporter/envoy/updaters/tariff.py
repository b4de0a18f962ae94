"""Tariff and battery storage settings from /admin/lib/tariff."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from ..const import URL_TARIFF, Endpoint, EndpointKind, SupportedFeatures
from ..exceptions import EnvoyAuthenticationRequired
from ..models.envoy import EnvoyData
from ..models.tariff import EnvoyTariff
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)


def _tariff(answer: dict[str, Any]) -> EnvoyTariff:
    return EnvoyTariff.from_api(answer["tariff"])


class EnvoyTariffUpdater(EnvoyUpdater):
    """Reads the tariff, which also holds the battery storage mode and reserve."""

    name: ClassVar[str] = "tariff"
    declared: ClassVar[tuple[Endpoint, ...]] = (Endpoint(URL_TARIFF, EndpointKind.CONFIG),)

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """Keep this updater when the gateway answers a tariff."""
        self._supported_features = SupportedFeatures(0)
        try:
            answer = self._json_probe_request(URL_TARIFF)
        except ENDPOINT_PROBE_ERRORS as err:
            # firmware 3.x answers an HTML page with status 200
            _LOGGER.debug("No tariff at %s: %s", URL_TARIFF, err)
            return None
        except EnvoyAuthenticationRequired as err:
            # Firmware 3.9.36 answers 401 here even to an authenticated user.
            _LOGGER.debug("Tariff not accessible: %s", err)
            return None
        if not isinstance(answer, dict) or "tariff" not in answer:
            _LOGGER.debug("No tariff in the answer of %s", URL_TARIFF)
            return None
        self._supported_features = SupportedFeatures.TARIFF
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Read the tariff."""
        answer = self._json_request(URL_TARIFF)
        envoy_data.raw[URL_TARIFF] = answer
        envoy_data.tariff = self._parse(URL_TARIFF, _tariff, answer)
