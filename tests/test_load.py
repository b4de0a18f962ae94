"""Concurrent scrapers against one exporter, in-process and short (the 200 scrapers x 60 s
figure belongs to bench/): the gateway sees one refresh per TTL however many scrape, and the
server answers them on its fixed pool of workers (no thread per connection)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.pool import POOL_THREADS
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy.const import URL_METERS_READINGS
from envoy_exporter.server.app import ExporterServer
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory

SCRAPERS = 50
SCRAPES_EACH = 10
WORKERS = 8  # the default: a queue of 8 x 8 connections holds all 50 scrapers
TTL = 15.0
READINGS = URL_METERS_READINGS


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Storm:
    """SCRAPERS threads scraping /metrics SCRAPES_EACH times each, all released at once,
    while a sampler notes the largest number of threads that are not scrapers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.codes: Counter[int] = Counter()
        self.errors: list[str] = []
        self.most_threads = 0
        self._lock = threading.Lock()
        self._go = threading.Barrier(SCRAPERS + 1)
        self._done = threading.Event()

    def _scrape(self) -> None:
        self._go.wait()
        with requests.Session() as session:
            for _ in range(SCRAPES_EACH):
                try:
                    answer = session.get(self.url, timeout=60)
                    code = answer.status_code
                except requests.RequestException as err:
                    with self._lock:
                        self.errors.append(repr(err))
                    continue
                with self._lock:
                    self.codes[code] += 1

    def _others(self) -> int:
        return sum(1 for t in threading.enumerate() if not t.name.startswith("scraper-"))

    def run(self) -> None:
        scrapers = [
            threading.Thread(target=self._scrape, name=f"scraper-{i}") for i in range(SCRAPERS)
        ]
        for thread in scrapers:
            thread.start()
        self._go.wait()
        while any(t.is_alive() for t in scrapers):
            self.most_threads = max(self.most_threads, self._others())
            self._done.wait(0.002)  # a sampling period, not a synchronisation
        for thread in scrapers:
            thread.join()


@pytest.fixture
def loaded(simulator: SimulatorFactory) -> Iterator[tuple[SimulatedEnvoy, ExporterServer, Clock]]:
    sim = simulator("metered-3phase", sleep=False)
    clock = Clock()
    target = Target(
        TargetConfig(name="home", host=sim.host, token=sim.token, cache_ttl=TTL), clock=clock
    )
    server = build_server(
        {"home": target}, single="home", listen="127.0.0.1:0", workers=WORKERS
    ).start()
    yield sim, server, clock
    server.stop()


def readings(sim: SimulatedEnvoy) -> int:
    return sum(1 for r in sim.request_log if r.path == READINGS)


def test_many_scrapers_one_refresh_per_ttl_on_bounded_workers(
    loaded: tuple[SimulatedEnvoy, ExporterServer, Clock],
) -> None:
    sim, server, clock = loaded
    # The refresh thread and the workers exist before the storm (one warm-up scrape).
    assert requests.get(server.url + "metrics", timeout=60).status_code == 200
    assert readings(sim) == 1

    for refresh in (1, 2):
        baseline = threading.active_count()
        storm = Storm(server.url + "metrics")
        storm.run()
        assert storm.errors == []
        assert storm.codes == {200: SCRAPERS * SCRAPES_EACH}
        # One refresh per TTL: no scrape in the storm reached the gateway...
        assert readings(sim) == refresh
        # ...and the server answered 500 scrapes without a thread per connection (the shared
        # work pool may start its threads on demand, up to its bound).
        assert storm.most_threads <= baseline + POOL_THREADS < baseline + SCRAPERS, (
            storm.most_threads,
            baseline,
        )
        clock.now += TTL + 1  # the next storm falls in the next TTL: exactly one refresh
        assert requests.get(server.url + "metrics", timeout=60).status_code == 200
        assert readings(sim) == refresh + 1

    assert {r.method for r in sim.request_log} == {"GET"}
    workers = [t for t in threading.enumerate() if t.name.startswith("waitress-")]
    assert len(workers) >= WORKERS  # this server's pool (other tests' servers may add theirs)
