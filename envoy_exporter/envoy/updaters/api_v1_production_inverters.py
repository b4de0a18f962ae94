"""Microinverter reports from /api/v1/production/inverters."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from ..const import URL_PRODUCTION_INVERTERS, Endpoint, EndpointKind, SupportedFeatures
from ..exceptions import EnvoyAuthenticationRequired
from ..models.envoy import EnvoyData
from ..models.inverter import EnvoyInverter
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

#: devType of a microinverter; ACBs (AC batteries) are listed too, with another devType
MICROINVERTER_DEV_TYPE = 1
#: every microinverter's (and ACB's) last report; the inventory updater reads it too
INVERTER_REPORTS = Endpoint(URL_PRODUCTION_INVERTERS, EndpointKind.REPORT)


def inverters_of(answer: list[dict[str, Any]]) -> dict[str, EnvoyInverter]:
    """The microinverters of the answer (ACBs left out), by serial number."""
    return {
        entry["serialNumber"]: EnvoyInverter.from_v1_api(entry)
        for entry in answer
        if entry.get("devType", MICROINVERTER_DEV_TYPE) == MICROINVERTER_DEV_TYPE
        # an entry without a serial cannot be told apart from the others: left out
        and isinstance(entry.get("serialNumber"), str)
    }


class EnvoyApiV1ProductionInvertersUpdater(EnvoyUpdater):
    """Reads the last report of every microinverter."""

    name: ClassVar[str] = "inverters"
    declared: ClassVar[tuple[Endpoint, ...]] = (INVERTER_REPORTS,)

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """INVERTERS, unless already found (device data) or the endpoint is not readable."""
        if SupportedFeatures.INVERTERS in discovered_features:
            return None
        try:
            self._json_probe_request(URL_PRODUCTION_INVERTERS)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No inverter data at %s: %s", URL_PRODUCTION_INVERTERS, err)
            return None
        except EnvoyAuthenticationRequired as err:
            # not every gateway user may read it: fall back to no inverter data
            _LOGGER.debug("Inverter data at %s refused: %s", URL_PRODUCTION_INVERTERS, err)
            return None
        self._supported_features |= SupportedFeatures.INVERTERS
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Store envoy_data.inverters."""
        answer = self._json_request(URL_PRODUCTION_INVERTERS)
        envoy_data.raw[URL_PRODUCTION_INVERTERS] = answer
        envoy_data.inverters = self._parse(URL_PRODUCTION_INVERTERS, inverters_of, answer)
