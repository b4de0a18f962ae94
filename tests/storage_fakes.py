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


class CaptureGateway:
    """Answers from one folder of real captures, read from disk (no simulator, no sockets).

    `mutate(endpoint, body)` may spoil a body to check how the updaters take bad answers.
    """

    def __init__(self, folder: Path, mutate: Any = None) -> None:
        from envoy_exporter.simulator.captures import CaptureSource

        self.source = CaptureSource(folder)
        self.mutate = mutate
        self.version = Version(self.source.firmware.lstrip("DR"))

    def answer(self, endpoint: str) -> tuple[int, bytes]:
        found = self.source.answer(endpoint, 0.0)
        if found is None:
            return 404, b'{"error": "404 - Not Found"}'
        body = self.mutate(endpoint, found.body) if self.mutate else found.body
        return found.status, body

    def request(self, endpoint: str) -> requests.Response:
        status, body = self.answer(endpoint)
        if status in (401, 403):
            raise EnvoyAuthenticationRequired(f"{status} from {endpoint}")
        return response(status, body, endpoint)

    def acb_count(self) -> int:
        """ACBs that production.json reports, as the production updater counts them."""
        _status, body = self.answer("/production.json?details=1")
        try:
            storage = json.loads(body).get("storage") or [{}]
        except (ValueError, AttributeError):
            return 0
        first = storage[0] if isinstance(storage[0], dict) else {}
        return int(first.get("activeCount") or 0) if "percentFull" in first else 0


def capture_folders() -> list[Path]:
    return sorted(p for p in CAPTURES.iterdir() if p.is_dir()) if CAPTURES.is_dir() else []
