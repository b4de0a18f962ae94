"""Rotating a token and reloading the configuration without a restart (issue 14 item 1):
a token file is read again when it changes; SIGHUP and POST /-/reload read the config file
again, and a broken new file is refused with its errors while the old targets keep serving."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from envoy_exporter.cli.serve import build_server, targets_from_config
from envoy_exporter.collector.target import Target
from envoy_exporter.server.app import ExporterServer
from envoy_exporter.server.config import load_config
from envoy_exporter.server.reload import Reloader
from envoy_exporter.simulator import faults as F

from .conftest import SimulatorFactory


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def write_config(path: Path, targets: dict[str, str], extra: str = "") -> Path:
    lines = ["auths:", "  rotated: {token_file: token}", "targets:"]
    lines += [f"  {name}: {{host: '{host}', auth: rotated}}" for name, host in targets.items()]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def test_a_rewritten_token_file_is_used_at_the_next_refresh(
    simulator: SimulatorFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fault = F.Revoked(after=0)
    fault.enabled = False
    sim = simulator("metered-3phase", fault=fault)
    (tmp_path / "token").write_text(sim.token + "\n")
    config = load_config(write_config(tmp_path / "c.yml", {"home": sim.host}), environ={})
    clock = Clock()
    target = Target(config.targets["home"], clock=clock)
    try:
        assert target.snapshot().up
        new_token = sim.make_token()
        (tmp_path / "token").write_text(new_token + "\n")  # rotated on disk, no restart
        fault.enabled = True  # the old token is revoked from the next request on
        caplog.set_level(logging.INFO)
        clock.now += 16
        snap = target.snapshot()
        assert snap.up, snap.error
        assert any("token file changed" in r.getMessage() for r in caplog.records)
        assert new_token not in caplog.text
    finally:
        target.close()


@pytest.fixture
def served(simulator: SimulatorFactory, tmp_path: Path) -> Iterator[tuple[ExporterServer, Path]]:
    sim = simulator("metered-3phase")
    (tmp_path / "token").write_text(sim.token)
    path = write_config(tmp_path / "c.yml", {"home": sim.host})
    server = build_server(
        targets_from_config(load_config(path, environ={})), single=None, listen="127.0.0.1:0"
    )
    server.app.reloader = Reloader(server.app, path)
    server.start()
    yield server, path
    server.stop()


def probe(server: ExporterServer, name: str) -> requests.Response:
    return requests.get(f"{server.url}probe", params={"target": name}, timeout=60)


def test_post_reload_adds_a_target_and_refuses_a_broken_file(
    served: tuple[ExporterServer, Path], caplog: pytest.LogCaptureFixture
) -> None:
    server, path = served
    home = server.app.refreshers["home"]
    assert probe(server, "barn").status_code == 400
    host = path.read_text().split("host: '")[1].split("'")[0]
    write_config(path, {"home": host, "barn": host})
    answer = requests.post(f"{server.url}-/reload", timeout=60)
    assert (answer.status_code, answer.text) == (200, "OK\n")
    assert server.app.refreshers["home"] is home  # unchanged: keeps its session and cache
    barn = probe(server, "barn")
    assert barn.status_code == 200 and "enphase_up 1.0" in barn.text
    path.write_text("targets:\n  home: {host: h, colour: blue}\n")
    broken = requests.post(f"{server.url}-/reload", timeout=60)
    assert broken.status_code == 500
    assert "targets.home.colour: unknown key" in broken.text
    assert any("reload refused" in r.getMessage() for r in caplog.records)
    assert probe(server, "barn").status_code == 200  # the old configuration stays
    assert requests.get(f"{server.url}-/reload", timeout=60).status_code == 404


def test_sighup_reloads_the_config_file(simulator: SimulatorFactory, tmp_path: Path) -> None:
    sim = simulator("metered-3phase")
    (tmp_path / "token").write_text(sim.token)
    path = write_config(tmp_path / "c.yml", {"home": sim.host})
    proc = subprocess.Popen(
        [sys.executable, "-m", "envoy_exporter.cli", "serve", "--config.file", str(path),
         "--web.listen-address", "127.0.0.1:0", "--log.format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stderr is not None
        url = proc.stdout.readline().split("listening on ")[1].strip()
        write_config(path, {"home": sim.host, "barn": sim.host})
        proc.send_signal(signal.SIGHUP)
        for line in proc.stderr:  # the log says when the reload is done
            if "configuration reloaded" in line:
                assert "new or changed: barn" in line
                break
        answer = requests.get(f"{url}probe", params={"target": "barn"}, timeout=60)
        assert answer.status_code == 200 and "enphase_up 1.0" in answer.text
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
