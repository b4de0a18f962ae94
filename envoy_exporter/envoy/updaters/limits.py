"""Production and export limits from /ivp/sc/pvlimit, /ivp/ss/pel_settings and /ivp/ss/dpel
(read only)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from ..const import (
    URL_DPEL,
    URL_PEL_SETTINGS,
    URL_PV_LIMIT,
    Endpoint,
    EndpointKind,
    SupportedFeatures,
)
from ..exceptions import EnvoyAuthenticationRequired, EnvoyDataError
from ..models.envoy import EnvoyData
from ..models.limits import EnvoyDynamicLimit, EnvoyExportLimit, EnvoyProductionLimit
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

#: endpoint -> (the model built from its answer, the EnvoyData field it fills)
_READS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    URL_PV_LIMIT: (EnvoyProductionLimit.from_api, "production_limit"),
    URL_PEL_SETTINGS: (EnvoyExportLimit.from_pel_settings, "export_limit"),
    URL_DPEL: (EnvoyDynamicLimit.from_api, "dynamic_limit"),
}


class EnvoyLimitsUpdater(EnvoyUpdater):
    """Reads whichever limit endpoints the gateway answers.

    Firmware before 7 answers 404 on all three, /ivp/ss/dpel is firmware 8 on metered
    gateways; some gateways refuse an owner token there (401) while an installer's may read
    them.
    """

    name: ClassVar[str] = "limits"
    declared: ClassVar[tuple[Endpoint, ...]] = (
        Endpoint(URL_PV_LIMIT, EndpointKind.CONFIG),
        Endpoint(URL_PEL_SETTINGS, EndpointKind.CONFIG),
        Endpoint(URL_DPEL, EndpointKind.CONFIG),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readable: list[str] = []

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """LIMITS when at least one limit endpoint answers a limit this client reads."""
        self._supported_features = SupportedFeatures(0)
        self._readable = []
        for end_point, (build, _) in _READS.items():
            try:
                answer = self._json_probe_request(end_point)
            except (*ENDPOINT_PROBE_ERRORS, EnvoyAuthenticationRequired) as err:
                _LOGGER.debug("No limit at %s: %s", end_point, err)
                continue
            try:
                self._parse(end_point, build, answer)
            except EnvoyDataError as err:  # a shape this client does not know
                _LOGGER.debug("Limit at %s not understood: %s", end_point, err)
                continue
            self._readable.append(end_point)
        if self._readable:
            self._supported_features = SupportedFeatures.LIMITS
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Read the limits found at the probe."""
        for end_point in self._readable:
            build, attr = _READS[end_point]
            answer = self._json_request(end_point)
            envoy_data.raw[end_point] = answer
            setattr(envoy_data, attr, self._parse(end_point, build, answer))
