"""The exporter's endpoints as a WSGI application: routing, basic auth, gzip."""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .reload import reload_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .app import ExporterApp

_LOGGER = logging.getLogger(__name__)
SCRAPE_TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
DEFAULT_WAIT = 120.0  # without a scrape timeout header (a human with curl)
_TIMEOUT_MARGIN = 0.5  # answer this long before Prometheus gives up, so it sees our 503
# The body is the classic text format whatever prometheus_client's newest label says
# (0.22 announces version=1.0.0), and every Prometheus 2.x and 3.x reads 0.0.4.
CONTENT_TYPE_LATEST = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text"
CONTENT_TYPE_OPENMETRICS = f"{OPENMETRICS}; version=1.0.0; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"
GZIP_MIN_BYTES = 1024
# Exempt from basic auth: they reveal nothing, and container health checks carry no password.
OPEN_PATHS = ("/-/healthy", "/-/ready")
Reply = tuple[int, bytes, str, dict[str, str]]


def scrape_timeout(value: str | None) -> float:
    """Seconds to wait for a refresh, from Prometheus' header (with a margin) or the default."""
    if value:
        try:
            seconds = float(value)
        except ValueError:
            return DEFAULT_WAIT
        if seconds > 0:
            return max(0.1, min(seconds - _TIMEOUT_MARGIN, DEFAULT_WAIT))
    return DEFAULT_WAIT


@functools.lru_cache(maxsize=4)
def _gzip_once(body: bytes) -> bytes:
    # Keyed by the exposition bytes: render() returns the same object for a whole snapshot
    # generation (and bytes cache their hash), so a hit costs no hashing of the body.
    return gzip.compress(body, compresslevel=6)


class ExporterWsgi:
    """Routes requests to an ExporterApp."""

    def __init__(self, app: ExporterApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        gzip_ok = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        reload = method == "POST" and environ.get("PATH_INFO") == "/-/reload"
        if method not in ("GET", "HEAD") and not reload:
            reply: Reply = (405, b"method not allowed\n", PLAIN, {"Allow": "GET, HEAD"})
        else:
            try:
                reply = self._route(environ, gzip_ok)
            except Exception as exc:
                # A bug must cost one answer, not the connection: Prometheus then records a
                # failed scrape with a reason instead of a reset.
                path = environ.get("PATH_INFO", "")
                _LOGGER.error("%s failed: %s: %s", path, type(exc).__name__, exc)
                _LOGGER.debug("request failure", exc_info=True)
                reply = (500, b"internal error, see the exporter's log\n", PLAIN, {})
        status, body, content_type, extra = reply
        if status >= 400:
            content_type = PLAIN
        headers = {"Content-Type": content_type}
        if "Content-Encoding" not in extra and gzip_ok and len(body) > GZIP_MIN_BYTES:
            body, headers["Content-Encoding"] = gzip.compress(body, compresslevel=6), "gzip"
        headers.update({**self.app.web.headers, **extra, "Content-Length": str(len(body))})
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return [b"" if method == "HEAD" else body]

    def _route(self, environ: WSGIEnvironment, gzip_ok: bool) -> Reply:
        path = environ.get("PATH_INFO", "")
        if path not in OPEN_PATHS and not self._authorized(environ):
            return (
                401,
                b"unauthorized\n",
                PLAIN,
                {"WWW-Authenticate": 'Basic realm="envoy-exporter"'},
            )
        timeout = scrape_timeout(environ.get("HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS"))
        # OpenMetrics when the scraper asks for it (Prometheus does by default), else the
        # classic text format.
        om = OPENMETRICS in environ.get("HTTP_ACCEPT", "")
        content_type = CONTENT_TYPE_OPENMETRICS if om else CONTENT_TYPE_LATEST
        if path == "/metrics":
            status, cached, own = self.app.metrics_parts(timeout, om)
            if status == 200 and gzip_ok and len(cached) > GZIP_MIN_BYTES:
                # A gzip stream may hold several members: the gateway's part is compressed
                # once per refresh, only the small process part on every scrape.
                body = _gzip_once(cached) + gzip.compress(own, compresslevel=6)
                return 200, body, content_type, {"Content-Encoding": "gzip"}
            return status, cached + own, content_type, {}
        if path == "/probe":
            names = parse_qs(environ.get("QUERY_STRING", "")).get("target", [])
            if len(names) > 1:
                return 400, b"give exactly one target parameter\n", PLAIN, {}
            status, body = self.app.probe(names[0] if names else "", timeout, om)
            return status, body, content_type, {}
        if path in OPEN_PATHS:
            return 200, b"OK\n", PLAIN, {}
        if path == "/":
            return 200, self.app.landing(min(timeout, 5.0)), "text/html; charset=utf-8", {}
        if path == "/-/reload" and environ.get("REQUEST_METHOD") == "POST":
            return (*reload_answer(self.app.reloader), PLAIN, {})
        return 404, b"not found: see / for the endpoints\n", PLAIN, {}

    def _authorized(self, environ: WSGIEnvironment) -> bool:
        web = self.app.web
        if not web.auth_required:
            return True
        scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(sep) and web.check_basic_auth(user, password)
