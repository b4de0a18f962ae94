"""In-memory gateways for the storage updater tests: no sockets, answers made by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from packaging.version import Version

from envoy_exporter.envoy.exceptions import EnvoyAuthenticationRequired
from envoy_exporter.envoy.models.common import CommonProperties
from envoy_exporter.envoy.updaters.base import EnvoyUpdater

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "envoy-captures"


def response(status: int, body: bytes, endpoint: str) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made._content = body
    made.url = f"https://envoy.test{endpoint}"
    return made


class FakeGateway:
    """endpoint -> (status, body); a dict/list body is sent as JSON, bytes as they are.

    Like the real client, a 401 raises EnvoyAuthenticationRequired; an endpoint with no
    answer is a 404.
    """

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.answers: dict[str, tuple[int, Any]] = {}
        self.requested: list[str] = []
        for endpoint, body in (answers or {}).items():
            self.set(endpoint, body)

    def set(self, endpoint: str, body: Any, status: int = 200) -> None:
        self.answers[endpoint] = (status, body)

    def request(self, endpoint: str) -> requests.Response:
        self.requested.append(endpoint)
        status, body = self.answers.get(endpoint, (404, b'{"error": "404 - Not Found"}'))
        if status == 401:
            raise EnvoyAuthenticationRequired(f"401 from {endpoint}")
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return response(status, raw, endpoint)


def make(
    kind: type[EnvoyUpdater],
    gateway: FakeGateway,
    version: str = "8.2.4382",
    common: CommonProperties | None = None,
) -> EnvoyUpdater:
    return kind(Version(version), gateway.request, gateway.request, common or CommonProperties())
