"""Every fault mode against the exporter: the real HTTP server, a Target on a fake clock, the
simulator misbehaving. For each fault: /metrics answers within the scrape timeout (the client
waits no longer than the X-Prometheus-Scrape-Timeout-Seconds it sends), enphase_up and
enphase_exporter_collector_success say what happened, no value outlives its freshness bound,
the next good refresh restores every series without a restart, and the log says what went
wrong once, without a stack trace at the default level."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.target import STALE_INTERVALS, Target, TargetConfig
from envoy_exporter.envoy.const import URL_INVENTORY, URL_METERS_READINGS, URL_PRODUCTION_INVERTERS
from envoy_exporter.server.app import SCRAPE_TIMEOUT_HEADER, ExporterServer
from envoy_exporter.simulator import faults as F
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory

READINGS = URL_METERS_READINGS
INVERTERS = URL_PRODUCTION_INVERTERS
PRODUCTION_JSON = "/production.json"
SCRAPE_TIMEOUT = 10.0
TTL = 15.0
Series = frozenset[tuple[str, tuple[tuple[str, str], ...]]]


class Clock:
    """Wall-clock seconds that move only when the test says so (Target and faults share it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Scrape:
    status: int
    text: str
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    def value(self, name: str, **labels: str) -> float | None:
        return self.values.get((name, tuple(sorted(labels.items()))))

    def has(self, prefix: str) -> bool:
        return any(name.startswith(prefix) for name, _ in self.values)

    def gateway_series(self) -> Series:
        """Every gateway series (not the exporter's own health, not the process)."""
        return frozenset(
            key
            for key in self.values
            if not key[0].startswith(("enphase_exporter_", "process_", "python_"))
        )


class Rig:
    """A simulated gateway with a fault, one Target on a fake clock, the real HTTP server."""

    def __init__(
        self, sim: SimulatedEnvoy, fault: F.Fault, clock: Clock, enlighten: bool, **cfg: Any
    ) -> None:
        self.sim, self.fault, self.clock = sim, fault, clock
        if enlighten:
            cfg.update(
                username=sim.cloud_username,
                password=sim.cloud_password,
                enlighten_login_url=sim.enlighten_login_url,
                enlighten_token_url=sim.enlighten_token_url,
            )
        config = TargetConfig(name="home", host=sim.host, token=sim.token, cache_ttl=TTL, **cfg)
        self.target = Target(config, clock=clock)
        self.server: ExporterServer = build_server(
            {"home": self.target}, single="home", listen="127.0.0.1:0"
        ).start()

    def scrape(self, timeout: float = SCRAPE_TIMEOUT) -> Scrape:
        """One scrape, the way Prometheus does it: the header, and no waiting past it."""
        answer = requests.get(
            self.server.url + "metrics",
            headers={SCRAPE_TIMEOUT_HEADER: f"{timeout:g}"},
            timeout=timeout,
        )
        values: dict[Any, float] = {}
        if answer.status_code == 200:
            for family in text_string_to_metric_families(answer.text):
                for sample in family.samples:
                    values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return Scrape(answer.status_code, answer.text, values)

    def settled(self, timeout: float = SCRAPE_TIMEOUT, tries: int = 20) -> Scrape:
        """Scrape until the refresh running behind a 503 has finished (bounded)."""
        for _ in range(tries):
            scrape = self.scrape(timeout)
            assert scrape.status in (200, 503), scrape.text
            if scrape.status == 200:
                return scrape
        raise AssertionError(f"no 200 in {tries} scrapes")

    def advance(self, seconds: float) -> Scrape:
        self.clock.now += seconds
        return self.settled()

    def close(self) -> None:
        self.server.stop()


@pytest.fixture
def rig(simulator: SimulatorFactory) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def start(
        fault: F.Fault, profile: str = "metered-3phase", enlighten: bool = False, **cfg: Any
    ) -> Rig:
        clock = Clock()
        fault.clock = clock
        if hasattr(fault, "armed_at"):
            fault.armed_at = clock()
        fault.enabled = False
        sim = simulator(profile, sleep=False, fault=fault)
        made = Rig(sim, fault, clock, enlighten, **cfg)
        rigs.append(made)
        return made

    yield start
    for made in rigs:
        made.fault.close()
        made.close()


@pytest.fixture
def default_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The levels `serve` sets at its default --log.level=info (cli/options.setup_logging):
    info, with urllib3's per-retry warnings silenced."""
    caplog.set_level(logging.INFO)
    urllib3 = logging.getLogger("urllib3")
    level = urllib3.level
    urllib3.setLevel(logging.ERROR)  # not caplog.set_level: that would lower its handler too
    yield caplog
    urllib3.setLevel(level)


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Records a user sees at the default level (info) that report a problem."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


#: what stays known about a gateway while it cannot be read (from /info and the probe)
IDENTITY_NAMES = (
    "enphase_up",
    "enphase_info",
    "enphase_supported_feature",
    "enphase_phases",
    "enphase_ct_meters",
    "enphase_active_phases",
    "enphase_acb_reported",
    "enphase_interface_info",
    "enphase_software_build_timestamp_seconds",
    "enphase_poor_data_quality",
)


def identity(series: Series) -> Series:
    return frozenset(k for k in series if k[0] in IDENTITY_NAMES) | {("enphase_up", ())}


def assert_said_once(caplog: pytest.LogCaptureFixture, words: str) -> None:
    """The problem is logged, and no line repeats over a steady failure.

    The server logs again when the error's text changes (the first failure is seen on a data
    endpoint, the next ones on /info): at most one line per distinct cause.
    """
    said = [x.getMessage() for x in problems(caplog)]
    assert said and all(words in line for line in said), said
    assert len(said) == len(set(said)) <= 2, said


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert all(r.exc_info is None for r in shown), [r.getMessage() for r in shown if r.exc_info]
    assert "Traceback" not in "\n".join(r.getMessage() for r in shown)


# -- the gateway as a whole fails: enphase_up 0, no gateway value at all ------------------


WHOLE_GATEWAY: dict[str, Callable[[], F.Fault]] = {
    "500": lambda: F.Status(500),
    "503": lambda: F.Status(503),
    "hang": lambda: F.Hang(),
    "delay": lambda: F.Delay(30.0),
    "reset": lambda: F.Reset(paths=["/"]),
    "truncate": lambda: F.Truncated(paths=["/"]),
    "outage": lambda: F.Outage(300.0),
}


@pytest.mark.parametrize("name", list(WHOLE_GATEWAY))
def test_whole_gateway_fault(
    rig: Callable[..., Rig], default_logging: pytest.LogCaptureFixture, name: str
) -> None:
    caplog = default_logging
    fault = WHOLE_GATEWAY[name]()
    r = rig(fault, timeout=1.0)
    good = r.settled()
    assert good.value("enphase_up") == 1.0
    if isinstance(fault, F.Outage):
        fault.start = r.clock()
    fault.enabled = True
    for _ in range(6):
        down = r.advance(TTL + 1)
        assert down.value("enphase_up") == 0.0
        assert down.gateway_series() <= identity(good.gateway_series()), (
            "no measured value may be served while the gateway is unreadable"
        )
    assert_said_once(caplog, "unreadable")
    fault.enabled = False
    fault.close()
    if isinstance(fault, F.Outage):
        r.clock.now = fault.start + fault.seconds
    back = r.advance(TTL + 1)
    assert back.value("enphase_up") == 1.0
    assert back.gateway_series() == good.gateway_series()
    assert any("readable again" in r.getMessage() for r in caplog.records)
    assert_no_traceback(caplog)


def test_connection_refused(
    rig: Callable[..., Rig], default_logging: pytest.LogCaptureFixture
) -> None:
    caplog = default_logging
    r = rig(F.Status(500), timeout=1.0)
    good = r.settled()
    port = r.sim.port
    r.sim.stop()
    for _ in range(3):
        down = r.advance(TTL + 1)
        assert down.value("enphase_up") == 0.0
        assert down.gateway_series() <= identity(good.gateway_series())
    assert_said_once(caplog, "unreadable")
    r.sim.listen_port = port
    r.sim.start()
    back = r.advance(TTL + 1)
    assert back.value("enphase_up") == 1.0
    assert back.gateway_series() == good.gateway_series()
    assert_no_traceback(caplog)


def test_nightly_outage_of_five_minutes_on_the_injected_clock(rig: Callable[..., Rig]) -> None:
    fault = F.Outage(300.0)
    r = rig(fault, timeout=1.0)
    good = r.settled()
    fault.arm()
    seen = []
    for _ in range(19):  # 19 x 16 s = 304 s: the whole outage, scraped every 16 s
        seen.append(r.advance(16).value("enphase_up"))
    assert seen[:18] == [0.0] * 18  # the outage covers the first 300 s
    assert seen[-1] == 1.0
    assert r.settled().gateway_series() == good.gateway_series()


# -- one endpoint fails: enphase_up stays 1, its part says 0, its values expire -----------


INVERTER_POWER = "enphase_inverter_power_watts"
PART_FAULTS: dict[str, tuple[Callable[[], F.Fault], str, str]] = {
    # the inverters' state comes from the inventory, another part
    "500-inverters": (lambda: F.Status(500, paths=[INVERTERS]), "inverters", INVERTER_POWER),
    "503-readings": (lambda: F.Status(503, paths=[READINGS]), "meters", "enphase_ct_power"),
    "401-readings": (lambda: F.Unauthorized(), "meters", "enphase_ct_power"),
    "html": (lambda: F.Html(paths=[READINGS]), "meters", "enphase_ct_power"),
    "50MB": (lambda: F.Huge(50, paths=[READINGS]), "meters", "enphase_ct_power"),
    "html-inverters": (lambda: F.Html(paths=[INVERTERS]), "inverters", INVERTER_POWER),
}


@pytest.mark.parametrize("name", list(PART_FAULTS))
def test_one_endpoint_fault(rig: Callable[..., Rig], name: str) -> None:
    make, part, prefix = PART_FAULTS[name]
    fault = make()
    r = rig(fault)
    good = r.settled()
    assert good.value("enphase_exporter_collector_success", collector=part) == 1.0
    interval = good.value("enphase_exporter_refresh_interval_seconds", endpoint=fault.paths[0])
    assert interval is not None
    fault.enabled = True
    failed = r.advance(interval + 1)
    assert failed.status == 200
    assert failed.value("enphase_up") == 1.0  # the other parts were read
    assert failed.value("enphase_exporter_collector_success", collector=part) == 0.0
    others = {k for k in good.values if k[0] == "enphase_exporter_collector_success"}
    assert all(failed.values[k] == 1.0 for k in others if dict(k[1])["collector"] != part)
    age = failed.value("enphase_exporter_data_age_seconds", collector=part)
    assert age is not None and age <= STALE_INTERVALS * interval
    # Past its freshness bound the part's values go; the gateway stays up.
    stale = r.advance(STALE_INTERVALS * interval + 1)
    assert stale.value("enphase_exporter_data_stale", collector=part) == 1.0
    assert not stale.has(prefix)
    assert stale.value("enphase_up") == 1.0
    fault.enabled = False
    back = r.advance(interval + 1)
    assert back.value("enphase_exporter_collector_success", collector=part) == 1.0
    assert back.value("enphase_exporter_data_stale", collector=part) == 0.0
    assert back.gateway_series() == good.gateway_series()


@pytest.mark.parametrize(
    "make",
    [lambda: F.Truncated(paths=[READINGS]), lambda: F.Reset(paths=[READINGS])],
    ids=["truncated", "reset"],
)
def test_body_cut_on_one_endpoint(rig: Callable[..., Rig], make: Callable[[], F.Fault]) -> None:
    fault = make()
    r = rig(fault)
    good = r.settled()
    fault.enabled = True
    failed = r.advance(TTL + 1)
    success = [v for k, v in failed.values.items() if k[0] == "enphase_exporter_collector_success"]
    assert failed.value("enphase_exporter_collector_success", collector="meters") == 0.0
    # A broken connection ends the refresh (the gateway may be gone): enphase_up must then
    # say that nothing was read, or be backed by a part that was.
    assert failed.value("enphase_up") == max(success)
    stale = r.advance(STALE_INTERVALS * TTL + 1)
    assert not stale.has("enphase_ct_power")
    fault.enabled = False
    back = r.advance(TTL + 1)
    assert back.value("enphase_up") == 1.0
    assert back.gateway_series() == good.gateway_series()


def test_a_failing_part_is_logged_once(
    rig: Callable[..., Rig], default_logging: pytest.LogCaptureFixture
) -> None:
    caplog = default_logging
    fault = F.Html(paths=[READINGS])
    r = rig(fault)
    r.settled()
    fault.enabled = True
    for _ in range(3):
        assert (
            r.advance(TTL + 1).value("enphase_exporter_collector_success", collector="meters")
            == 0.0
        )
    said = [x for x in problems(caplog) if "meters" in x.getMessage() or READINGS in x.getMessage()]
    assert len(said) == 1
    assert_no_traceback(caplog)
    fault.enabled = False
    r.advance(TTL + 1)
    assert any("meters" in x.getMessage() for x in caplog.records if x.levelno == logging.INFO)


def test_answer_after_n_seconds_beyond_the_scrape_timeout(rig: Callable[..., Rig]) -> None:
    fault = F.Delay(3.0, paths=[READINGS])
    r = rig(fault, timeout=10.0)
    good = r.settled()
    fault.enabled = True
    r.clock.now += TTL + 1
    # The refresh waits 3 s for the readings; a scrape with a 1 s budget is answered anyway.
    late = r.scrape(timeout=1.0)
    assert late.status == 503 and "refresh still running" in late.text
    done = r.settled()  # the same refresh, finished: nothing was lost
    assert done.value("enphase_up") == 1.0
    assert done.value("enphase_exporter_collector_success", collector="meters") == 1.0
    assert done.gateway_series() == good.gateway_series()


def test_hanging_endpoint_within_the_scrape_timeout(rig: Callable[..., Rig]) -> None:
    fault = F.Hang(paths=[READINGS])
    r = rig(fault, timeout=10.0)
    r.settled()
    fault.enabled = True
    r.clock.now += TTL + 1
    assert r.scrape(timeout=1.0).status == 503
    assert r.scrape(timeout=1.0).status == 503  # still one refresh in flight, not two
    fault.close()  # the gateway gives up the connection
    fault.enabled = False
    after = r.settled()
    assert after.value("enphase_up") is not None
    back = r.advance(TTL + 1)
    assert back.value("enphase_up") == 1.0
    assert back.value("enphase_exporter_collector_success", collector="meters") == 1.0


# -- authentication ----------------------------------------------------------------------


def test_token_revoked_is_replaced_from_enlighten(rig: Callable[..., Rig]) -> None:
    fault = F.Revoked(after=0)
    r = rig(fault, enlighten=True)
    sim = r.sim
    good = r.settled()
    fault.enabled = True  # every credential seen so far is revoked at the next request
    again = r.advance(TTL + 1)
    assert again.value("enphase_up") == 1.0
    assert again.value("enphase_exporter_collector_success", collector="meters") == 1.0
    assert again.value("enphase_exporter_authentication_failed") == 0.0
    assert again.gateway_series() == good.gateway_series()
    assert any(x.status == 401 for x in sim.request_log)


def test_token_revoked_without_credentials_says_so_once(
    rig: Callable[..., Rig], default_logging: pytest.LogCaptureFixture
) -> None:
    # 401 on every endpoint but /info, scrape after scrape: /info answering is no sign that
    # the gateway can be read (it used to flap 0, 1, 0, 1 and log every cycle).
    caplog = default_logging
    fault = F.Revoked(after=0)
    r = rig(fault)
    r.settled()
    fault.enabled = True
    scrapes = [r.advance(TTL + 1) for _ in range(6)]
    assert [s.value("enphase_up") for s in scrapes] == [0.0] * 6
    assert [s.value("enphase_exporter_authentication_failed") for s in scrapes] == [1.0] * 6
    assert not any(s.has("enphase_ct_power") for s in scrapes)
    said = [x.getMessage() for x in caplog.records if x.name.startswith("envoy_exporter")]
    assert len(said) == 1 and "401" in said[0], said
    assert_no_traceback(caplog)


def test_up_is_zero_when_no_part_has_data_to_show(rig: Callable[..., Rig]) -> None:
    # Every endpoint answers 200 with an HTML page: answered, but no part can be read.
    r = rig(F.Html())
    assert r.settled().value("enphase_up") == 1.0
    r.fault.enabled = True
    snap = r.advance(3601)  # past the longest interval: every part is read again, and fails
    parts = {
        k[1]: v for k, v in snap.values.items() if k[0] == "enphase_exporter_collector_success"
    }
    assert parts and set(parts.values()) == {0.0}, parts
    assert snap.value("enphase_up") == 0.0
    r.fault.enabled = False
    assert r.advance(TTL + 1).value("enphase_up") == 1.0


def test_part_left_out_for_size_is_warned_once(
    rig: Callable[..., Rig], default_logging: pytest.LogCaptureFixture
) -> None:
    caplog = default_logging
    fault = F.Huge(megabytes=9.0, paths=[INVERTERS])  # over the 8 MB limit
    r = rig(fault)
    fault.enabled = True
    first = r.settled()
    assert first.value("enphase_up") == 1.0
    assert first.value("enphase_exporter_collector_success", collector="inverters") is None
    r.advance(86400 + 1)  # the daily probe finds it too large again
    said = [x.getMessage() for x in problems(caplog)]
    assert len(said) == 1 and INVERTERS in said[0] and "limit" in said[0], said
    fault.enabled = False
    r.advance(86400 + 1)
    assert r.advance(301).value("enphase_exporter_collector_success", collector="inverters") == 1.0


def test_401_on_one_endpoint_only(rig: Callable[..., Rig]) -> None:
    r = rig(F.Unauthorized())  # /ivp/meters/readings
    assert r.settled().value("enphase_exporter_authentication_failed") == 0.0
    r.fault.enabled = True
    snap = r.advance(TTL + 1)
    assert snap.value("enphase_up") == 1.0
    # refused again after a fresh login: the credentials may not read that endpoint
    assert snap.value("enphase_exporter_authentication_failed") == 1.0
    assert snap.value("enphase_exporter_collector_success", collector="meters") == 0.0
    assert snap.value("enphase_exporter_collector_success", collector="inverters") == 1.0
    assert snap.value("enphase_exporter_requests_total", endpoint=READINGS, code="401")
    r.fault.enabled = False
    assert r.advance(TTL + 1).value("enphase_exporter_authentication_failed") == 0.0


# -- /info -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [F.BadXml, F.XmlBomb], ids=["invalid-xml", "entity-bomb"])
def test_bad_info_at_start_then_recovery(
    rig: Callable[..., Rig], default_logging: pytest.LogCaptureFixture, make: Callable[[], F.Fault]
) -> None:
    caplog = default_logging
    fault = make()
    r = rig(fault)
    fault.enabled = True
    down = r.settled()
    assert down.value("enphase_up") == 0.0
    assert not down.has("enphase_info")
    r.advance(TTL + 1)
    said = [x.getMessage() for x in problems(caplog)]
    assert len(said) == 1 and "/info" in said[0], said
    fault.enabled = False
    back = r.advance(TTL + 1)
    assert back.value("enphase_up") == 1.0
    assert back.has("enphase_ct_power")
    assert_no_traceback(caplog)


def test_reboot_into_another_firmware(
    rig: Callable[..., Rig], default_logging: pytest.LogCaptureFixture
) -> None:
    caplog = default_logging
    fault = F.Reboot("D8.2.4382", down=60.0)
    r = rig(fault)
    first = r.settled()
    assert (
        first.value(
            "enphase_info",
            serial=r.sim.serial,
            firmware="7.6.175",
            part_number="800-00654-r08",
            model=_model(first),
            host=r.sim.host,
        )
        == 1.0
    )
    fault.arm()
    rebooting = r.advance(TTL + 1)
    assert rebooting.value("enphase_up") == 0.0
    r.clock.now = fault.armed_at + fault.down
    after = r.advance(1)
    assert after.value("enphase_up") == 1.0
    firmware = {dict(k[1]).get("firmware") for k in after.values if k[0] == "enphase_info"}
    assert firmware == {"8.2.4382"}
    assert any("gateway changed" in x.getMessage() for x in caplog.records)
    assert_no_traceback(caplog)


def _model(scrape: Scrape) -> str:
    return next(dict(k[1])["model"] for k in scrape.values if k[0] == "enphase_info")


# -- data that is valid but surprising -----------------------------------------------------


def test_ct_counter_stepping_backwards_is_counted(rig: Callable[..., Rig]) -> None:
    fault = F.Backwards(1_000_000.0)
    r = rig(fault)
    good = r.settled()
    assert good.value("enphase_exporter_counter_decreases_total") == 0.0
    fault.enabled = True
    back = r.advance(TTL + 1)
    assert back.value("enphase_up") == 1.0
    decreases = back.value("enphase_exporter_counter_decreases_total")
    assert decreases is not None and decreases > 0
    # The exporter reports what the gateway says; the decrease is visible, not hidden.
    delivered = [
        v for k, v in back.values.items() if k[0] == "enphase_ct_energy_delivered_joules_total"
    ]
    before = [
        v for k, v in good.values.items() if k[0] == "enphase_ct_energy_delivered_joules_total"
    ]
    assert min(delivered) < max(before)


def test_inverter_disappearing_takes_its_series_with_it(rig: Callable[..., Rig]) -> None:
    fault = F.InverterGone()
    r = rig(fault)
    good = r.settled()
    fault.enabled = True
    # the inverter report is read every 300 s, the inventory (the inverters' state) hourly
    inventory = good.value("enphase_exporter_refresh_interval_seconds", endpoint=URL_INVENTORY)
    assert inventory is not None and inventory >= 301
    gone = r.advance(inventory + 1)
    serial = fault.serial
    assert serial is not None
    assert gone.value("enphase_up") == 1.0
    with_serial = [k for k in gone.values if ("serial", serial) in k[1]]
    assert with_serial == [], "a vanished inverter's values must not be served"
    assert any(("serial", serial) in k[1] for k in good.values)
    fault.enabled = False
    back = r.advance(inventory + 1)
    assert back.gateway_series() == good.gateway_series()


# -- 10,000 failed refreshes: RSS, threads, sockets stay flat -----------------------------


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_ten_thousand_failed_refreshes_leak_nothing(
    simulator: SimulatorFactory,
    default_logging: pytest.LogCaptureFixture,
) -> None:
    sim = simulator("metered-3phase", sleep=False)
    clock = Clock()
    target = Target(
        TargetConfig(name="home", host=sim.host, token=sim.token, timeout=1.0), clock=clock
    )
    assert target.snapshot().up
    sim.stop()  # connection refused from now on: the fastest failure

    def fail(times: int) -> None:
        for _ in range(times):
            clock.now += TTL + 1
            assert not target.snapshot().up

    fail(500)  # warm up: caches, lazy imports, allocator pools
    gc.collect()
    before = (_rss_kib(), threading.active_count(), _open_fds())
    fail(10_000)
    gc.collect()
    after = (_rss_kib(), threading.active_count(), _open_fds())
    target.close()
    print(f"10,000 failed refreshes: RSS/threads/fds {before} -> {after}")  # for the docs (-s)
    assert after[1] <= before[1], f"threads {before[1]} -> {after[1]}"
    assert after[2] <= before[2] + 2, f"open fds {before[2]} -> {after[2]}"
    assert after[0] - before[0] < 20 * 1024, f"RSS {before[0]} -> {after[0]} KiB"
