"""ProfileSource: a simulated gateway written as code, each endpoint routed to a builder."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ...envoy.const import URL_INFO
from ..source import Answer
from .info import Identity, info_xml
from .physics import SiteModel

if TYPE_CHECKING:
    from .limits import Limits

#: builds the JSON document of a GET, from `now` and the query parameters
Builder = Callable[[float, dict[str, list[str]]], Any]
#: applies a write (the decoded JSON body) at `now`; returns the JSON answer.
#: Raises ValueError for a body the gateway would refuse (400).
WriteHandler = Callable[[Any, float], Any]

JSON_TYPE = "application/json"


class ProfileSource:
    """A built-in simulated gateway: /info plus the routes a profile registers.

    Unknown paths answer None (404). Builders run under one lock, so a write is never seen
    half-applied by a concurrent read.
    """

    def __init__(self, name: str, identity: Identity, model: SiteModel) -> None:
        self.name = name
        self.identity = identity
        self.model = model
        self.firmware = identity.firmware
        self.serial = identity.serial
        self._routes: dict[str, Builder] = {}
        self._writes: dict[tuple[str, str], WriteHandler] = {}
        self._lock = threading.RLock()
        #: when set, every request is answered as of this instant instead of its own
        self.frozen_at: float | None = None
        #: the production and export limits it reports, when it has the endpoints
        self.limits: Limits | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.firmware} serial={self.serial}>"

    @property
    def routes(self) -> list[str]:
        """Every GET path this gateway answers, /info included."""
        return [URL_INFO, *self._routes]

    @property
    def write_routes(self) -> list[tuple[str, str]]:
        """Every (method, path) this gateway accepts a write on."""
        return list(self._writes)

    def route(self, path: str, builder: Builder) -> None:
        self._routes[path] = builder

    def builder(self, path: str) -> Builder:
        """The builder routed at `path` (KeyError when none), to extend its document."""
        return self._routes[path]

    def on_write(self, method: str, path: str, handler: WriteHandler) -> None:
        self._writes[(method.upper(), path)] = handler

    def answer(self, path: str, now: float) -> Answer | None:
        """The answer to GET `path` (query included) at `now`; None when not routed (404)."""
        now = now if self.frozen_at is None else self.frozen_at
        parts = urlsplit(path)
        route = _normalise(parts.path)
        if route == URL_INFO:
            return Answer(200, info_xml(self.identity, now), content_type="text/xml")
        builder = self._routes.get(route)
        if builder is None:
            return None
        with self._lock:
            doc = builder(now, parse_qs(parts.query))
        return json_answer(doc)

    def write(self, method: str, path: str, body: bytes, now: float) -> Answer | None:
        """Apply a POST/PUT; None (404) when the path takes no writes, 400 for a bad body."""
        now = now if self.frozen_at is None else self.frozen_at
        handler = self._writes.get((method.upper(), _normalise(urlsplit(path).path)))
        if handler is None:
            return None
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as err:
            return error_answer(400, f"body is not JSON: {err}")
        try:
            with self._lock:
                doc = handler(data, now)
        except ValueError as err:
            return error_answer(400, str(err))
        return json_answer(doc)


def _normalise(path: str) -> str:
    return path.rstrip("/") or "/"


def json_answer(doc: Any, status: int = 200) -> Answer:
    return Answer(status, json.dumps(doc, separators=(",", ":")).encode(), JSON_TYPE)


def error_answer(status: int, message: str) -> Answer:
    return json_answer({"status": status, "error": message}, status)


def details_requested(query: dict[str, list[str]]) -> bool:
    """production.json only breaks totals into lines with ?details=1."""
    return query.get("details", ["0"])[-1] == "1"
