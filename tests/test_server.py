"""The exporter's HTTP server against simulated gateways, over real sockets."""

from __future__ import annotations

import dataclasses
import gzip
import logging
import platform
import socket
import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter import __version__
from envoy_exporter.cli.demo import demo_target
from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.target import Target
from envoy_exporter.outputs import prometheus
from envoy_exporter.server.app import ExporterApp, ExporterServer, scrape_timeout
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory

ServerFactory = Callable[..., ExporterServer]


def make_target(name: str, sim: SimulatedEnvoy) -> Target:
    return Target(dataclasses.replace(demo_target(sim), name=name))


@pytest.fixture
def exporter() -> Iterator[ServerFactory]:
    """Factory: exporter({name: sim}, single=name or None) -> a started ExporterServer."""
    servers: list[ExporterServer] = []

    def start(sims: dict[str, SimulatedEnvoy], single: str | None = None) -> ExporterServer:
        targets = {name: make_target(name, sim) for name, sim in sims.items()}
        server = build_server(targets, single=single, listen="127.0.0.1:0").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def samples(text: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def test_metrics_of_a_single_gateway(simulator: SimulatorFactory, exporter: ServerFactory) -> None:
    sim = simulator("metered-3phase")
    server = exporter({"home": sim}, single="home")
    answer = requests.get(server.url + "metrics", timeout=60)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(answer.text)
    assert found["enphase_up"][0].value == 1.0
    assert found["enphase_info"][0].labels["serial"] == sim.serial
    assert "enphase_production_power_watts" in found
    assert "process_cpu_seconds_total" in found  # the exporter's own process
    # Only reads reach the gateway.
    assert {r.method for r in sim.request_log} == {"GET"}


def test_gzip_when_asked(simulator: SimulatorFactory, exporter: ServerFactory) -> None:
    server = exporter({"home": simulator("metered-3phase")}, single="home")
    raw = requests.get(server.url + "metrics", timeout=60, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(raw.raw.read())
    assert b"enphase_up 1.0" in body
    # The gateway's part is compressed once per refresh and the process part per scrape:
    # two gzip members, which clients decode as one stream, equal to the plain answer.
    again = requests.get(server.url + "metrics", timeout=60)  # decoded by urllib3
    plain = requests.get(
        server.url + "metrics", headers={"Accept-Encoding": "identity"}, timeout=60
    )
    assert "Content-Encoding" not in plain.headers

    def series(text: str) -> list[str]:
        return [line.split(" ")[0] for line in text.splitlines() if line.startswith("enphase_")]

    assert series(again.text) == series(plain.text) == series(body.decode())
    assert "process_cpu_seconds_total" in again.text


def test_health_and_readiness(simulator: SimulatorFactory, exporter: ServerFactory) -> None:
    server = exporter({"home": simulator("metered-3phase")}, single="home")
    assert requests.get(server.url + "-/healthy", timeout=10).text == "OK\n"
    assert requests.get(server.url + "-/ready", timeout=10).status_code == 200
    assert requests.get(server.url + "nope", timeout=10).status_code == 404
    assert requests.post(server.url + "metrics", timeout=10).status_code == 405


def test_landing_page_shows_model_firmware_features_and_parts(
    simulator: SimulatorFactory, exporter: ServerFactory
) -> None:
    sim = simulator("battery")
    server = exporter({"home": sim}, single="home")
    page = requests.get(server.url, timeout=60)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    text = page.text
    assert sim.serial in text
    assert "Firmware" in text and "8." in text
    assert "ENCHARGE" in text  # a supported feature of the battery site
    assert "meters" in text and "Last success" in text  # the parts table
    assert "up" in text


def test_probe_many_gateways(simulator: SimulatorFactory, exporter: ServerFactory) -> None:
    home, barn = simulator("metered-3phase"), simulator("battery")
    server = exporter({"home": home, "barn": barn})
    answer = requests.get(server.url + "probe", params={"target": "home"}, timeout=60)
    assert answer.status_code == 200
    assert samples(answer.text)["enphase_info"][0].labels["serial"] == home.serial
    assert barn.request_log == []  # a probe reads only its own target
    answer = requests.get(server.url + "probe", params={"target": "barn"}, timeout=60)
    found = samples(answer.text)
    assert found["enphase_info"][0].labels["serial"] == barn.serial
    assert "enphase_encharge_state_of_charge_ratio" in found
    # A fleet's renderers keep less text and share one set of writers: ~300 KB a target
    # otherwise, which a thousand gateways feel.
    renderers = [prometheus._renderers[r.target] for r in server.app.refreshers.values()]
    assert renderers[0]._runs is renderers[1]._runs
    # The exporter's own /metrics carries no gateway in multi-target mode.
    own = requests.get(server.url + "metrics", timeout=10).text
    assert "enphase_up" not in own and "process_cpu_seconds_total" in own


def test_targets_live_across_probes(simulator: SimulatorFactory, exporter: ServerFactory) -> None:
    sim = simulator("metered-3phase")
    server = exporter({"home": sim})
    for _ in range(3):
        assert requests.get(server.url + "probe?target=home", timeout=60).status_code == 200
    # One setup for three probes: the session and cache outlive each request.
    assert sum(1 for r in sim.request_log if r.path == "/info") == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "missing parameter: target"),
        ("?target=", "missing parameter: target"),
        ("?target=nosuch", 'unknown target "nosuch"'),
        ("?target=home&target=barn", "exactly one target"),
    ],
)
def test_bad_probe_requests_get_400(
    simulator: SimulatorFactory, exporter: ServerFactory, query: str, message: str
) -> None:
    sim = simulator("metered-3phase")
    server = exporter({"home": sim})
    answer = requests.get(server.url + "probe" + query, timeout=10)
    assert answer.status_code == 400
    assert message in answer.text
    assert sim.request_log == []


def test_an_arbitrary_host_is_never_probed(
    simulator: SimulatorFactory, exporter: ServerFactory
) -> None:
    configured, stranger = simulator("metered-3phase"), simulator("battery")
    server = exporter({"home": configured})
    answer = requests.get(server.url + "probe", params={"target": stranger.host}, timeout=10)
    assert answer.status_code == 400
    assert stranger.request_log == [] and configured.request_log == []


def test_secrets_never_in_logs_pages_or_metrics(
    simulator: SimulatorFactory, exporter: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fresh, legacy = simulator("battery"), simulator("legacy")
    server = exporter({"fresh": fresh, "legacy": legacy})
    outputs = [
        requests.get(server.url + "probe?target=fresh", timeout=60).text,
        requests.get(server.url + "probe?target=legacy", timeout=60).text,
        requests.get(server.url, timeout=60).text,
        requests.get(server.url + "metrics", timeout=60).text,
    ]
    everything = "\n".join([*outputs, caplog.text])
    assert "enphase_up 1.0" in outputs[0] and "enphase_up 1.0" in outputs[1]
    for secret in (fresh.token, fresh.cloud_password):
        assert secret not in everything
    assert "eyJ" not in everything  # no JWT at all, whether given or fetched from Enlighten
    # The legacy "envoy" password is the serial's last six digits (public, on the landing
    # page), so only its use as a credential could leak: no log line may carry it that way.
    assert "Authorization" not in caplog.text


class BlockingTarget:
    """A Target whose refresh waits for the test: the slow gateway, without sleeping."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def snapshot(self) -> Any:
        self.entered.set()
        self.release.wait(timeout=60)
        return SimpleNamespace(generation=1)

    def close(self) -> None:
        self.release.set()


def blocking_server(workers: int = 2) -> tuple[ExporterServer, BlockingTarget]:
    target = BlockingTarget()
    app = ExporterApp(
        {"slow": target},  # type: ignore[dict-item]
        single="slow",
        render=lambda t, openmetrics: b"enphase_up 1\n",
    )
    return ExporterServer(app, "127.0.0.1:0", workers=workers).start(), target


def test_scrape_timeout_header_is_honoured() -> None:
    server, target = blocking_server()
    try:
        answer = requests.get(
            server.url + "metrics",
            headers={"X-Prometheus-Scrape-Timeout-Seconds": "0.6"},
            timeout=30,
        )
        assert answer.status_code == 503
        assert "refresh still running" in answer.text
        target.release.set()
        assert requests.get(server.url + "metrics", timeout=30).text.startswith("enphase_up 1\n")
    finally:
        server.stop()


def test_scrape_timeout_parsing() -> None:
    assert scrape_timeout("10") == pytest.approx(9.5)
    assert scrape_timeout("0.2") == pytest.approx(0.1)
    assert scrape_timeout(None) == scrape_timeout("garbage") == scrape_timeout("-1")


def _get(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
    return sock


def test_worker_threads_are_bounded() -> None:
    server, target = blocking_server(workers=1)
    try:
        busy = _get(server.port)  # taken by the only worker, which then waits for the gateway
        assert target.entered.wait(timeout=30)
        before = threading.active_count()
        queued = [_get(server.port) for _ in range(3)]  # wait for the worker, read whole
        assert threading.active_count() == before  # no thread was started per connection
        target.release.set()
        for sock in (busy, *queued):
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
            assert reply.startswith(b"HTTP/1.0 200")
            sock.close()
    finally:
        target.release.set()
        server.stop()


SLOW_CLIENTS = 200


def test_slow_clients_cost_a_connection_not_a_worker() -> None:
    # Issue 13 item 1: clients that send part of a request and then (almost) nothing held
    # every worker for 30 s each; eight of them stopped the server, /-/healthy included.
    server, target = blocking_server(workers=2)
    target.release.set()
    slow: list[socket.socket] = []
    try:
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(sock)
        for path in ("-/healthy", "metrics"):
            answer = requests.get(server.url + path, timeout=5)
            assert answer.status_code == 200
    finally:
        for sock in slow:
            sock.close()
        server.stop()


def test_listening_on_all_interfaces_reports_a_local_url(simulator: SimulatorFactory) -> None:
    target = make_target("home", simulator("metered-3phase"))
    server = build_server({"home": target}, single="home", listen=":0")
    try:
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        server.stop()


def test_multi_target_landing_page_reads_no_gateway(
    simulator: SimulatorFactory, exporter: ServerFactory
) -> None:
    home, barn = simulator("metered-3phase"), simulator("battery")
    server = exporter({"home": home, "barn": barn})
    page = requests.get(server.url, timeout=30).text
    assert page.count("Not read yet") == 2
    assert home.request_log == [] and barn.request_log == []
    assert requests.get(server.url + "probe?target=home", timeout=60).status_code == 200
    page = requests.get(server.url, timeout=30).text
    assert home.serial in page and page.count("Not read yet") == 1
    assert "/probe?target=barn" in page


def _scrape(server: ExporterServer, timeout: str = "0.6") -> requests.Response:
    return requests.get(
        server.url + "metrics", headers={"X-Prometheus-Scrape-Timeout-Seconds": timeout}, timeout=30
    )


def _messages(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if words in r.getMessage()]


def test_a_late_refresh_is_logged_when_it_starts_and_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Issue 13 item 4: a dripping gateway gave a warning per scrape.
    caplog.set_level(logging.INFO)
    server, target = blocking_server()
    try:
        assert [_scrape(server).status_code for _ in range(3)] == [503, 503, 503]
        assert len(_messages(caplog, "refresh not finished")) == 1
        target.release.set()
        answer = _scrape(server, "30")
        assert answer.status_code == 200
        assert len(_messages(caplog, "refreshes finish within the scrape timeout again")) == 1
        found = samples(answer.text)
        assert found["enphase_exporter_scrape_refresh_timeouts_total"][0].value == 3
    finally:
        target.release.set()
        server.stop()


def test_busy_workers_are_logged_once_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    # Issue 13 item 4: 200 scrapers for 30 s wrote 59,439 "all HTTP workers busy" lines.
    server, target = blocking_server(workers=1)
    try:
        busy = _get(server.port)
        assert target.entered.wait(timeout=30)
        queued = [_get(server.port) for _ in range(5)]
        target.release.set()
        for sock in (busy, *queued):
            while sock.recv(65536):
                pass
            sock.close()
        assert len(_messages(caplog, "HTTP worker threads busy")) == 1
        assert "Task queue depth" not in caplog.text
        found = samples(requests.get(server.url + "metrics", timeout=30).text)
        # Each request that found the worker busy counts (those read after the release not).
        assert found["enphase_exporter_http_requests_queued_total"][0].value >= 1
    finally:
        target.release.set()
        server.stop()


def test_build_info_names_version_revision_and_python(
    simulator: SimulatorFactory, exporter: ServerFactory
) -> None:
    server = exporter({"home": simulator("legacy")}, single="home")
    text = requests.get(server.url + "metrics", timeout=60).text
    found = [
        sample
        for family in text_string_to_metric_families(text)
        if family.name == "enphase_exporter_build_info"
        for sample in family.samples
    ]
    assert len(found) == 1
    labels = found[0].labels
    assert found[0].value == 1.0
    assert labels["version"] == __version__
    assert labels["python_version"] == platform.python_version()
    assert labels["revision"]  # a commit in a checkout, "unknown" elsewhere


def test_openmetrics_when_the_scraper_asks(
    simulator: SimulatorFactory, exporter: ServerFactory
) -> None:
    # Issue 16 item 9: Prometheus asks for OpenMetrics first; curl and older scrapers do not.
    sim = simulator("metered-3phase")
    server = exporter({"home": sim}, single="home")
    multi = exporter({"home": sim})
    accept = {"Accept": "application/openmetrics-text;version=1.0.0;q=0.6,text/plain;q=0.3"}
    for url in (server.url + "metrics", multi.url + "probe?target=home"):
        answer = requests.get(url, headers=accept, timeout=60)
        assert answer.headers["Content-Type"].startswith("application/openmetrics-text")
        assert answer.text.endswith("# EOF\n") and answer.text.count("# EOF") == 1
        families = {f.name: f for f in openmetrics_families(answer.text)}
        assert families["enphase_up"].samples[0].value == 1.0
        plain = requests.get(url, timeout=60)
        assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert "# EOF" not in plain.text
    gzipped = requests.get(server.url + "metrics", headers=accept, timeout=60)  # decoded
    assert gzipped.headers["Content-Encoding"] == "gzip" and gzipped.text.endswith("# EOF\n")
    assert "process_cpu_seconds" in gzipped.text  # the exporter's own, before the one EOF
