"""Codes that stand for states, end to end: the simulator (a profile or a real gateway's
capture) over a real socket, the exporter's /metrics, and the docs of the codes nobody
documents (issue 14 item 6)."""

from __future__ import annotations

from pathlib import Path

import requests

from envoy_exporter.catalogue import CATALOGUE
from envoy_exporter.catalogue.codes import ADMIN_STATE_NAMES, UNDOCUMENTED, UNDOCUMENTED_CODES
from envoy_exporter.catalogue.docs import render_markdown

from .conftest import SimulatorFactory
from .test_server import ServerFactory, exporter, samples  # noqa: F401 (fixture)

#: a standby generator wired and running, configured as a Generac standby unit
GENERATOR = "8.2.127_with_generator_running"
#: a gateway with batteries and no generator
NO_GENERATOR = "8.2.127_with_3cts_and_battery_split"


def states(text: str, name: str) -> dict[tuple[str, ...], float]:
    """A state set's series: (other label values..., state) -> value."""
    return {
        (*(v for k, v in sorted(s.labels.items()) if k != "state"), s.labels["state"]): s.value
        for s in samples(text).get(name, [])
    }


def scrape(server_url: str) -> str:
    answer = requests.get(server_url + "metrics", timeout=60)
    assert answer.status_code == 200
    return answer.text


def capture_metrics(simulator: SimulatorFactory, serve: ServerFactory, folder: Path) -> str:
    """/metrics of the exporter reading one real gateway's capture."""
    return scrape(serve({"home": simulator(folder)}, single="home").url)


def test_a_known_admin_state_is_the_one_state_at_1(
    simulator: SimulatorFactory,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    sim = simulator("battery")
    text = scrape(exporter({"home": sim}, single="home").url)
    batteries = states(text, "enphase_encharge_admin_state_name")
    serials = {key[0] for key in batteries}
    assert serials, "no battery on the battery profile"
    for serial in serials:
        mine = {key[1]: value for key, value in batteries.items() if key[0] == serial}
        assert set(mine) == set(ADMIN_STATE_NAMES["encharge"])
        assert [state for state, value in mine.items() if value == 1.0] == ["ENCHG_STATE_READY"]
    enpower = states(text, "enphase_enpower_admin_state_name")
    assert enpower == {("ENPWR_STATE_OPER_CLOSED",): 1.0, ("ENPWR_STATE_OPER_GEN_CLOSE",): 0.0}
    # the gateway's number stays beside its name
    assert {s.value for s in samples(text)["enphase_encharge_admin_state"]} == {6.0}
    assert [s.value for s in samples(text)["enphase_enpower_admin_state"]] == [24.0]


def test_an_unknown_admin_state_shows_under_the_gateways_word(
    simulator: SimulatorFactory,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    sim = simulator("battery")
    # the simulated system controller names its state ENPWR_STATE_OPER_OPEN off grid: a name
    # no real gateway in the corpus showed, so the catalogue does not list it
    opened = sim.source.write("POST", "/ivp/ensemble/relay", b'{"mains_admin_state": "open"}', 0)
    assert opened is not None and opened.status == 200
    text = scrape(exporter({"home": sim}, single="home").url)
    assert states(text, "enphase_enpower_admin_state_name") == {
        ("ENPWR_STATE_OPER_CLOSED",): 0.0,
        ("ENPWR_STATE_OPER_GEN_CLOSE",): 0.0,
        ("ENPWR_STATE_OPER_OPEN",): 1.0,
    }
    assert [s.value for s in samples(text)["enphase_enpower_admin_state"]] == [24.0]
    assert states(text, "enphase_enpower_mains_admin_state") == {("open",): 1.0, ("closed",): 0.0}


def test_the_generator_relay_states_and_configured_type(
    simulator: SimulatorFactory,
    captures_dir: Path,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    text = capture_metrics(simulator, exporter, captures_dir / GENERATOR)
    wanted = {("open",): 0.0, ("close",): 1.0}
    assert states(text, "enphase_generator_admin_state") == wanted
    assert states(text, "enphase_generator_oper_state") == wanted
    [config] = samples(text)["enphase_generator_config_info"]
    assert (config.labels["type"], config.labels["manufacturer"]) == ("Standby", "Generac")
    # the type code stays a gauge: its meaning is not published
    assert [s.value for s in samples(text)["enphase_generator_type"]] == [1.0]
    assert "# HELP enphase_generator_type Generator type code (code undocumented" in text


def test_a_gateway_without_a_generator_shows_no_generator_state(
    simulator: SimulatorFactory,
    captures_dir: Path,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    # its /ivp/ensemble/generator says admin_state "unknown", but no generator is configured
    found = samples(capture_metrics(simulator, exporter, captures_dir / NO_GENERATOR))
    assert found["enphase_enpower_admin_state_name"]  # the system controller is read
    for name in ("admin_state", "oper_state", "config_info", "type"):
        assert f"enphase_generator_{name}" not in found


def test_undocumented_codes_are_listed_and_say_so() -> None:
    by_name = {spec.name: spec for spec in CATALOGUE}
    assert set(UNDOCUMENTED_CODES) <= set(by_name)
    marked = {spec.name for spec in CATALOGUE if UNDOCUMENTED in spec.help}
    assert marked == set(UNDOCUMENTED_CODES)
    docs = render_markdown()
    section = docs.split("## Undocumented codes", 1)[1].split("\n## ", 1)[0]
    for name in UNDOCUMENTED_CODES:
        assert f"| `{name}` |" in section
    # each device with a named admin state has its state set
    for device in ADMIN_STATE_NAMES:
        assert by_name[f"enphase_{device}_admin_state_name"].kind == "stateset"
