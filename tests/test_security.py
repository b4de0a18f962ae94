"""Security properties of the exporter, over real sockets where it applies.

Covered elsewhere, not repeated here:
- /probe of an unconfigured host, bad probe requests (400): tests/test_server.py
  (test_an_arbitrary_host_is_never_probed, test_bad_probe_requests_get_400);
- secrets in logs, pages and metrics of normal flows: test_server.py
  (test_secrets_never_in_logs_pages_or_metrics); no credentials in dumps: test_cli.py;
- TLS with basic auth, wrong password, missing auth, plain HTTP to the TLS port, TLS 1.2 as
  the default minimum version: tests/test_webconfig.py;
- the XML entity bomb and invalid /info: tests/test_faults_client.py, test_faults_exporter.py.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from envoy_exporter.cli.serve import build_server
from envoy_exporter.collector.target import Target, TargetConfig
from envoy_exporter.envoy import Envoy
from envoy_exporter.envoy.const import MAX_RESPONSE_BYTES
from envoy_exporter.envoy.exceptions import EnvoyAuthenticationError, EnvoyDataError, EnvoyError
from envoy_exporter.envoy.transport import read_limited
from envoy_exporter.server.app import ExporterServer
from envoy_exporter.simulator import faults as F
from envoy_exporter.simulator.server import SimulatedEnvoy

from .conftest import REPO, SimulatorFactory

PACKAGE = REPO / "envoy_exporter"
#: test secrets: distinctive enough to be found wherever they leak
CLOUD_PASSWORD = "Sekr1t-cloud-pw-7c1e9f"
WRONG_TOKEN = "eyJhbGciOiJIUzI1NiJ9.bm90LWEtcmVhbC10b2tlbi00NGQy.c2lnbmF0dXJlLTk5"


def _exporter(
    sims: dict[str, SimulatedEnvoy], **cfg: Any
) -> tuple[ExporterServer, dict[str, Target]]:
    targets = {
        name: Target(
            TargetConfig(
                name=name,
                host=sim.host,
                token=cfg.get("token", sim.token),
                username=sim.cloud_username,
                password=sim.cloud_password,
                enlighten_login_url=sim.enlighten_login_url,
                enlighten_token_url=sim.enlighten_token_url,
                timeout=2.0,
            )
        )
        for name, sim in sims.items()
    }
    return build_server(targets, single=None, listen="127.0.0.1:0").start(), targets


@pytest.fixture
def exporter() -> Iterator[Any]:
    servers: list[ExporterServer] = []

    def start(
        sims: dict[str, SimulatedEnvoy], **cfg: Any
    ) -> tuple[ExporterServer, dict[str, Target]]:
        server, targets = _exporter(sims, **cfg)
        servers.append(server)
        return server, targets

    yield start
    for server in servers:
        server.stop()


# -- /probe and its parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"target": "../../etc/passwd"},
        {"target": "127.0.0.1:80"},
        {"target": "http://169.254.169.254/latest/meta-data/"},
        {"target": "home\r\nX-Injected: 1"},
        {"target": "home\x00"},
        {"target": "x" * 10_000},
        {"target": "Home"},
        {"target": "home", "module": "../other"},
    ],
    ids=["path", "host", "url", "crlf", "nul", "long", "case", "extra-param"],
)
def test_probe_reaches_configured_targets_only(
    simulator: SimulatorFactory, exporter: Any, query: dict[str, str]
) -> None:
    home = simulator("metered-3phase", sleep=False)
    server, _ = exporter({"home": home})
    answer = requests.get(server.url + "probe", params=query, timeout=30)
    if query.get("target") == "home":
        # An unknown extra parameter changes nothing: the configured target is read.
        assert answer.status_code == 200
        assert {r.method for r in home.request_log} == {"GET"}
        return
    assert answer.status_code == 400
    assert home.request_log == []
    assert "X-Injected" not in answer.headers
    assert len(answer.content) < 1024  # a long name is not echoed back in full
    assert "\x00" not in answer.text and "\r\n" not in answer.text


# -- gateway answers are size-limited --------------------------------------------------------


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_50_mb_answer_is_refused_without_being_held(simulator: SimulatorFactory) -> None:
    fault = F.Huge(50, paths=["/ivp/meters/readings"])
    fault.enabled = False
    sim = simulator("metered-3phase", sleep=False, fault=fault)
    envoy = Envoy(sim.host)
    envoy.setup()
    envoy.authenticate(None, None, sim.token)
    envoy.probe()
    fault.enabled = True
    before = _rss_kib()
    with pytest.raises(EnvoyDataError, match="byte limit") as caught:
        envoy.update()
    assert caught.value.endpoint == "/ivp/meters/readings"
    # The 50 MB body (held by the simulator, in this process) was never read by the client.
    assert _rss_kib() - before < 40 * 1024
    envoy.close()


class EndlessRaw:
    """A streamed body with no Content-Length that never ends (a chunked flood)."""

    def __init__(self) -> None:
        self.sent = 0

    def stream(self, amount: int, decode_content: bool = True) -> Iterator[bytes]:
        chunk = b"x" * amount
        while True:
            self.sent += amount
            yield chunk

    def close(self) -> None:
        pass


def test_a_body_without_length_is_cut_at_the_limit() -> None:
    response = requests.Response()
    response.status_code = 200
    raw = EndlessRaw()
    response.raw = raw
    with pytest.raises(EnvoyDataError, match="exceeds"):
        read_limited(response, "/ivp/meters/readings")
    assert raw.sent <= MAX_RESPONSE_BYTES + 128 * 1024  # it stopped reading at the limit


# -- XML ------------------------------------------------------------------------------------


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_gateway_xml_is_parsed_with_defusedxml_only() -> None:
    unsafe = ("xml.etree", "xml.dom", "xml.sax", "lxml", "xml.parsers.expat")
    client = sorted((PACKAGE / "envoy").rglob("*.py"))
    offenders = {
        str(path.relative_to(REPO)): sorted(
            m for m in _imports(path) if m.startswith(unsafe) and m != "xml.etree.ElementTree"
        )
        for path in client
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    firmware = _imports(PACKAGE / "envoy" / "firmware.py")
    assert "defusedxml.ElementTree" in firmware
    # xml.etree.ElementTree may be imported for its types (Element, ParseError), never to parse.
    for path in client:
        text = path.read_text()
        assert not re.search(r"\bET\.(fromstring|parse|XML)\(", text), path


# -- no write ever reaches a gateway ---------------------------------------------------------

WRITE_ACTIONS = (
    "go_on_grid",
    "go_off_grid",
    "update_dry_contact",
    "open_dry_contact",
    "close_dry_contact",
    "enable_charge_from_grid",
    "disable_charge_from_grid",
    "set_storage_mode",
    "set_reserve_soc",
)


def test_write_actions_are_unreachable_from_the_exporter() -> None:
    exporter_side = [
        *sorted((PACKAGE / "collector").rglob("*.py")),
        *sorted((PACKAGE / "outputs").rglob("*.py")),
        *sorted((PACKAGE / "server").rglob("*.py")),
        *sorted((PACKAGE / "catalogue").rglob("*.py")),
        PACKAGE / "cli" / "serve.py",
        PACKAGE / "cli" / "demo.py",
    ]
    for path in exporter_side:
        calls = {
            node.attr
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute)
        }
        assert not calls & set(WRITE_ACTIONS), (path, calls & set(WRITE_ACTIONS))
        assert not re.search(r"method=[\"'](POST|PUT|DELETE)", path.read_text()), path


def test_the_exporter_sends_only_reads_even_when_the_gateway_misbehaves(
    simulator: SimulatorFactory, exporter: Any
) -> None:
    fault = F.Chain([F.Revoked(after=5), F.Html(paths=["/api/v1/production/inverters"])])
    battery = simulator("battery", sleep=False, fault=fault)
    server, _ = exporter({"battery": battery})
    for _ in range(3):
        requests.get(server.url + "probe?target=battery", timeout=60)
    requests.get(server.url, timeout=60)
    assert battery.request_log
    assert {r.method for r in battery.request_log} == {"GET"}


# -- secrets ----------------------------------------------------------------------------------


def test_secrets_never_leak_through_failures(
    simulator: SimulatorFactory, exporter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused tokens, Enlighten logins, broken answers, a gateway gone: with DEBUG logging,
    no token or password in any log line, page, snapshot error or exception text."""
    caplog.set_level(logging.DEBUG)
    revoked = F.Revoked(after=3)
    good = simulator("metered-3phase", sleep=False, fault=revoked, cloud_password=CLOUD_PASSWORD)
    broken = simulator("battery", sleep=False, fault=F.Truncated(paths=["/ivp/meters/readings"]))
    legacy = simulator("legacy", sleep=False, fault=F.Status(503, paths=["/api/v1/production"]))
    server, targets = exporter({"good": good, "broken": broken, "legacy": legacy})
    pages = []
    for name in ("good", "broken", "legacy", "good"):
        pages.append(requests.get(server.url + f"probe?target={name}", timeout=60).text)
    pages.append(requests.get(server.url, timeout=60).text)
    pages.append(requests.get(server.url + "metrics", timeout=60).text)
    assert any(r.status == 401 for r in good.request_log)  # the revoked token was refused

    # A wrong token and a wrong Enlighten password straight at the client.
    errors: list[str] = []
    wrong = Envoy(good.host)
    wrong.setup()
    for args in ((None, None, WRONG_TOKEN), (good.cloud_username, "not-" + CLOUD_PASSWORD, None)):
        try:
            wrong.authenticate(*args)
        except EnvoyError as err:
            assert isinstance(err, EnvoyAuthenticationError)
            errors += [str(err), repr(err)]
    wrong.close()
    assert len(errors) == 4

    snapshots = [t.snapshot() for t in targets.values()]
    errors += [s.error or "" for s in snapshots]
    errors += [p.error or "" for s in snapshots for p in s.parts.values()]
    errors += [repr(t.config) for t in targets.values()]
    everything = "\n".join([*pages, *errors, caplog.text])
    secrets = {
        "cloud password": CLOUD_PASSWORD,
        "wrong cloud password": "not-" + CLOUD_PASSWORD,
        "owner token": good.token,
        "battery token": broken.token,
        "wrong token": WRONG_TOKEN,
        "installer password": good.local_users["installer"],
    }
    leaked = {what for what, secret in secrets.items() if secret in everything}
    assert leaked == set()
    # the legacy gateway's default password is its serial's last six digits (public):
    # it may appear as part of the serial, never as a credential
    assert f"password={legacy.local_users['envoy']}" not in everything
