"""A standby generator on the IQ System Controller: status, configuration, schedule and mode."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..const import (
    URL_GEN_CONFIG,
    URL_GEN_MODE,
    URL_GEN_SCHEDULE,
    URL_GENERATOR,
    Endpoint,
    EndpointKind,
    SupportedFeatures,
)
from ..exceptions import EnvoyAuthenticationRequired, EnvoyDataError
from ..models.envoy import EnvoyData
from ..models.generator import (
    EnvoyGenerator,
    EnvoyGeneratorConfig,
    EnvoyGeneratorMode,
    EnvoyGeneratorSchedule,
)
from .base import SHAPE_ERRORS, EnvoyUpdater
from .ensemble import ENSEMBLE_MIN_VERSION
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

NO_FEATURE = SupportedFeatures(0)


@dataclass(frozen=True)
class _Part:
    """One generator endpoint: where it is, how to read it, which EnvoyData field it fills."""

    endpoint: str
    build: Callable[[dict[str, Any]], Any]
    field: str
    feature: SupportedFeatures = NO_FEATURE


CONFIG = _Part(URL_GEN_CONFIG, EnvoyGeneratorConfig.from_api, "generator_config")
# Not every generator-capable firmware has all of these: each is probed on its own.
OPTIONAL_PARTS = (
    _Part(URL_GENERATOR, EnvoyGenerator.from_api, "generator"),
    _Part(
        URL_GEN_SCHEDULE,
        EnvoyGeneratorSchedule.from_api,
        "generator_schedule",
        SupportedFeatures.GENERATOR_SCHEDULE,
    ),
    _Part(URL_GEN_MODE, EnvoyGeneratorMode.from_api, "generator_mode"),
)


class EnvoyGeneratorUpdater(EnvoyUpdater):
    """Reads the generator parts the probe found usable.

    A part whose answer turns unusable later (say an empty object once the generator is
    removed) leaves its field None for that update instead of failing the updater.
    """

    name: ClassVar[str] = "generator"
    declared: ClassVar[tuple[Endpoint, ...]] = (
        Endpoint(URL_GEN_CONFIG, EndpointKind.CONFIG),
        # whether the generator runs: changes on events
        Endpoint(URL_GENERATOR, EndpointKind.STATE),
        Endpoint(URL_GEN_SCHEDULE, EndpointKind.CONFIG),
        Endpoint(URL_GEN_MODE, EndpointKind.CONFIG),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parts: list[_Part] = []
        #: endpoints whose last answer was usable, to warn once when one turns bad
        self._usable: set[str] = set()

    def _part_usable(self, part: _Part) -> bool:
        try:
            answer = self._json_probe_request(part.endpoint)
        except (*ENDPOINT_PROBE_ERRORS, EnvoyAuthenticationRequired) as err:
            _LOGGER.debug("No generator data at %s: %s", part.endpoint, err)
            return False
        # Firmware without a generator answers {} or an "error"/"err" object.
        if not answer or not isinstance(answer, dict) or "error" in answer or "err" in answer:
            return False
        try:
            part.build(answer)
        except SHAPE_ERRORS as err:
            _LOGGER.debug("Unusable generator data at %s: %s", part.endpoint, err)
            return False
        return True

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """Keep this updater when a System Controller has a generator configured."""
        self._supported_features = SupportedFeatures(0)
        self._parts = []
        if self._envoy_version < ENSEMBLE_MIN_VERSION:
            return None
        # The generator hangs off the System Controller: none there, no generator.
        if SupportedFeatures.ENPOWER not in discovered_features:
            return None
        if not self._part_usable(CONFIG):
            return None
        self._parts = [CONFIG] + [part for part in OPTIONAL_PARTS if self._part_usable(part)]
        self._usable = {part.endpoint for part in self._parts}
        self._supported_features = SupportedFeatures.GENERATOR
        for part in self._parts:
            self._supported_features |= part.feature
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Read every part the probe found."""
        for part in self._parts:
            answer = self._json_request(part.endpoint)
            envoy_data.raw[part.endpoint] = answer
            try:
                value = self._parse(part.endpoint, part.build, answer)
            except EnvoyDataError as err:
                self._lost(part.endpoint, err)
                continue
            self._usable.add(part.endpoint)
            setattr(envoy_data, part.field, value)

    def _lost(self, endpoint: str, err: EnvoyDataError) -> None:
        if endpoint in self._usable:
            self._usable.discard(endpoint)
            _LOGGER.warning("Generator data no longer usable: %s", err)
        else:
            _LOGGER.debug("Generator data still unusable: %s", err)
