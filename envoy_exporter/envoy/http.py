"""What the client's exchanges share with its callers: timeouts, request records, the
response store. The exchanges themselves are in transport.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import requests

#: (connect, read) seconds: gateways accept quickly but some endpoints take long to answer.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 45.0)
Timeout = float | tuple[float, float]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP exchange with the gateway, as seen by request listeners."""

    endpoint: str
    method: str
    status_code: int | None
    seconds: float
    size_bytes: int
    error: str | None


RequestListener = Callable[[RequestRecord], None]


class ResponseStore(Protocol):
    """Answers kept by a caller for reuse by Envoy.request() (GETs only)."""

    def get(self, endpoint: str) -> requests.Response | None:
        """A stored answer still fresh enough to use instead of asking the gateway."""

    def put(self, endpoint: str, response: requests.Response) -> None:
        """Keep a fresh 2xx answer."""
