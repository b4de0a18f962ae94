"""The commands against simulated gateways: probe, dump, token, and serve/demo as processes."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from envoy_exporter.cli import main
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import SimulatorFactory

ENTRY = "from envoy_exporter.cli import main; main()"


def token_args(sim: SimulatedEnvoy) -> list[str]:
    return ["--envoy", sim.host, "--token", sim.token]


def test_probe_text_and_json(simulator: SimulatorFactory) -> None:
    sim = simulator("metered-3phase")
    text = CliRunner().invoke(main, ["probe", *token_args(sim)])
    assert text.exit_code == 0, text.output
    assert f"serial: {sim.serial}" in text.output
    assert "CTMETERS" in text.output and "meters: /ivp/meters" in text.output
    assert sim.token not in text.output
    as_json = CliRunner().invoke(main, ["probe", *token_args(sim), "--json"])
    assert as_json.exit_code == 0, as_json.output
    facts = json.loads(as_json.output)
    assert facts["serial"] == sim.serial
    assert facts["phase_count"] == 3
    assert "METERING" in facts["supported_features"]
    assert facts["token_type"] == "owner"
    assert sim.token not in as_json.output


def test_probe_of_a_legacy_gateway_with_a_local_user(simulator: SimulatorFactory) -> None:
    sim = simulator("legacy")
    password = sim.local_users["envoy"]
    result = CliRunner().invoke(
        main,
        ["probe", "--envoy", sim.host, "--username", "envoy", "--password", password, "--json"],
    )
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["firmware"].startswith("5")
    assert facts["serial"] == sim.serial


def test_probe_with_a_refused_token_fails_in_one_line(simulator: SimulatorFactory) -> None:
    sim = simulator("metered-3phase")
    bad = sim.make_token(expires_in=-10)
    result = CliRunner().invoke(main, ["probe", "--envoy", sim.host, "--token", bad])
    assert result.exit_code != 0
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
    assert bad not in result.output


def test_dump_writes_the_captures_layout_without_credentials(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    sim = simulator("battery")
    out = tmp_path / "capture"
    result = CliRunner().invoke(main, ["dump", *token_args(sim), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    for name in (
        "info",
        "ivp_meters_readings",
        "production.json_details_1",
        "ivp_ensemble_inventory",
    ):
        assert name in names and f"{name}_log.json" in names, sorted(names)
    log = json.loads((out / "ivp_meters_readings_log.json").read_text())
    assert log["code"] == 200 and isinstance(log["headers"], dict)
    assert b"<sn>" + sim.serial.encode() in (out / "info").read_bytes()
    for file in out.iterdir():
        content = file.read_bytes()
        assert sim.token.encode() not in content, file.name
        assert b"set-cookie" not in content.lower() and b"authorization" not in content.lower()
    # The dump reads, never writes.
    assert {r.method for r in sim.request_log} <= {"GET"}


def test_a_dump_replays_through_the_simulator(simulator: SimulatorFactory, tmp_path: Path) -> None:
    from envoy_exporter.simulator.captures import CaptureSource

    sim = simulator("metered-3phase")
    out = tmp_path / "capture"
    assert CliRunner().invoke(main, ["dump", *token_args(sim), "--out", str(out)]).exit_code == 0
    replay = simulator(CaptureSource(out))
    result = CliRunner().invoke(main, ["probe", *token_args(replay), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["serial"] == sim.serial


def test_token_prints_the_token_alone_on_stdout(simulator: SimulatorFactory) -> None:
    sim = simulator("battery")
    args = [
        "token", "--username", sim.cloud_username, "--serial", sim.serial,
        "--enlighten-login-url", sim.enlighten_login_url,
        "--enlighten-token-url", sim.enlighten_token_url,
    ]  # fmt: skip
    result = CliRunner().invoke(main, args, env={"ENVOY_PASSWORD": sim.cloud_password})
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token
    assert "owner token" in result.stderr and "expires" in result.stderr
    assert sim.cloud_password not in result.output
    wrong = CliRunner().invoke(main, args, env={"ENVOY_PASSWORD": "not-the-password"})
    assert wrong.exit_code != 0 and "not-the-password" not in wrong.output


# --- serve and demo as real processes -------------------------------------------------


def read_url(proc: subprocess.Popen[str], timeout: float = 60.0) -> str:
    """The URL from the 'listening on URL' line the command prints at start."""
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        line = proc.stdout.readline()
        if not line:
            break
        if "listening on " in line:
            return line.split("listening on ", 1)[1].strip()
    proc.kill()
    raise AssertionError(f"no URL printed; stderr: {proc.communicate()[1]}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def launch(
    args: list[str], env: dict[str, str], started: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", ENTRY, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    started.append(proc)
    return proc


def stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    return stderr


def test_serve_as_a_process(
    simulator: SimulatorFactory, processes: list[subprocess.Popen[str]]
) -> None:
    sim = simulator("metered-3phase")
    env = {"ENVOY_HOST": sim.host, "ENVOY_TOKEN": sim.token}
    proc = launch(
        ["serve", "--web.listen-address", "127.0.0.1:0", "--log.level", "debug"], env, processes
    )
    url = read_url(proc)
    assert requests.get(url + "-/healthy", timeout=30).status_code == 200
    metrics = requests.get(url + "metrics", timeout=60)
    assert metrics.status_code == 200 and "enphase_up" in metrics.text
    stderr = stop(proc)
    assert sim.token not in stderr


def test_demo_as_a_process(processes: list[subprocess.Popen[str]]) -> None:
    proc = launch(["demo", "--web.listen-address", "127.0.0.1:0"], {}, processes)
    url = read_url(proc)
    assert requests.get(url + "-/healthy", timeout=30).status_code == 200
    landing = requests.get(url, timeout=60)
    assert landing.status_code == 200 and "Enphase Envoy exporter" in landing.text
    stop(proc)


def test_serve_without_a_gateway_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["serve"], env={"ENVOY_HOST": ""})
    assert result.exit_code == 2
    assert "--envoy" in result.output


def test_serve_refuses_a_bad_listen_address() -> None:
    result = CliRunner().invoke(
        main, ["serve", "--envoy", "127.0.0.1:1", "--web.listen-address", "nonsense"]
    )
    assert result.exit_code == 2
    assert "listen address 'nonsense'" in result.output
