"""The exporter's HTTP endpoints: /metrics, /probe, /-/healthy, /-/ready and a landing page.

One gateway is served on /metrics. Many are served on `/probe?target=NAME`, blackbox
style: the answer is built per request in its own registry, while each target's Target
(session, cache, schedule) lives across probes. Only configured targets are ever read.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from .. import __version__
from ..outputs.build_info import BuildInfoCollector
from .httpd import PoolHTTPServer
from .landing import render_landing
from .reload import Reloader, reload_answer
from .webconfig import WebConfig

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..collector.target import Target

_LOGGER = logging.getLogger(__name__)
SCRAPE_TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
DEFAULT_WAIT = 120.0  # without a scrape timeout header (a human with curl)
_TIMEOUT_MARGIN = 0.5  # answer this long before Prometheus gives up, so it sees our 503
_MAX_TARGET_NAME = 128
# The body is the classic text format whatever prometheus_client's newest label says
# (0.22 announces version=1.0.0), and every Prometheus 2.x and 3.x reads 0.0.4.
CONTENT_TYPE_LATEST = "text/plain; version=0.0.4; charset=utf-8"


class Refresher:
    """Runs one target's snapshot() on a side thread so a request can stop waiting for it.

    The refresh itself goes on: the next scrape finds its result in the Target's cache.
    At most one side refresh per target is in flight, so slow gateways cannot pile up threads.
    """

    def __init__(self, name: str, target: Target) -> None:
        self.name = name
        self.target = target
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refresh")
        self._pending: Future[Snapshot] | None = None
        self._lock = threading.Lock()
        self.last: Snapshot | None = None

    def snapshot(self, timeout: float | None) -> Snapshot | None:
        """The target's snapshot, or None when it is not ready within `timeout` seconds."""
        with self._lock:
            if self._pending is None or self._pending.done():
                self._pending = self._executor.submit(self.target.snapshot)
            pending = self._pending
        try:
            snap = pending.result(timeout=timeout)
        except FutureTimeout:
            return None
        self._report(snap)
        self.last = snap
        return snap

    def _report(self, snap: Snapshot) -> None:
        # One line when the gateway's state changes, not one per scrape.
        before = self.last
        was_up = getattr(before, "up", True)
        up = getattr(snap, "up", True)
        error = getattr(snap, "error", None)
        if not up and (was_up or error != getattr(before, "error", None)):
            _LOGGER.warning(
                "target %s: gateway unreadable: %s", self.name, error or "unknown error"
            )
        elif up and not was_up:
            _LOGGER.info("target %s: gateway readable again", self.name)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.target.close()


class ExporterApp:
    """The targets and the answers of every endpoint, independent of the socket layer."""

    def __init__(
        self,
        targets: dict[str, Target],
        *,
        single: str | None = None,
        web: WebConfig | None = None,
        render: Callable[[Target], bytes] | None = None,
    ) -> None:
        if single is not None and single not in targets:
            raise ValueError(f"single target {single!r} is not among the targets")
        self.refreshers = {name: Refresher(name, t) for name, t in targets.items()}
        self.single = single
        self.web = web or WebConfig()
        self.started_at = time.time()
        self._render = render or _prometheus_render()
        self._own_registry = CollectorRegistry()
        ProcessCollector(registry=self._own_registry)
        PlatformCollector(registry=self._own_registry)
        self._own_registry.register(BuildInfoCollector())
        #: POST /-/reload reads the configuration file again (set by `serve --config.file`)
        self.reloader: Reloader | None = None

    def register_own(self, collector: Collector) -> None:
        """Add a collector of the exporter's own metrics, served on /metrics."""
        self._own_registry.register(collector)

    def close(self) -> None:
        for refresher in self.refreshers.values():
            refresher.close()

    def metrics(self, timeout: float | None) -> tuple[int, bytes]:
        status, cached, own = self.metrics_parts(timeout)
        return status, cached + own

    def metrics_parts(self, timeout: float | None) -> tuple[int, bytes, bytes]:
        """/metrics as the gateway's exposition (the same bytes object for one snapshot
        generation, so its compressed form can be reused) and the exporter's own metrics."""
        own = generate_latest(self._own_registry)
        if self.single is None:
            return 200, b"", own
        refresher = self.refreshers[self.single]
        if refresher.snapshot(timeout) is None:
            return (*_still_refreshing(self.single, timeout), b"")
        return 200, self._render(refresher.target), own

    def probe(self, name: str | None, timeout: float | None) -> tuple[int, bytes]:
        if not name:
            return 400, b"missing parameter: target (use /probe?target=NAME)\n"
        refresher = self.refreshers.get(name)
        if refresher is None:
            shown = name[:_MAX_TARGET_NAME].encode("unicode_escape").decode("ascii")
            return 400, f'unknown target "{shown}": only configured targets are probed\n'.encode()
        if refresher.snapshot(timeout) is None:
            return _still_refreshing(name, timeout)
        return 200, self._render(refresher.target)

    def landing(self, timeout: float) -> bytes:
        snaps: dict[str, Snapshot | None] = {}
        for name, refresher in self.refreshers.items():
            if self.single is not None:
                # A landing page must not wait long on a gateway that is setting up.
                snaps[name] = refresher.snapshot(timeout) or refresher.last
            else:
                # Many gateways: show what the last probes saw; a page view reads no gateway.
                snaps[name] = refresher.last
        return render_landing(
            snaps,
            single=self.single,
            version=__version__,
            auth=self.web.auth_required,
            tls=self.web.ssl_context is not None,
        ).encode()


GZIP_MIN_BYTES = 1024


@functools.lru_cache(maxsize=4)
def _gzip_once(body: bytes) -> bytes:
    # Keyed by the exposition bytes: render() returns the same object for a whole snapshot
    # generation (and bytes cache their hash), so a hit costs no hashing of the body.
    return gzip.compress(body, compresslevel=6)


def _still_refreshing(name: str, timeout: float | None) -> tuple[int, bytes]:
    _LOGGER.warning("target %s: refresh not finished within %.1f s", name, timeout or 0.0)
    message = (
        f"target {name}: refresh still running after {timeout or 0.0:.1f} s "
        "(scrape timeout); the next scrape will use its result\n"
    )
    return 503, message.encode()


def _prometheus_render() -> Callable[[Target], bytes]:
    # Imported here so that the server (and its tests) can run with stand-ins.
    from ..outputs.prometheus import render

    return render


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


class ExporterHandler(BaseHTTPRequestHandler):
    """Routes requests to the ExporterApp stored on the server."""

    server_version = f"envoy-exporter/{__version__}"
    # Exempt from basic auth: they reveal nothing, and container health checks carry no password.
    _OPEN_PATHS = ("/-/healthy", "/-/ready")

    @property
    def app(self) -> ExporterApp:
        app: ExporterApp = self.server.app  # type: ignore[attr-defined]
        return app

    def do_GET(self) -> None:
        self._dispatch(send_body=True)

    def do_HEAD(self) -> None:
        self._dispatch(send_body=False)

    def _not_allowed(self) -> None:
        self._reply(405, b"method not allowed\n", extra={"Allow": "GET, HEAD"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/-/reload":
            self._not_allowed()
            return
        self.close_connection = True  # a request body, if any, is left unread
        self._dispatch(send_body=True)

    def _dispatch(self, send_body: bool) -> None:
        self._send_body = send_body
        try:
            self._route()
        except Exception as exc:
            # A bug must cost one answer, not the connection: Prometheus then records a
            # failed scrape with a reason instead of a reset.
            _LOGGER.error("%s failed: %s: %s", urlsplit(self.path).path, type(exc).__name__, exc)
            _LOGGER.debug("request failure", exc_info=True)
            self._reply(500, b"internal error, see the exporter's log\n")

    def _route(self) -> None:
        url = urlsplit(self.path)
        if url.path not in self._OPEN_PATHS and not self._authorized():
            self._reply(
                401, b"unauthorized\n", extra={"WWW-Authenticate": 'Basic realm="envoy-exporter"'}
            )
            return
        timeout = scrape_timeout(self.headers.get(SCRAPE_TIMEOUT_HEADER))
        if url.path == "/metrics":
            status, cached, own = self.app.metrics_parts(timeout)
            if status == 200 and self._accepts_gzip() and len(cached) > GZIP_MIN_BYTES:
                # A gzip stream may hold several members: the gateway's part is compressed
                # once per refresh, only the small process part on every scrape.
                body = _gzip_once(cached) + gzip.compress(own, compresslevel=6)
                self._reply(200, body, content_type=CONTENT_TYPE_LATEST, encoded=True)
            else:
                self._reply(status, cached + own, content_type=CONTENT_TYPE_LATEST)
        elif url.path == "/probe":
            names = parse_qs(url.query).get("target", [])
            name = names[0] if len(names) == 1 else ("" if not names else None)
            if name is None:
                self._reply(400, b"give exactly one target parameter\n")
            else:
                self._reply(*self.app.probe(name, timeout), content_type=CONTENT_TYPE_LATEST)
        elif url.path in self._OPEN_PATHS:
            self._reply(200, b"OK\n")
        elif url.path == "/":
            self._reply(
                200, self.app.landing(min(timeout, 5.0)), content_type="text/html; charset=utf-8"
            )
        elif url.path == "/-/reload" and self.command == "POST":
            self._reply(*reload_answer(self.app.reloader))
        else:
            self._reply(404, b"not found: see / for the endpoints\n")

    def _authorized(self) -> bool:
        web = self.app.web
        if not web.auth_required:
            return True
        header = self.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(sep) and web.check_basic_auth(user, password)

    def _reply(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "text/plain; charset=utf-8",
        extra: dict[str, str] | None = None,
        encoded: bool = False,
    ) -> None:
        if status >= 400:
            content_type = "text/plain; charset=utf-8"
        gzipped = encoded or (self._accepts_gzip() and len(body) > GZIP_MIN_BYTES)
        if gzipped and not encoded:
            body = gzip.compress(body, compresslevel=6)
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        for key, value in {**self.app.web.headers, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if getattr(self, "_send_body", True):
            self.wfile.write(body)

    def _accepts_gzip(self) -> bool:
        return "gzip" in self.headers.get("Accept-Encoding", "")

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("%s %s", self.address_string(), format % args)


class ExporterServer:
    """An ExporterApp served on a socket; `start()` runs it on a background thread."""

    def __init__(self, app: ExporterApp, listen: str = ":9433", *, workers: int = 8) -> None:
        self.app = app
        self.httpd = PoolHTTPServer(
            listen, ExporterHandler, workers=workers, ssl_context=app.web.ssl_context
        )
        self.httpd.app = app  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.port

    @property
    def url(self) -> str:
        """The base URL, with 127.0.0.1 standing for an all-interfaces listener."""
        host = self.httpd.server_name or "127.0.0.1"
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)  # noqa: S104
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        scheme = "https" if self.app.web.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}/"

    def start(self) -> ExporterServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="http-accept", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()
        self.app.close()

    def __enter__(self) -> ExporterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
