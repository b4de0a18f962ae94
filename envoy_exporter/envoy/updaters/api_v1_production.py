"""Production totals from /api/v1/production (all firmware from 3.8 on)."""

from __future__ import annotations

import logging
from typing import ClassVar

from packaging.version import Version

from ..const import URL_PRODUCTION_V1, Endpoint, EndpointKind, SupportedFeatures
from ..models.envoy import EnvoyData
from ..models.system_production import EnvoySystemProduction
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

#: from this firmware a metered gateway without CTs serves stale totals on the v1 endpoint
METERED_NO_CT_STALE_VERSION = Version("8.2.4264")


class EnvoyApiV1ProductionUpdater(EnvoyUpdater):
    """Reads the production totals of /api/v1/production."""

    name: ClassVar[str] = "api_v1_production"
    declared: ClassVar[tuple[Endpoint, ...]] = (Endpoint(URL_PRODUCTION_V1, EndpointKind.POWER),)

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """PRODUCTION, unless already found or this gateway's v1 totals are unusable."""
        if SupportedFeatures.PRODUCTION in discovered_features:
            return None
        try:
            answer = self._json_probe_request(URL_PRODUCTION_V1)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No production data at %s: %s", URL_PRODUCTION_V1, err)
            return None
        if not isinstance(answer, dict):
            _LOGGER.debug("Production data at %s is not an object", URL_PRODUCTION_V1)
            return None
        # A metered gateway without configured CTs answers zeros for the energies
        # (power now sometimes set): leave production to the inverter entry of /production.
        if all(value == 0 for key, value in answer.items() if key.startswith("wattHours")):
            _LOGGER.debug("All-zero energies at %s: not used", URL_PRODUCTION_V1)
            return None
        props = self._common_properties
        if (
            props.imeter_info
            and not props.ct_meter_count
            and self._envoy_version >= METERED_NO_CT_STALE_VERSION
        ):
            _LOGGER.debug(
                "Metered gateway without CTs on %s: v1 totals are stale", self._envoy_version
            )
            return None
        self._supported_features |= SupportedFeatures.PRODUCTION
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Store system_production from /api/v1/production."""
        answer = self._json_request(URL_PRODUCTION_V1)
        envoy_data.raw[URL_PRODUCTION_V1] = answer
        envoy_data.system_production = self._parse(
            URL_PRODUCTION_V1, EnvoySystemProduction.from_v1_api, answer
        )
