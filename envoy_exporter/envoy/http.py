"""What the client's exchanges share with its callers: timeouts, request records, the
response store, the update cycle. The exchanges themselves are in transport.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class UpdateCycle:
    """State shared by the updaters during one probe() or update().

    Several updaters read the same endpoint (production.json): the gateway answers it once
    per cycle. Outside a cycle (an updater run on its own) nothing is shared.
    """

    def __init__(self) -> None:
        self._answers: dict[str, requests.Response] | None = None
        self._revalidated = False

    @contextmanager
    def running(self) -> Iterator[None]:
        """Start a cycle for the duration of the block."""
        self._answers = {}
        self._revalidated = False
        try:
            yield
        finally:
            self._answers = None

    def fetch(self, endpoint: str, get: Callable[[str], requests.Response]) -> requests.Response:
        """`get(endpoint)`, or the 200 answer it gave earlier in this cycle."""
        answers = self._answers
        if answers is None:
            return get(endpoint)
        if (kept := answers.get(endpoint)) is not None:
            return kept
        response = get(endpoint)
        if response.status_code == 200:
            answers[endpoint] = response
        return response

    def may_revalidate(self) -> bool:
        """Whether a 401 may renew the gateway session now.

        Within a cycle only once: a 401 after a renewal means the account may not read
        that endpoint (an owner token on an installer page), not an expired session.
        """
        if self._answers is None:
            return True
        if self._revalidated:
            return False
        self._revalidated = True
        return True
