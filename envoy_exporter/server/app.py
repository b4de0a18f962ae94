"""The exporter's HTTP endpoints: /metrics, /probe, /-/healthy, /-/ready and a landing page.

One gateway is served on /metrics. Many are served on `/probe?target=NAME`, blackbox
style: the answer is built per request in its own registry, while each target's Target
(session, cache, schedule) lives across probes. Only configured targets are ever read.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from .. import __version__
from ..collector.conditions import Condition, report_state
from ..collector.pool import WorkPool, shared_pool
from ..outputs.build_info import BuildInfoCollector
from ..outputs.text import OPENMETRICS_EOF
from .httpd import HttpServer
from .landing import render_landing
from .reload import Reloader
from .webconfig import WebConfig
from .wsgi import SCRAPE_TIMEOUT_HEADER, ExporterWsgi, scrape_timeout

__all__ = ["SCRAPE_TIMEOUT_HEADER", "ExporterApp", "ExporterServer", "scrape_timeout"]

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..collector.target import Target

_LOGGER = logging.getLogger(__name__)
_MAX_TARGET_NAME = 128


class Refresher:
    """Runs one target's snapshot() on the shared work pool so a request can stop waiting.

    The refresh itself goes on: the next scrape finds its result in the Target's cache.
    At most one refresh per target is queued or running, so slow gateways cannot pile up
    work, and the pool's threads do not grow with the number of targets.
    """

    def __init__(self, name: str, target: Target, pool: WorkPool | None = None) -> None:
        self.name = name
        self.target = target
        self._pool = pool or shared_pool()
        self.last: Snapshot | None = None
        self.late = Condition(
            _LOGGER,
            f"target {name}: refresh not finished within the scrape timeout: answering 503, "
            "the next scrape uses its result",
            f"target {name}: refreshes finish within the scrape timeout again",
        )

    def snapshot(self, timeout: float | None) -> Snapshot | None:
        """The target's snapshot, or None when it is not ready within `timeout` seconds."""
        pending = self._pool.once(self.target, self.target.snapshot)
        try:
            snap = pending.result(timeout=timeout)
        except FutureTimeout:
            self.late.occurred(f"waited {timeout or 0.0:.1f} s")
            return None
        self.late.clear()
        report_state(self.name, self.target, snap, _LOGGER)
        self.last = snap
        return snap

    def close(self) -> None:
        self._pool.cancel(self.target)
        self.target.close()


class ExporterApp:
    """The targets and the answers of every endpoint, independent of the socket layer."""

    def __init__(
        self,
        targets: dict[str, Target],
        *,
        single: str | None = None,
        web: WebConfig | None = None,
        render: Callable[[Target, bool], bytes] | None = None,
        pool: WorkPool | None = None,
    ) -> None:
        if single is not None and single not in targets:
            raise ValueError(f"single target {single!r} is not among the targets")
        self.refreshers = {name: Refresher(name, t, pool) for name, t in targets.items()}
        self.single = single
        self.web = web or WebConfig()
        self.started_at = time.time()
        # A fleet's renderers keep less text: ~300 KB a target (outputs/prometheus.py).
        self._render = render or _prometheus_render(fleet=single is None)
        self._own_registry = CollectorRegistry()
        ProcessCollector(registry=self._own_registry)
        PlatformCollector(registry=self._own_registry)
        self._own_registry.register(BuildInfoCollector())
        self._own_registry.register(_LateRefreshes(self))
        #: POST /-/reload reads the configuration file again (set by `serve --config.file`)
        self.reloader: Reloader | None = None

    def register_own(self, collector: Collector) -> None:
        """Add a collector of the exporter's own metrics, served on /metrics."""
        self._own_registry.register(collector)

    def close(self) -> None:
        for refresher in self.refreshers.values():
            refresher.close()

    def metrics_parts(
        self, timeout: float | None, openmetrics: bool = False
    ) -> tuple[int, bytes, bytes]:
        """/metrics as the gateway's exposition (the same bytes object for one snapshot
        generation, so its compressed form can be reused) and the exporter's own metrics.

        In OpenMetrics the gateway's part goes without the `# EOF` the own part ends with."""
        own = (_openmetrics_text if openmetrics else generate_latest)(self._own_registry)
        if self.single is None:
            return 200, b"", own
        refresher = self.refreshers[self.single]
        snap = refresher.snapshot(timeout)
        if snap is None:
            return (*_still_refreshing(self.single, timeout), b"")
        return 200, self._render(refresher.target, openmetrics), own

    def probe(
        self, name: str | None, timeout: float | None, openmetrics: bool = False
    ) -> tuple[int, bytes]:
        if not name:
            return 400, b"missing parameter: target (use /probe?target=NAME)\n"
        refresher = self.refreshers.get(name)
        if refresher is None:
            shown = name[:_MAX_TARGET_NAME].encode("unicode_escape").decode("ascii")
            return 400, f'unknown target "{shown}": only configured targets are probed\n'.encode()
        snap = refresher.snapshot(timeout)
        if snap is None:
            return _still_refreshing(name, timeout)
        text = self._render(refresher.target, openmetrics)
        return 200, text + OPENMETRICS_EOF if openmetrics else text

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


def _openmetrics_text(registry: CollectorRegistry) -> bytes:
    text: bytes = openmetrics.generate_latest(registry)  # type: ignore[no-untyped-call]
    return text


def _still_refreshing(name: str, timeout: float | None) -> tuple[int, bytes]:
    message = (
        f"target {name}: refresh still running after {timeout or 0.0:.1f} s "
        "(scrape timeout); the next scrape will use its result\n"
    )
    return 503, message.encode()


def _prometheus_render(fleet: bool) -> Callable[[Target, bool], bytes]:
    # Imported here so that the server (and its tests) can run with stand-ins.
    from ..outputs.prometheus import render

    return functools.partial(render, fleet=fleet)


class _LateRefreshes(Collector):
    def __init__(self, app: ExporterApp) -> None:
        self._app = app  # its refreshers change on reload

    def collect(self) -> Iterable[Metric]:
        late = CounterMetricFamily(
            "enphase_exporter_scrape_refresh_timeouts",
            "Scrapes answered 503 because the target's refresh outlasted the scrape timeout "
            "(X-Prometheus-Scrape-Timeout-Seconds), per target",
            labels=("target",),
        )
        for name, refresher in sorted(self._app.refreshers.items()):
            late.add_metric([name], refresher.late.total)
        return [late]


class _QueuedRequests(Collector):
    def __init__(self, httpd: HttpServer) -> None:
        self._httpd = httpd

    def collect(self) -> Iterable[Metric]:
        return [
            CounterMetricFamily(
                "enphase_exporter_http_requests_queued",
                "Requests that waited for a free HTTP worker thread (all --web.max-threads busy)",
                value=self._httpd.busy.total,
            )
        ]


class ExporterServer:
    """An ExporterApp served on a socket; `start()` runs it on a background thread."""

    def __init__(self, app: ExporterApp, listen: str = ":9433", *, workers: int = 8) -> None:
        self.app = app
        self.httpd = HttpServer(
            listen,
            ExporterWsgi(app),
            threads=workers,
            ssl_context=app.web.ssl_context,
            ident=f"envoy-exporter/{__version__}",
        )
        app.register_own(_QueuedRequests(self.httpd))

    @property
    def port(self) -> int:
        return self.httpd.port

    @property
    def url(self) -> str:
        """The base URL, with 127.0.0.1 standing for an all-interfaces listener."""
        host = self.httpd.host
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        scheme = "https" if self.app.web.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}/"

    def start(self) -> ExporterServer:
        self.httpd.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.app.close()

    def __enter__(self) -> ExporterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
