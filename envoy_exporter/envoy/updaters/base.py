"""Base class of the updaters: probe() says what a gateway has, update() reads it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import requests
from packaging.version import Version

from ..const import Endpoint, SupportedFeatures
from ..exceptions import EnvoyDataError, EnvoyHTTPStatusError
from ..json import json_loads
from ..models.common import CommonProperties
from ..models.envoy import EnvoyData

RequestFunc = Callable[[str], requests.Response]
T = TypeVar("T")

# What a model constructor raises on an answer of an unexpected shape.
SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError)


class EnvoyUpdater(ABC):
    """One endpoint family of the gateway.

    `name` identifies the updater (a collector schedules and reports by it); `declared` lists
    every endpoint its update() may read with the kind of data each carries (the schedule reads
    the kinds); `endpoints` are their paths.
    """

    name: ClassVar[str] = ""
    declared: ClassVar[tuple[Endpoint, ...]] = ()
    endpoints: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.endpoints = tuple(endpoint.path for endpoint in cls.declared)

    def __init__(
        self,
        envoy_version: Version,
        probe_request: RequestFunc,
        request: RequestFunc,
        common_properties: CommonProperties,
    ) -> None:
        self._envoy_version = envoy_version
        self._probe_request = probe_request
        self._request = request
        self._supported_features = SupportedFeatures(0)
        self._common_properties = common_properties

    def _json_request(self, end_point: str) -> Any:
        """GET an endpoint with retries and return its JSON; non-2xx raises."""
        return _json_of(end_point, self._request(end_point))

    def _json_probe_request(self, end_point: str) -> Any:
        """GET an endpoint once, for probing, and return its JSON; non-2xx raises."""
        return _json_of(end_point, self._probe_request(end_point))

    @staticmethod
    def _parse(end_point: str, build: Callable[..., T], *args: Any) -> T:
        """Build a model from an answer; an unexpected shape becomes EnvoyDataError."""
        try:
            return build(*args)
        except SHAPE_ERRORS as err:
            reason = f"unexpected shape ({type(err).__name__}: {err})"
            raise EnvoyDataError(end_point, reason) from err

    @abstractmethod
    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """Return the features this updater provides (none already in discovered_features)."""

    @abstractmethod
    def update(self, envoy_data: EnvoyData) -> None:
        """Read this updater's endpoints into envoy_data (and envoy_data.raw)."""


def _json_of(end_point: str, response: requests.Response) -> Any:
    if not 200 <= response.status_code < 300:
        raise EnvoyHTTPStatusError(response.status_code, response.url)
    # Parsed at each use, not kept with a stored answer: parsed JSON weighs several times its
    # text, which a fleet of a thousand gateways feels (bench/bench_fleet.py: +29 MB).
    return json_loads(end_point, response.content)
