"""The alerts end to end: envoy-exporter reads simulated gateways with faults injected,
Debian's Prometheus evaluates alerts/envoy.rules.yml (every `for:` divided by SCALE),
Debian's Alertmanager runs deploy/alertmanager/alertmanager.yml (shorter waits) and notifies
a webhook in this test. Each expected alert arrives at its severity's receiver with its
labels and annotations and resolves after recovery; the alerts its inhibit rules silence are
held back (Alertmanager shows them suppressed) and never arrive.

Needs the Debian packages `prometheus` and `prometheus-alertmanager` (scripts/test installs
them); skipped without them.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from envoy_exporter.simulator import faults as F
from envoy_exporter.simulator.profiles import load_profile
from envoy_exporter.simulator.server import Request, SimulatedEnvoy
from envoy_exporter.simulator.source import Answer

from .test_prometheus_e2e import (
    PROMETHEUS,
    RULES,
    _get,
    _prometheus_config,
    _start_prometheus,
    _stop,
    _wait_for,
    _write_config,
    run_exporter,
    start_daemon,
)

ROOT = Path(__file__).resolve().parent.parent
AM_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
PROFILE = "metered-3phase"
# 5 minutes become 4 s. Every `for:` shrinks alike, so the alerts fire in the shipped order:
# an inhibition works only when its source alert reached Alertmanager first.
SCALE = 75
# Bounds, not waits: the slowest expected alert needs about 15 s.
DEADLINE = 60.0
FLAG = "negative-production"
NAMES = ("stopped", "locked", "failing", "flagged")

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        PROMETHEUS is None or ALERTMANAGER is None,
        reason="prometheus or prometheus-alertmanager not found on PATH: install the Debian "
        "packages (scripts/test does this) for the end-to-end alert test",
    ),
]


# -- faults ----------------------------------------------------------------------------------


class CtFlag(F.Fault):
    """/ivp/meters flags the production CT: a clamp put on backwards."""

    DEFAULT_PATHS = ("/ivp/meters",)

    def act(self, request: Request, answer: Callable[[], Answer]) -> Answer:
        result = answer()
        if urllib.parse.urlsplit(request.path).path != "/ivp/meters":
            return result
        meters = json.loads(result.body)
        for meter in meters:
            if meter["measurementType"] == "production":
                meter["statusFlags"] = [FLAG]
        return replace(result, body=json.dumps(meters).encode())


FaultT = TypeVar("FaultT", bound=F.Fault)


def _off(fault: FaultT) -> FaultT:
    fault.enabled = False
    return fault


@dataclass
class Faults:
    """The faults of the four gateways; `stopped` is stopped and started by the test."""

    # The owner revokes the exporter's token (a new one from Enlighten would work).
    revoked: F.Revoked
    # /ivp/meters/readings answers 500 from the start: the CT readings never work.
    readings: F.Status
    # A CT clamp flagged; then the installer fixes it and restarts the gateway (the exporter
    # reads the CT configuration hourly, and at once after a restart into another firmware).
    flag: CtFlag
    reboot: F.Reboot


# -- the webhook -----------------------------------------------------------------------------


class Webhook:
    """Receives Alertmanager's notifications: (receiver path, alert) in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[tuple[str, dict[str, Any]]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with hook._lock:
                    hook._received.extend((self.path, alert) for alert in body["alerts"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self._received)

    def find(self, status: str, **labels: str) -> tuple[str, dict[str, Any]] | None:
        for path, alert in self.received():
            if alert["status"] == status and labels.items() <= alert["labels"].items():
                return path, alert
        return None

    def wait(self, status: str, **labels: str) -> tuple[str, dict[str, Any]]:
        _wait_for(
            f"a {status} notification of {labels}",
            lambda: self.find(status, **labels) is not None,
            _deadline(),
        )
        found = self.find(status, **labels)
        assert found is not None
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _deadline() -> float:
    return time.monotonic() + DEADLINE


# -- the stack -------------------------------------------------------------------------------


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+)([smhd])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * units[u] for n, u in parts)


def scaled_rules() -> dict[str, Any]:
    rules: dict[str, Any] = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = f"{_seconds(rule['for']) * 1000 // SCALE}ms"
    return rules


def _alertmanager_config(tmp_path: Path, webhook: str) -> Path:
    """deploy/alertmanager/alertmanager.yml, its webhooks pointed at the test's, waiting
    a second where it waits minutes."""
    config = yaml.safe_load(AM_CONFIG.read_text())
    for route in (config["route"], *config["route"]["routes"]):
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "1s"
    for receiver in config["receivers"]:
        for hook in receiver["webhook_configs"]:
            hook["url"] = webhook + urllib.parse.urlsplit(hook["url"]).path
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _start_alertmanager(stack: ExitStack, tmp_path: Path, config: Path) -> str:
    assert ALERTMANAGER is not None
    storage = f"--storage.path={tmp_path / 'alertmanager'}"
    command = [ALERTMANAGER, f"--config.file={config}", storage, "--cluster.listen-address="]
    return start_daemon(stack, tmp_path / "alertmanager.log", [*command, "--log.level=warn"])


@dataclass
class Stack:
    tmp_path: Path
    exits: ExitStack
    sims: dict[str, SimulatedEnvoy]
    faults: Faults
    webhook: Webhook
    prometheus: str
    alertmanager: str
    exporter: str
    exporter_proc: Any
    #: name -> "127.0.0.1:PORT", kept while a gateway is stopped
    hosts: dict[str, str]

    def query(self, expr: str) -> list[dict[str, Any]]:
        params = urllib.parse.urlencode({"query": expr})
        result: list[dict[str, Any]] = _get(f"{self.prometheus}/api/v1/query?{params}")["data"][
            "result"
        ]
        return result

    def suppressed(self, alertname: str, **labels: str) -> bool:
        """Whether Alertmanager holds this alert back by an inhibition."""
        for alert in _get(f"{self.alertmanager}/api/v2/alerts"):
            if alert["labels"].get("alertname") == alertname and (
                labels.items() <= alert["labels"].items()
            ):
                status = alert["status"]
                if status["state"] == "suppressed" and status["inhibitedBy"]:
                    return True
        return False

    def start_exporter(self, listen: str = "127.0.0.1:0") -> None:
        tokens = {name: sim.token for name, sim in self.sims.items()}
        self.exporter, self.exporter_proc = run_exporter(
            self.exits, self.tmp_path, self.hosts, tokens, listen
        )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    faults = Faults(
        revoked=_off(F.Revoked(after=0)),
        readings=F.Status(500, paths=("/ivp/meters/readings",)),
        flag=CtFlag(),
        reboot=_off(F.Reboot("D8.2.4382", down=3600.0)),
    )
    with ExitStack() as exits:
        fault_of: dict[str, Any] = {
            "stopped": None,
            "locked": faults.revoked,
            "failing": faults.readings,
            "flagged": F.Chain([faults.reboot, faults.flag]),
        }
        sims = {
            name: exits.enter_context(
                SimulatedEnvoy(load_profile(PROFILE), listen="127.0.0.1:0", fault=fault_of[name])
            )
            for name in NAMES
        }
        webhook = Webhook()
        exits.callback(webhook.close)
        hosts = {name: sim.host for name, sim in sims.items()}
        running = Stack(tmp_path, exits, sims, faults, webhook, "", "", "", None, hosts)
        running.start_exporter()
        running.alertmanager = _start_alertmanager(
            exits, tmp_path, _alertmanager_config(tmp_path, webhook.url)
        )
        config = _prometheus_config(tmp_path, running.exporter, NAMES, scaled_rules(), "1s")
        config["alerting"] = {
            "alertmanagers": [
                {"static_configs": [{"targets": [running.alertmanager.removeprefix("http://")]}]}
            ]
        }
        # The exporter's own job scrapes the address it listens on, also after a restart.
        running.prometheus = _start_prometheus(exits, tmp_path, _write_config(tmp_path, config))
        yield running


# -- the test --------------------------------------------------------------------------------


def _identity(stack: Stack, name: str) -> str:
    return f"{name} ({stack.hosts[name]}, serial {stack.sims[name].serial})"


def _arrived(
    stack: Stack, receiver: str, alertname: str, name: str, **labels: str
) -> dict[str, Any]:
    path, alert = stack.webhook.wait("firing", alertname=alertname, instance=name, **labels)
    assert path == f"/alerts/{receiver}", alertname
    assert alert["labels"] == {
        "alertname": alertname, "job": "envoy", "instance": name, "severity": receiver, **labels,
    }  # fmt: skip
    assert alert["annotations"]["runbook_url"] == f"docs/runbook.md#{alertname.lower()}"
    assert alert["annotations"]["description"].strip()
    assert "{{" not in json.dumps(alert["annotations"]), "a template left unexpanded"
    return alert


def _restart_gateway(stack: Stack, name: str) -> None:
    """The gateway restarts into another firmware: down until the exporter saw it down (its
    cue to read /info again), then up. Shorter than EnvoyGatewayDown's `for:`."""
    stack.faults.reboot.arm()
    url = f"http://{stack.exporter}/probe?target={name}"

    def down() -> bool:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return re.search(rb"^enphase_up 0", answer.read(), re.MULTILINE) is not None

    _wait_for(f"the exporter to see {name} down", down, _deadline())
    stack.faults.reboot.down = 0.0


def _wait_suppressed(stack: Stack, alertname: str, **labels: str) -> None:
    _wait_for(
        f"{alertname} {labels} suppressed in Alertmanager",
        lambda: stack.suppressed(alertname, **labels),
        _deadline(),
    )


def test_alerts_arrive_resolve_and_are_inhibited(stack: Stack) -> None:
    # Every gateway read once: the alerts can name them by address and serial.
    _wait_for(
        "every gateway's identity in Prometheus",
        lambda: {r["metric"]["instance"] for r in stack.query("enphase_info")} >= set(NAMES),
        _deadline(),
    )
    stopped = stack.sims["stopped"]
    port = stopped.port
    stopped.stop()
    stack.faults.revoked.enabled = True

    alert = _arrived(stack, "critical", "EnvoyGatewayDown", "stopped")
    assert alert["annotations"]["summary"] == (
        f"Solar gateway {_identity(stack, 'stopped')} cannot be reached"
    )
    alert = _arrived(stack, "critical", "EnvoyExporterCannotAuthenticate", "locked")
    assert alert["annotations"]["summary"] == (
        f"Solar gateway {_identity(stack, 'locked')} refuses envoy-exporter's login"
    )
    alert = _arrived(stack, "warning", "EnvoyReadingsFailing", "failing", collector="meters")
    assert alert["annotations"]["summary"] == (
        f"Solar gateway {_identity(stack, 'failing')} does not deliver its meters readings"
    )
    alert = _arrived(stack, "warning", "EnvoyCTStatusFlag", "flagged", ct="production", flag=FLAG)
    assert alert["annotations"]["summary"] == (
        f"The production current sensor of solar gateway {_identity(stack, 'flagged')} "
        f"looks wrongly installed ({FLAG})"
    )
    # The readings of the unreachable and the locked-out gateway went stale: Prometheus
    # fires that alert, Alertmanager holds it back behind the cause.
    for name in ("stopped", "locked"):
        _wait_suppressed(stack, "EnvoyDataStale", instance=name)

    # Recovery: the gateway is back, the token accepted again, the readings answer, the
    # clamp fixed and the gateway restarted.
    stopped.listen_port = port
    stopped.start()
    stack.faults.revoked.enabled = False
    stack.faults.readings.enabled = False
    stack.faults.flag.enabled = False
    _restart_gateway(stack, "flagged")
    for alertname, name, labels in (
        ("EnvoyGatewayDown", "stopped", {}),
        ("EnvoyExporterCannotAuthenticate", "locked", {}),
        ("EnvoyReadingsFailing", "failing", {"collector": "meters"}),
        ("EnvoyCTStatusFlag", "flagged", {"ct": "production"}),
    ):
        stack.webhook.wait("resolved", alertname=alertname, instance=name, **labels)

    # The exporter stops: its own alert, not the vanished series' (EnvoyExporterAbsent).
    address = stack.exporter
    _stop(stack.exporter_proc)
    path, alert = stack.webhook.wait(
        "firing", alertname="EnvoyExporterDown", job="envoy-exporter", instance=address
    )
    assert path == "/alerts/critical"
    assert alert["annotations"]["summary"] == (
        f"Solar monitoring has stopped: envoy-exporter does not answer for {address}"
    )
    stack.start_exporter(address)
    stack.webhook.wait(
        "resolved", alertname="EnvoyExporterDown", job="envoy-exporter", instance=address
    )

    # One notification per cause: nothing else arrived, the inhibited alerts never. The
    # probes of the stopped exporter fail as well (EnvoyExporterDown of each gateway).
    fired = {
        (alert["labels"]["alertname"], alert["labels"]["instance"])
        for _path, alert in stack.webhook.received()
        if alert["status"] == "firing"
    }
    assert fired - {("EnvoyExporterDown", name) for name in NAMES} == {
        ("EnvoyGatewayDown", "stopped"),
        ("EnvoyExporterCannotAuthenticate", "locked"),
        ("EnvoyReadingsFailing", "failing"),
        ("EnvoyCTStatusFlag", "flagged"),
        ("EnvoyExporterDown", address),
    }
