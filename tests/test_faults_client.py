"""Every fault mode of the simulator against the client alone: only EnvoyError subclasses
escape, each fault gives the error that names it, and the same client reads again once the
fault is gone (no new Envoy, no restart)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from envoy_exporter.cli.simulate import simulate
from envoy_exporter.envoy import Envoy
from envoy_exporter.envoy.const import URL_METERS_READINGS, URL_PRODUCTION_INVERTERS
from envoy_exporter.envoy.exceptions import (
    EnvoyAuthenticationRequired,
    EnvoyCommunicationError,
    EnvoyDataError,
    EnvoyError,
    EnvoyFirmwareCheckError,
    EnvoyFirmwareFatalCheckError,
    EnvoyHTTPStatusError,
)
from envoy_exporter.simulator import faults as F
from envoy_exporter.simulator.server import DropConnection, SimulatedEnvoy
from envoy_exporter.simulator.source import Answer

from .conftest import SimulatorFactory

READINGS = URL_METERS_READINGS
INVERTERS = URL_PRODUCTION_INVERTERS


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def connect(sim: SimulatedEnvoy, timeout: float = 10.0) -> Envoy:
    envoy = Envoy(sim.host, timeout=timeout)
    envoy.set_retry_policy(max_attempts=1, max_delay=timeout)
    envoy.setup()
    envoy.authenticate(None, None, sim.token)
    envoy.probe()
    return envoy


@pytest.fixture
def faulty(simulator: SimulatorFactory) -> Iterator[Callable[..., tuple[SimulatedEnvoy, Envoy]]]:
    """faulty(fault, profile="metered-3phase") -> (sim, a probed client); fault disabled
    during the probe, enabled on return."""
    envoys: list[Envoy] = []

    def start(fault: F.Fault, profile: str = "metered-3phase", **kw: Any) -> Any:
        fault.enabled = False
        sim = simulator(profile, sleep=False, fault=fault)
        envoy = connect(sim, **kw)
        envoys.append(envoy)
        fault.enabled = True
        return sim, envoy

    yield start
    for envoy in envoys:
        envoy.close()


def update_fails(envoy: Envoy, expected: type[EnvoyError]) -> EnvoyError:
    with pytest.raises(EnvoyError) as caught:
        envoy.update()
    assert isinstance(caught.value, expected), repr(caught.value)
    return caught.value


def recovers(envoy: Envoy, fault: F.Fault) -> None:
    fault.enabled = False
    data = envoy.update()
    assert data.system_production is not None


@pytest.mark.parametrize(
    ("fault", "expected", "words"),
    [
        (F.Status(500), EnvoyHTTPStatusError, "500"),
        (F.Status(503), EnvoyHTTPStatusError, "503"),
        (F.Unauthorized(), EnvoyAuthenticationRequired, "401"),
        (F.Truncated(paths=[READINGS]), EnvoyCommunicationError, READINGS),
        (F.Reset(paths=[READINGS]), EnvoyCommunicationError, READINGS),
        (F.Html(paths=[READINGS]), EnvoyDataError, READINGS),
        (F.Huge(50, paths=[READINGS]), EnvoyDataError, "byte limit"),
        (F.Outage(300, clock=Clock()), EnvoyCommunicationError, ""),
    ],
    ids=["500", "503", "401-one-endpoint", "truncated", "reset", "html", "50MB", "outage"],
)
def test_fault_gives_a_named_envoy_error_and_the_client_recovers(
    faulty: Any, fault: F.Fault, expected: type[EnvoyError], words: str
) -> None:
    _sim, envoy = faulty(fault)
    err = update_fails(envoy, expected)
    assert words in str(err)
    assert fault.hits >= 1
    recovers(envoy, fault)


def test_delay_past_the_client_timeout_is_a_communication_error(faulty: Any) -> None:
    fault = F.Delay(30.0, paths=[READINGS])
    _sim, envoy = faulty(fault, timeout=0.5)
    err = update_fails(envoy, EnvoyCommunicationError)
    assert "timed out" in str(err)
    fault.close()  # the held request ends now, not in 30 s
    recovers(envoy, fault)


def test_hang_is_a_timeout_and_is_released_by_stop(simulator: SimulatorFactory) -> None:
    fault = F.Hang(paths=[READINGS])
    fault.enabled = False
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    envoy = connect(sim, timeout=0.5)
    fault.enabled = True
    update_fails(envoy, EnvoyCommunicationError)
    assert fault.hits >= 1
    sim.stop()
    assert fault._closed.is_set()  # no handler thread stays blocked after stop()
    envoy.close()


def test_answer_after_n_seconds_within_the_timeout_is_read(faulty: Any) -> None:
    _sim, envoy = faulty(F.Delay(0.2, paths=[READINGS]), timeout=10.0)
    assert envoy.update().ctmeter_production is not None


def test_refused_connection(simulator: SimulatorFactory) -> None:
    sim = simulator("metered-3phase", sleep=False)
    envoy = connect(sim)
    port = sim.port
    sim.stop()
    update_fails(envoy, EnvoyCommunicationError)
    sim.listen_port = port
    sim.start()
    assert envoy.update().system_production is not None
    envoy.close()


def test_revoked_token_is_refused_and_a_new_one_works(simulator: SimulatorFactory) -> None:
    fault = F.Revoked(after=3)
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    envoy = Envoy(sim.host)
    envoy.setup()
    envoy.authenticate(None, None, sim.token)
    envoy.probe()  # more than 3 requests: the token is revoked on the way
    with pytest.raises(EnvoyAuthenticationRequired):
        envoy.update()
    envoy.authenticate(None, None, sim.make_token())
    assert envoy.update().system_production is not None
    envoy.close()


@pytest.mark.parametrize(
    ("fault", "words"),
    [(F.BadXml(), "not valid XML"), (F.XmlBomb(), "not valid XML")],
    ids=["invalid-xml", "entity-bomb"],
)
def test_bad_info_is_a_firmware_check_error(
    simulator: SimulatorFactory, fault: F.Fault, words: str
) -> None:
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    envoy = Envoy(sim.host)
    with pytest.raises((EnvoyFirmwareCheckError, EnvoyFirmwareFatalCheckError)) as caught:
        envoy.setup()
    assert words in str(caught.value)
    fault.enabled = False
    envoy.setup()
    assert envoy.serial_number == sim.serial
    envoy.close()


def test_entity_bomb_is_never_expanded() -> None:
    from envoy_exporter.envoy.firmware import EnvoyFirmware

    firmware = EnvoyFirmware(None, "x")  # type: ignore[arg-type]
    with pytest.raises(EnvoyFirmwareCheckError, match="not valid XML"):
        firmware._parse(F.XML_BOMB)
    assert firmware.version is None


def test_reboot_into_another_firmware(simulator: SimulatorFactory) -> None:
    clock = Clock()
    fault = F.Reboot("D8.2.4382", down=60.0, clock=clock)
    fault.enabled = False
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    envoy = connect(sim)
    assert str(envoy.firmware) == "7.6.175"
    fault.arm()
    update_fails(envoy, EnvoyCommunicationError)  # rebooting: no answers
    clock.now += 61
    envoy.setup()
    assert str(envoy.firmware) == "8.2.4382"


def test_outage_lasts_its_duration_on_the_injected_clock(faulty: Any) -> None:
    clock = Clock()
    fault = F.Outage(300.0, clock=clock)
    _sim, envoy = faulty(fault)
    fault.arm()
    update_fails(envoy, EnvoyCommunicationError)
    clock.now += 299
    update_fails(envoy, EnvoyCommunicationError)
    clock.now += 2
    assert envoy.update().system_production is not None


def test_ct_counters_step_backwards(faulty: Any) -> None:
    fault = F.Backwards(1000.0)
    _sim, envoy = faulty(fault)
    fault.enabled = False
    before = envoy.update().ctmeter_production
    fault.enabled = True
    after = envoy.update().ctmeter_production
    assert before is not None and after is not None
    # The gateway's clock moves on (more energy), the fault takes 1 kWh back.
    assert after.energy_delivered < before.energy_delivered


def test_inverter_disappears_from_the_list(faulty: Any) -> None:
    fault = F.InverterGone()
    _sim, envoy = faulty(fault)
    fault.enabled = False
    full = envoy.update().inverters
    fault.enabled = True
    fewer = envoy.update().inverters
    assert fault.serial in full and fault.serial not in fewer
    assert len(fewer) == len(full) - 1


def test_parse_fault_specs() -> None:
    fault = F.parse_fault("status:503@/ivp/meters/readings")
    assert isinstance(fault, F.Status) and fault.status == 503
    assert fault.paths == (READINGS,)
    assert isinstance(F.parse_fault("outage:60"), F.Outage)
    assert F.parse_fault("huge:1").body.startswith(b'{"pad"')  # type: ignore[attr-defined]
    for name in F.FAULTS:
        assert isinstance(F.parse_fault(name), F.Fault)
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        F.parse_fault("nope")
    with pytest.raises(ValueError, match="bad argument"):
        F.parse_fault("status:abc")
    with pytest.raises(ValueError, match="must start with '/'"):
        F.parse_fault("html@ivp")


def test_simulate_refuses_an_unknown_fault() -> None:
    result = CliRunner().invoke(simulate, ["--profile", "legacy", "--fault", "nope"])
    assert result.exit_code == 2
    assert "unknown fault" in result.output


def test_simulate_help_lists_every_fault() -> None:
    result = CliRunner().invoke(simulate, ["--help"])
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for name in F.FAULTS:
        assert name in flat


def test_a_closed_delay_drops_at_once_instead_of_answering() -> None:
    fault = F.Delay(3600.0)
    fault.close()
    with pytest.raises(DropConnection):
        fault.act(None, lambda: pytest.fail("answered"))  # type: ignore[arg-type]


def test_a_reopened_delay_holds_again() -> None:
    fault = F.Delay(0.0)
    chain = F.Chain([fault])
    chain.close()
    chain.reopen()
    made = Answer(200, b"{}")
    assert fault.act(None, lambda: made) is made  # type: ignore[arg-type]
