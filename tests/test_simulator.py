"""The simulated Envoy over real sockets: auth, capture routing, fake Enlighten, log, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
import requests
from requests.auth import HTTPDigestAuth

from envoy_exporter.simulator.captures import CaptureError, CaptureSource, candidate_names
from envoy_exporter.simulator.httpd import parse_listen
from envoy_exporter.simulator.server import (
    DropConnection,
    Request,
    SimulatedEnvoy,
    parse_firmware,
)
from envoy_exporter.simulator.source import Answer

from .conftest import SimulatorFactory

# The simulator's certificate is self-signed, as a real gateway's.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

FW7 = "7.6.175_with_cts_3phase"
LEGACY = "5.0.62"
INFO_XML = (
    "<?xml version='1.0' encoding='UTF-8'?><envoy_info><device><sn>{sn}</sn>"
    "<pn>800-00555-r03</pn><software>{fw}</software></device></envoy_info>"
)


def session() -> requests.Session:
    """A session that ignores REQUESTS_CA_BUNDLE & co (they would override verify=False)."""
    s = requests.Session()
    s.trust_env = False
    s.verify = False
    return s


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class DictSource:
    """A tiny in-memory gateway for tests of the server itself."""

    def __init__(self, firmware: str = "D8.2.4345", serial: str = "202312345678") -> None:
        self.firmware = firmware
        self.serial = serial
        self.pages: dict[str, Answer] = {
            "/info": Answer(200, INFO_XML.format(sn=serial, fw=firmware).encode(), "text/xml"),
            "/production.json": Answer(200, b'{"production": []}'),
            "/installer/pcu_comm_check": Answer(200, b"{}"),
            "/ivp/meters": Answer(200, b"[]"),
        }
        self.writes: list[tuple[str, str, bytes]] = []

    def answer(self, path: str, now: float) -> Answer | None:
        return self.pages.get(path)

    def write(self, method: str, path: str, body: bytes, now: float) -> Answer | None:
        self.writes.append((method, path, body))
        return Answer(200, body)


# -- firmware >= 7: HTTPS and tokens ---------------------------------------------------------


@pytest.fixture
def fw7(simulator: SimulatorFactory, captures_dir: Path) -> SimulatedEnvoy:
    return simulator(captures_dir / FW7)


def test_fw7_serves_https_and_info_without_auth(fw7: SimulatedEnvoy) -> None:
    assert fw7.base_url == f"https://{fw7.host}"
    r = session().get(f"{fw7.base_url}/info", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/xml"
    assert f"<sn>{fw7.serial}</sn>" in r.text
    assert fw7.firmware == "D7.6.175"


def test_fw7_refuses_plain_http(fw7: SimulatedEnvoy) -> None:
    with pytest.raises(requests.ConnectionError):
        session().get(f"http://{fw7.host}/info", timeout=10)


def test_fw7_endpoint_needs_a_token(fw7: SimulatedEnvoy) -> None:
    s = session()
    assert s.get(f"{fw7.base_url}/production.json", timeout=10).status_code == 401
    r = s.get(f"{fw7.base_url}/production.json", headers=bearer(fw7.token), timeout=10)
    assert r.status_code == 200
    assert "production" in r.json()


def test_check_jwt_sets_a_cookie_that_works_alone(fw7: SimulatedEnvoy) -> None:
    s = session()
    r = s.get(f"{fw7.base_url}/auth/check_jwt", headers=bearer(fw7.token), timeout=10)
    assert r.status_code == 200
    assert r.text == "<!DOCTYPE html><h2>Valid token.</h2>"
    assert s.cookies.get("sessionId")
    r = s.get(f"{fw7.base_url}/ivp/meters/readings", timeout=10)  # cookie only
    assert r.status_code == 200
    assert isinstance(r.json(), list)


def test_unknown_session_cookie_is_refused(fw7: SimulatedEnvoy) -> None:
    r = session().get(
        f"{fw7.base_url}/ivp/meters", cookies={"sessionId": "not-a-session"}, timeout=10
    )
    assert r.status_code == 401


def test_check_jwt_refuses_a_bad_token(fw7: SimulatedEnvoy) -> None:
    s = session()
    r = s.get(f"{fw7.base_url}/auth/check_jwt", headers=bearer("not.a.jwt"), timeout=10)
    assert r.status_code == 401
    assert "sessionId" not in s.cookies


def test_expired_token_is_refused(fw7: SimulatedEnvoy) -> None:
    expired = fw7.make_token(expires_in=-60)
    s = session()
    assert (
        s.get(f"{fw7.base_url}/ivp/meters", headers=bearer(expired), timeout=10).status_code == 401
    )
    r = s.get(f"{fw7.base_url}/auth/check_jwt", headers=bearer(expired), timeout=10)
    assert r.status_code == 401


def test_token_of_another_gateway_is_refused(
    fw7: SimulatedEnvoy, simulator: SimulatorFactory
) -> None:
    other = simulator(DictSource(serial=fw7.serial))  # same serial, another signing key
    s = session()
    r = s.get(f"{fw7.base_url}/ivp/meters", headers=bearer(other.token), timeout=10)
    assert r.status_code == 401
    assert s.get(f"{other.base_url}/ivp/meters", headers=bearer(other.token), timeout=10).ok


def test_token_claims_look_like_enlighten(fw7: SimulatedEnvoy) -> None:
    claims = jwt.decode(fw7.token, options={"verify_signature": False})
    assert claims["aud"] == fw7.serial
    assert claims["iss"] == "Entrez"
    assert claims["enphaseUser"] == "owner"
    assert claims["username"] == fw7.cloud_username
    assert claims["exp"] - claims["iat"] >= 364 * 24 * 3600
    installer = jwt.decode(fw7.make_token("installer"), options={"verify_signature": False})
    assert installer["enphaseUser"] == "installer"


def test_installer_pages_need_an_installer_token(simulator: SimulatorFactory) -> None:
    sim = simulator(DictSource())
    url = f"{sim.base_url}/installer/pcu_comm_check"
    assert session().get(url, headers=bearer(sim.token), timeout=10).status_code == 401
    installer = sim.make_token("installer")
    assert session().get(url, headers=bearer(installer), timeout=10).status_code == 200


# -- firmware < 7: plain HTTP and digest -----------------------------------------------------


@pytest.fixture
def legacy(simulator: SimulatorFactory, captures_dir: Path) -> SimulatedEnvoy:
    return simulator(captures_dir / LEGACY)


def test_legacy_serves_plain_http_with_open_endpoints(legacy: SimulatedEnvoy) -> None:
    assert legacy.base_url == f"http://{legacy.host}"
    s = session()
    assert s.get(f"{legacy.base_url}/info", timeout=10).status_code == 200
    r = s.get(f"{legacy.base_url}/api/v1/production", timeout=10)
    assert r.status_code == 200
    assert "wattHoursToday" in r.json()
    assert s.get(f"{legacy.base_url}/production.json", timeout=10).status_code == 200


def test_legacy_digest_right_and_wrong_password(legacy: SimulatedEnvoy) -> None:
    url = f"{legacy.base_url}/api/v1/production/inverters"
    s = session()
    r = s.get(url, timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Digest ")
    assert 'realm="enphaseenergy.com"' in r.headers["WWW-Authenticate"]
    assert legacy.local_users["envoy"] == legacy.serial[-6:]
    auth = HTTPDigestAuth("envoy", legacy.local_users["envoy"])
    r = s.get(url, auth=auth, timeout=10)
    assert r.status_code == 200
    assert r.json()[0]["serialNumber"]
    # The nonce is reused with a growing nonce count on the next request.
    assert s.get(url, auth=auth, timeout=10).status_code == 200
    assert s.get(url, auth=HTTPDigestAuth("envoy", "wrong!"), timeout=10).status_code == 401
    assert s.get(url, auth=HTTPDigestAuth("nobody", "x"), timeout=10).status_code == 401
    installer = HTTPDigestAuth("installer", legacy.local_users["installer"])
    assert s.get(url, auth=installer, timeout=10).status_code == 200


def test_legacy_ignores_tokens(legacy: SimulatedEnvoy) -> None:
    url = f"{legacy.base_url}/api/v1/production/inverters"
    assert session().get(url, headers=bearer(legacy.token), timeout=10).status_code == 401


def test_legacy_has_no_https(legacy: SimulatedEnvoy) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        session().get(f"https://{legacy.host}/info", timeout=10)


def test_captured_401_stays_401_with_good_credentials(
    simulator: SimulatorFactory, captures_dir: Path
) -> None:
    sim = simulator(captures_dir / "3.9.36_bad_auth")
    auth = HTTPDigestAuth("envoy", sim.local_users["envoy"])
    url = f"{sim.base_url}/api/v1/production/inverters"
    r = session().get(url, auth=auth, timeout=10)
    assert r.status_code == 401
    assert r.json()["status"] == 401


# -- capture routing -------------------------------------------------------------------------


def fetch(sim: SimulatedEnvoy, path: str) -> requests.Response:
    s = session()
    if sim.legacy:
        auth = HTTPDigestAuth("envoy", sim.local_users["envoy"])
        return s.get(sim.base_url + path, auth=auth, timeout=10)
    return s.get(sim.base_url + path, headers=bearer(sim.token), timeout=10)


def test_capture_firmware_and_serial_come_from_info(captures_dir: Path) -> None:
    source = CaptureSource(captures_dir / "3.9.36")
    assert source.firmware == "R3.9.36"
    assert source.serial == "121426016034"


def test_production_json_details(simulator: SimulatorFactory, captures_dir: Path) -> None:
    folder = captures_dir / "8.3.5169_ACB_inventory"
    sim = simulator(folder)
    assert fetch(sim, "/production.json").content == (folder / "production.json").read_bytes()
    details = fetch(sim, "/production.json?details=1").content
    assert details == (folder / "production.json_details_1").read_bytes()
    plain = simulator(captures_dir / FW7)
    expected = (captures_dir / FW7 / "production.json").read_bytes()
    assert fetch(plain, "/production.json?details=1").content == expected


def test_inventory_routes(simulator: SimulatorFactory, captures_dir: Path) -> None:
    folder = captures_dir / "8.3.5169_ACB_inventory"
    sim = simulator(folder)
    inventory = (folder / "inventory").read_bytes()
    assert fetch(sim, "/inventory").content == inventory
    assert fetch(sim, "/inventory.json").content == inventory
    deleted = (folder / "inventory.json_deleted_1").read_bytes()
    assert fetch(sim, "/inventory.json?deleted=1").content == deleted
    no_deleted = simulator(captures_dir / "8.2.4382_ACB")
    assert fetch(no_deleted, "/inventory.json?deleted=1").status_code == 404


def test_recorded_status_and_html(simulator: SimulatorFactory, captures_dir: Path) -> None:
    sim = simulator(captures_dir / "3.9.36")
    r = fetch(sim, "/ivp/ensemble/inventory")  # recorded as 404 by that gateway
    assert r.status_code == 404
    production = fetch(sim, "/production")
    assert production.status_code == 200
    assert production.headers["Content-Type"] == "text/html"
    assert production.content == (captures_dir / "3.9.36" / "production").read_bytes()
    assert fetch(sim, "/ivp/meters").status_code == 404  # no file


def write_capture(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir()
    (folder / "info").write_text(INFO_XML.format(sn="123456789012", fw="D8.2.4345"))
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode()
        (folder / name).write_bytes(data)
    return folder


def test_capture_rules_on_own_folder(tmp_path: Path) -> None:
    folder = write_capture(
        tmp_path / "gw",
        {
            "ivp_meters": '{"status": 401, "error": "", "info": "Authentication required"}',
            "ivp_meters_readings": "[]",
            "ivp_meters_readings_log.json": json.dumps(
                {"headers": {"Content-Type": "application/json", "X-Extra": "1"}, "code": 503}
            ),
            "home": "<html>home</html>",
            "production.json": '{"a": 1}',
            "production.json_details_1.json": '{"a": 2}',
        },
    )
    source = CaptureSource(folder)
    assert source.serial == "123456789012"
    unauth = source.answer("/ivp/meters", 0.0)
    assert unauth is not None and unauth.status == 401
    readings = source.answer("/ivp/meters/readings", 0.0)
    assert readings is not None
    assert (readings.status, readings.headers) == (503, {"x-extra": "1"})
    home = source.answer("/home", 0.0)
    assert home is not None and home.content_type == "text/html"
    details = source.answer("/production.json?details=1", 0.0)
    assert details is not None and details.body == b'{"a": 2}'
    assert source.answer("/ivp/ensemble/inventory", 0.0) is None
    assert source.answer("/ivp/meters/readings_log.json", 0.0) is None


def test_candidate_names() -> None:
    assert candidate_names("/ivp/meters/readings") == ["ivp_meters_readings"]
    names = candidate_names("/inventory.json?deleted=1")
    assert names[0] == "inventory.json_deleted_1"
    assert names[-1] == "inventory"


def test_capture_errors(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="does not exist"):
        CaptureSource(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaptureError, match="no 'info'"):
        CaptureSource(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "info").write_text("<envoy_info><device></device></envoy_info>")
    with pytest.raises(CaptureError, match="software"):
        CaptureSource(bad)


# -- fake Enlighten --------------------------------------------------------------------------


def test_enlighten_login_and_token(fw7: SimulatedEnvoy) -> None:
    s = session()
    bad = {"user[email]": fw7.cloud_username, "user[password]": "wrong"}
    assert s.post(fw7.enlighten_login_url, data=bad, timeout=10).status_code == 401
    form = {"user[email]": fw7.cloud_username, "user[password]": fw7.cloud_password}
    login = s.post(fw7.enlighten_login_url, data=form, timeout=10)
    assert login.status_code == 200
    reply = login.json()
    assert reply["session_id"] and reply["manager_token"]
    assert reply["is_consumer"] is True
    request = {
        "session_id": reply["session_id"],
        "serial_num": fw7.serial,
        "username": fw7.cloud_username,
    }
    wrong_serial = dict(request, serial_num="999999999999")
    assert s.post(fw7.enlighten_token_url, json=wrong_serial, timeout=10).status_code == 401
    wrong_session = dict(request, session_id="nope")
    assert s.post(fw7.enlighten_token_url, json=wrong_session, timeout=10).status_code == 401
    token = s.post(fw7.enlighten_token_url, json=request, timeout=10)
    assert token.status_code == 200
    check = s.get(f"{fw7.base_url}/auth/check_jwt", headers=bearer(token.text), timeout=10)
    assert check.status_code == 200


# -- request log, writes, latency, faults ----------------------------------------------------


def test_request_log_records_every_request(simulator: SimulatorFactory) -> None:
    sim = simulator(DictSource())
    s = session()
    s.get(f"{sim.base_url}/info", timeout=10)
    s.get(f"{sim.base_url}/production.json?details=1", timeout=10)
    s.get(f"{sim.base_url}/production.json", headers=bearer(sim.token), timeout=10)
    log = sim.request_log
    assert [(e.method, e.path, e.status) for e in log] == [
        ("GET", "/info", 200),
        ("GET", "/production.json?details=1", 401),
        ("GET", "/production.json", 200),
    ]
    assert log[0].at <= log[1].at <= log[2].at
    assert all(e.modelled_seconds == 0.0 for e in log)
    log.clear()  # a copy: the simulator's own log is untouched
    assert len(sim.request_log) == 3


def test_writes_go_to_the_source(simulator: SimulatorFactory) -> None:
    source = DictSource()
    sim = simulator(source)
    body = b'{"mains_admin_state": "closed"}'
    url = f"{sim.base_url}/ivp/ensemble/relay"
    r = session().post(url, data=body, headers=bearer(sim.token), timeout=10)
    assert r.status_code == 200
    r = session().put(url, data=body, timeout=10)  # no token: refused before the source
    assert r.status_code == 401
    assert source.writes == [("POST", "/ivp/ensemble/relay", body)]
    assert [e.method for e in sim.request_log] == ["POST", "PUT"]


def test_latency_is_modelled_without_sleeping(simulator: SimulatorFactory) -> None:
    def latency(path: str) -> float:
        return 120.0 if path.startswith("/ivp/meters") else 0.5

    sim = simulator(DictSource(), latency=latency, sleep=False)
    session().get(f"{sim.base_url}/ivp/meters", headers=bearer(sim.token), timeout=10)
    session().get(f"{sim.base_url}/info", timeout=10)
    assert [e.modelled_seconds for e in sim.request_log] == [120.0, 0.5]


class ServiceUnavailable:
    def apply(self, request: Request, answer: Callable[[], Answer]) -> Answer:
        if request.path == "/ivp/meters":
            return Answer(503, b"busy", "text/plain")
        if request.path == "/drop":
            raise DropConnection
        return answer()


def test_fault_hook(simulator: SimulatorFactory) -> None:
    sim = simulator(DictSource(), fault=ServiceUnavailable())
    s = session()
    assert s.get(f"{sim.base_url}/ivp/meters", timeout=10).status_code == 503
    assert s.get(f"{sim.base_url}/info", timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        s.get(f"{sim.base_url}/drop", timeout=10)
    assert [e.status for e in sim.request_log] == [503, 200, 0]


def test_stop_closes_keep_alive_connections(simulator: SimulatorFactory) -> None:
    sim = simulator(DictSource())
    s = session()
    url = f"{sim.base_url}/info"
    assert s.get(url, timeout=10).status_code == 200  # leaves an idle keep-alive connection
    sim.stop()
    with pytest.raises(requests.ConnectionError):
        s.get(url, timeout=10)
    sim.stop()  # twice is harmless


def test_parse_helpers() -> None:
    assert parse_firmware("D7.6.175") == (7, 6, 175)
    assert parse_firmware("R3.9.36") == (3, 9, 36)
    with pytest.raises(ValueError, match="firmware"):
        parse_firmware("unknown")
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_listen("[::1]:8443") == ("::1", 8443)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen("localhost")


# -- the simulate command --------------------------------------------------------------------


def test_simulate_command_prints_url_and_token(captures_dir: Path) -> None:
    command = [sys.executable, "-c", "from envoy_exporter.cli import main; main()", "simulate"]
    command += ["--captures", str(captures_dir / FW7), "--listen", "127.0.0.1:0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        lines: dict[str, str] = {}
        while "token" not in lines:
            line = proc.stdout.readline()
            assert line, "simulate exited before printing its token"
            key, _, value = line.strip().partition(": ")
            lines[key] = value
        assert lines["url"].startswith("https://127.0.0.1:")
        assert lines["serial"] == CaptureSource(captures_dir / FW7).serial
        r = session().get(f"{lines['url']}/ivp/meters", headers=bearer(lines["token"]), timeout=10)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert proc.returncode == 0


# -- the reference library (pyenphase, aiohttp) as a second, independent client -----------------


@pytest.mark.parametrize("folder", [LEGACY, FW7])
def test_reference_client_reads_the_simulator(
    simulator: SimulatorFactory, captures_dir: Path, folder: str
) -> None:
    from .corpus_oracle import run_reference

    sim = simulator(captures_dir / folder)
    result = run_reference(sim)
    assert "error" not in result, result
    assert result["probe"]["serial_number"] == sim.serial
    assert result["data"]["inverters"]
    if not sim.legacy:
        assert any(e.path == "/auth/check_jwt" and e.status == 200 for e in sim.request_log)


def test_reference_client_gets_a_token_from_fake_enlighten(
    fw7: SimulatedEnvoy, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from pyenphase import Envoy as RefEnvoy
    from pyenphase.auth import EnvoyTokenAuth

    monkeypatch.setattr(EnvoyTokenAuth, "JSON_LOGIN_URL", fw7.enlighten_login_url)
    monkeypatch.setattr(EnvoyTokenAuth, "TOKEN_URL", fw7.enlighten_token_url)

    async def token() -> str:
        envoy = RefEnvoy(fw7.host)
        try:
            await envoy.setup()
            await envoy.authenticate(fw7.cloud_username, fw7.cloud_password)
            assert isinstance(envoy.auth, EnvoyTokenAuth)
            return envoy.auth.token
        finally:
            await envoy.close()

    claims = jwt.decode(asyncio.run(token()), options={"verify_signature": False})
    assert claims["aud"] == fw7.serial
    assert claims["username"] == fw7.cloud_username


def _profile_names() -> list[str]:
    try:
        from envoy_exporter.simulator.profiles import PROFILE_NAMES
    except ImportError:
        return []
    return list(PROFILE_NAMES)


@pytest.mark.parametrize("name", _profile_names())
def test_profiles_are_served_with_auth(simulator: SimulatorFactory, name: str) -> None:
    sim = simulator(name)
    assert f"<sn>{sim.serial}</sn>" in session().get(f"{sim.base_url}/info", timeout=10).text
    inverters = fetch(sim, "/api/v1/production/inverters")
    assert inverters.status_code == 200
    assert len(inverters.json()) > 0
    r = session().get(f"{sim.base_url}/api/v1/production/inverters", timeout=10)
    assert r.status_code == 401  # no credentials


class BrokenSource(DictSource):
    def answer(self, path: str, now: float) -> Answer | None:
        if path == "/broken":
            raise KeyError("a bug in the source")
        return super().answer(path, now)


def test_a_failing_source_answers_500_and_keeps_serving(simulator: SimulatorFactory) -> None:
    sim = simulator(BrokenSource())
    s = session()
    r = s.get(f"{sim.base_url}/broken", headers=bearer(sim.token), timeout=10)
    assert r.status_code == 500
    assert "KeyError" in r.text
    assert s.get(f"{sim.base_url}/info", timeout=10).status_code == 200
    bad = s.post(f"{sim.base_url}/x", headers={"Content-Length": "abc"}, timeout=10)
    assert bad.status_code == 400
    assert [e.status for e in sim.request_log] == [500, 200]
