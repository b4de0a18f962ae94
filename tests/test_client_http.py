"""The client's HTTP plumbing against a tiny scripted server: retries, limits, JSON errors."""

from __future__ import annotations

import ast
import http.server
import socket
import ssl
import threading
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from envoy_exporter.envoy import deadline, transport
from envoy_exporter.envoy.auth import EnvoyLegacyAuth
from envoy_exporter.envoy.const import MAX_RESPONSE_BYTES
from envoy_exporter.envoy.exceptions import (
    EnvoyCommunicationError,
    EnvoyDataError,
    EnvoyError,
)
from envoy_exporter.envoy.http import RequestRecord
from envoy_exporter.envoy.json import json_loads
from envoy_exporter.envoy.retry import retry_policy
from envoy_exporter.envoy.transport import GatewayHTTP, mount_gateway_adapter, read_limited
from envoy_exporter.simulator.certs import server_context

from .loopback import LoopbackServer, read_head

# What the scripted server does with one connection: None drops it unanswered.
Action = bytes | None


def http_answer(body: bytes, status: str = "200 OK", length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class ScriptedServer(LoopbackServer):
    """Answers the n-th connection with script(n); counts connections."""

    def __init__(self, script: Callable[[int], Action], linger: bool = False) -> None:
        self.script = script
        # linger: after answering, keep the connection open and ignore further requests
        self.linger = linger
        self.connections = 0
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        super().__init__()

    def handle(self, sock: socket.socket) -> None:
        with self._lock:
            self.connections += 1
            number = self.connections
        data = read_head(sock)
        if b"\r\n\r\n" not in data:
            return
        self.requests.append(data)
        action = self.script(number)
        if action is not None:
            sock.sendall(action)
        while self.linger and sock.recv(65536):
            pass
        sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: Callable[[int], Action], linger: bool = False) -> ScriptedServer:
        server = ScriptedServer(script, linger)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def gateway(host: str, attempts: int = 4) -> GatewayHTTP:
    session = requests.Session()
    mount_gateway_adapter(session, host, False, retry_policy(attempts, 50.0, backoff_factor=0))
    return GatewayHTTP(session)


def test_connection_drops_are_retried_by_urllib3_retry(serve) -> None:
    server = serve(lambda n: None if n <= 2 else http_answer(b'{"ok": true}'))
    http = gateway(server.host)
    response = http.send("GET", f"http://{server.host}/api/v1/production", "/api/v1/production")
    assert response.json() == {"ok": True}
    assert server.connections == 3


def test_retries_stop_after_four_tries(serve) -> None:
    server = serve(lambda n: None)
    http = gateway(server.host)
    with pytest.raises(EnvoyCommunicationError, match="/production"):
        http.send("GET", f"http://{server.host}/production", "/production")
    assert server.connections == 4


def test_single_attempt_when_retry_is_off(serve) -> None:
    server = serve(lambda n: None if n == 1 else http_answer(b"{}"))
    http = gateway(server.host)
    with pytest.raises(EnvoyCommunicationError):
        http.send("GET", f"http://{server.host}/ivp/meters", "/ivp/meters", retry=False)
    assert server.connections == 1


def test_status_codes_are_not_retried(serve) -> None:
    server = serve(lambda n: http_answer(b"busy", "503 Service Unavailable"))
    http = gateway(server.host)
    response = http.send("GET", f"http://{server.host}/production", "/production")
    assert response.status_code == 503
    assert server.connections == 1


def test_writes_are_not_resent_after_a_read_failure(serve) -> None:
    # The gateway may have applied a POST it never answered: urllib3 retries only
    # idempotent methods after a read failure.
    server = serve(lambda n: None if n == 1 else http_answer(b"{}"))
    http = gateway(server.host)
    with pytest.raises(EnvoyCommunicationError):
        url = f"http://{server.host}/ivp/ensemble/relay"
        http.send("POST", url, "/ivp/ensemble/relay", json={})
    assert server.connections == 1


def test_refused_connection_is_a_communication_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{sock.getsockname()[1]}"
    http = gateway(host, attempts=2)
    with pytest.raises(EnvoyCommunicationError) as caught:
        http.send("GET", f"http://{host}/info", "/info")
    assert isinstance(caught.value, EnvoyError)


def test_declared_huge_body_is_refused(serve) -> None:
    server = serve(lambda n: http_answer(b"{}", length=MAX_RESPONSE_BYTES + 1))
    http = gateway(server.host)
    with pytest.raises(EnvoyDataError) as caught:
        http.send("GET", f"http://{server.host}/inventory.json", "/inventory.json")
    assert caught.value.endpoint == "/inventory.json"
    assert "limit" in caught.value.reason


def test_undeclared_huge_body_is_refused_while_reading(serve) -> None:
    body = b"[" + b"0," * (MAX_RESPONSE_BYTES // 2) + b"0]"
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
    server = serve(lambda n: head + body)
    http = gateway(server.host)
    with pytest.raises(EnvoyDataError, match="limit"):
        http.send("GET", f"http://{server.host}/production.json", "/production.json")


def test_body_within_the_limit_is_kept_on_the_response(serve) -> None:
    server = serve(lambda n: http_answer(b'{"wattsNow": 5}'))
    http = gateway(server.host)
    response = http.send("GET", f"http://{server.host}/api/v1/production", "/api/v1/production")
    assert response.content == b'{"wattsNow": 5}'
    assert json_loads("/api/v1/production", response.content) == {"wattsNow": 5}


def test_cut_off_transfer_is_a_communication_error(serve) -> None:
    server = serve(lambda n: http_answer(b'{"wattsNow": 5', length=100))
    http = gateway(server.host)
    with pytest.raises(EnvoyCommunicationError):
        http.send("GET", f"http://{server.host}/api/v1/production", "/api/v1/production")


def test_read_limited_with_a_small_limit(serve) -> None:
    server = serve(lambda n: http_answer(b"x" * 100))
    response = requests.get(f"http://{server.host}/x", stream=True, timeout=5)
    with pytest.raises(EnvoyDataError, match="10 byte limit"):
        read_limited(response, "/x", limit=10)


def test_request_records_reach_listeners(serve) -> None:
    server = serve(lambda n: None if n == 1 else http_answer(b'{"a": 1}'))
    http = gateway(server.host, attempts=1)
    records: list[RequestRecord] = []
    http.listeners.append(records.append)
    with pytest.raises(EnvoyCommunicationError):
        http.send("GET", f"http://{server.host}/a", "/a")
    http.send("GET", f"http://{server.host}/a", "/a")
    assert [(r.endpoint, r.status_code, r.size_bytes) for r in records] == [
        ("/a", None, 0),
        ("/a", 200, 8),
    ]
    assert records[0].error is not None and records[1].error is None


def test_a_failing_listener_does_not_break_the_request(serve) -> None:
    server = serve(lambda n: http_answer(b"{}"))
    http = gateway(server.host)

    def broken(record: RequestRecord) -> None:
        raise RuntimeError("listener bug")

    http.listeners.append(broken)
    assert http.send("GET", f"http://{server.host}/a", "/a").status_code == 200


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (b'{"production": [{"wattsNow": 1', "truncated JSON"),
        (b"<html>Not here</html>", "invalid JSON"),
        (b"", "empty answer"),
        (b"\xff\xfe{", "UTF-8"),
    ],
)
def test_json_loads_names_the_endpoint(source: bytes, reason: str) -> None:
    with pytest.raises(EnvoyDataError) as caught:
        json_loads("/production.json?details=1", source)
    assert caught.value.endpoint == "/production.json?details=1"
    assert reason in caught.value.reason


def test_json_loads_reads_str_and_bytes() -> None:
    assert json_loads("/a", '{"a": [1, 2]}') == {"a": [1, 2]}
    assert json_loads("/a", b"[]") == []


def test_digest_challenge_then_closed_connection(serve) -> None:
    # Firmware 3.18 closes the connection after its digest challenge without saying so:
    # the answer to the challenge must go out on a fresh connection.
    challenge = (
        b"HTTP/1.1 401 Unauthorized\r\n"
        b'WWW-Authenticate: Digest realm="enphaseenergy.com", nonce="abc", qop="auth"\r\n'
        b"Content-Length: 0\r\n\r\n"
    )

    def script(n: int) -> Action:
        return challenge if n == 1 else http_answer(b"[]")

    server = serve(script)
    http = gateway(server.host)
    auth = EnvoyLegacyAuth(server.host, "envoy", "123456")
    kwargs = auth.request_kwargs()
    assert kwargs["headers"]["Connection"] == "close"
    url = auth.get_endpoint_url("/api/v1/production/inverters")
    response = http.send("GET", url, "/api/v1/production/inverters", **kwargs)
    assert response.status_code == 200
    assert server.connections == 2
    assert server.requests[1].lower().count(b"authorization: digest") == 1


def test_connection_close_requests_never_reuse_a_connection(serve) -> None:
    # The server leaves each connection open but answers only its first request: a client
    # that reused a connection after "Connection: close" would wait for an answer forever.
    server = serve(
        lambda n: http_answer(b"{}", status="200 OK").replace(b"Connection: close\r\n", b""),
        linger=True,
    )
    session = requests.Session()
    mount_gateway_adapter(session, server.host, False, retry_policy(1, 50.0, 0))
    http = GatewayHTTP(session, timeout=(5.0, 5.0))
    headers = {"Connection": "close"}
    for _ in range(3):
        url = f"http://{server.host}/production"
        assert http.send("GET", url, "/production", headers=headers).status_code == 200
    assert server.connections == 3
    session.close()


def test_elapsed_time_budget_stops_retries_before_the_attempt_limit(serve) -> None:
    server = serve(lambda n: None)
    session = requests.Session()
    # Ten tries allowed, but no time: the budget is spent once the first try has failed.
    mount_gateway_adapter(session, server.host, False, retry_policy(10, 0.0, backoff_factor=0))
    http = GatewayHTTP(session)
    with pytest.raises(EnvoyCommunicationError):
        http.send("GET", f"http://{server.host}/production", "/production")
    assert server.connections == 1
    session.close()


def test_each_request_gets_its_own_time_budget(serve) -> None:
    server = serve(lambda n: None if n % 2 == 1 else http_answer(b"{}"))
    http = gateway(server.host, attempts=2)
    for _ in range(3):
        assert http.send("GET", f"http://{server.host}/a", "/a").status_code == 200
    assert server.connections == 6


def test_answers_carry_a_cookie_only_when_the_gateway_sets_one(serve) -> None:
    with_cookie = http_answer(b'{"a": 1}').replace(
        b"Connection: close\r\n", b"Connection: close\r\nSet-Cookie: sessionId=abc; Path=/\r\n"
    )
    server = serve(lambda n: with_cookie if n == 1 else http_answer(b'{"b": 2}'))
    http = gateway(server.host)
    url = f"http://{server.host}/auth/check_jwt"
    first = http.send("GET", url, "/auth/check_jwt")
    assert first.cookies.get("sessionId") == "abc"
    second = http.send("GET", url, "/auth/check_jwt")
    # built without the cookie jar machinery, and still a whole requests.Response
    assert dict(second.cookies) == {}
    assert second.status_code == 200 and second.reason == "OK" and second.url == url
    assert second.headers["content-type"] == "application/json"
    assert second.json() == {"b": 2}


class _KeepAlive(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


class _CountingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def get_request(self) -> tuple[socket.socket, object]:
        self.connections += 1
        return super().get_request()


def test_the_adapter_keeps_its_connections_until_closed() -> None:
    server = _CountingServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    http = gateway(host)
    url = f"http://{host}/info"
    try:
        for _ in range(3):
            assert http.send("GET", url, "/info").json() == {}
        assert server.connections == 1
        http.session.close()  # closes the pools: the next request connects afresh, and works
        assert http.send("GET", url, "/info").status_code == 200
        assert server.connections == 2
    finally:
        http.session.close()
        server.shutdown()
        server.server_close()


# -- a dripping gateway (issue 13 item 3) ---------------------------------------------------


class DripServer(LoopbackServer):
    """Sends `head` at once, then `body` a byte every `interval` seconds (loopback, bounded:
    the body ends, and a closed connection ends it sooner). Counts the bytes it got out."""

    def __init__(self, head: bytes, body: bytes, interval: float) -> None:
        self.head, self.body, self.interval = head, body, interval
        self.sent = 0
        super().__init__()

    def handle(self, sock: socket.socket) -> None:
        if b"\r\n\r\n" not in read_head(sock):
            return
        try:
            sock.sendall(self.head)
            self.sent += len(self.head)
            for byte in self.body:
                sock.sendall(bytes([byte]))
                self.sent += 1
                # the hostile part: one byte, then a pause (not synchronisation)
                if self.stopped.wait(self.interval):
                    return
        except OSError:
            pass  # the client gave up: what these tests want


@pytest.fixture
def drip() -> Iterator[Callable[..., DripServer]]:
    servers: list[DripServer] = []

    def start(head: bytes, body: bytes, interval: float = 0.05) -> DripServer:
        servers.append(DripServer(head, body, interval))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


DRIPPED = b'{"wattsNow": ' + b"1" * 200 + b"}"  # 214 bytes: 10 s at 20 bytes a second


def test_a_dripping_body_is_cut_at_the_request_deadline(drip) -> None:
    # Each byte comes well within the read timeout (5 s), so only a deadline for the whole
    # request ends it: here the retry budget, 0.5 s.
    server = drip(http_answer(b"", length=len(DRIPPED)), DRIPPED)
    session = requests.Session()
    mount_gateway_adapter(session, server.host, False, retry_policy(4, 0.5, backoff_factor=0))
    http = GatewayHTTP(session, timeout=(5.0, 0.5))
    url = f"http://{server.host}/api/v1/production"
    with pytest.raises(EnvoyDataError, match=r"not complete within 0\.5 s") as caught:
        http.send("GET", url, "/api/v1/production")
    # an answer of that endpoint, not an unreachable gateway: the other endpoints are read
    assert caught.value.endpoint == "/api/v1/production"
    assert server.sent < len(http_answer(b"", length=len(DRIPPED))) + len(DRIPPED)
    session.close()


def test_dripping_headers_are_cut_at_the_request_deadline(drip) -> None:
    head = http_answer(b"{}")
    server = drip(b"", head)
    session = requests.Session()
    mount_gateway_adapter(session, server.host, False, retry_policy(1, 0.5, backoff_factor=0))
    http = GatewayHTTP(session, timeout=(5.0, 0.5))
    with pytest.raises(EnvoyCommunicationError, match="timed out"):
        http.send("GET", f"http://{server.host}/info", "/info")
    assert server.sent < len(head)
    session.close()


def test_a_refresh_deadline_bounds_every_request_inside_it(drip, serve) -> None:
    dripping = drip(http_answer(b"", length=len(DRIPPED)), DRIPPED)
    healthy = serve(lambda n: http_answer(b"{}"))
    session = requests.Session()
    for host in (dripping.host, healthy.host):
        # a budget far beyond the refresh's: the refresh's deadline is what ends the drip
        mount_gateway_adapter(session, host, False, retry_policy(4, 60.0, backoff_factor=0))
    http = GatewayHTTP(session, timeout=(5.0, 5.0))
    with deadline.within(0.5):
        with pytest.raises(EnvoyDataError, match=r"not complete within 0\.5 s"):
            http.send("GET", f"http://{dripping.host}/a", "/a")
        # the refresh has no time left: the next request is not sent at all
        with pytest.raises(EnvoyDataError, match="not asked"):
            http.send("GET", f"http://{healthy.host}/b", "/b")
    assert healthy.connections == 0
    # outside the refresh, requests have their own time again
    assert http.send("GET", f"http://{healthy.host}/b", "/b").status_code == 200
    session.close()


# -- the transport on requests' public API (issue 12 item 6) --------------------------------


def _legacy_tls_context() -> ssl.SSLContext:
    """A server context as old gateway firmware offers: TLS 1.2, RSA key exchange only."""
    context = server_context("127.0.0.1", rsa.generate_private_key(65537, 2048))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("AES128-SHA256")  # outside Python's default client list
    return context


class LegacyTLSServer(LoopbackServer):
    """Answers {} over TLS as old firmware would, or fails the handshake."""

    def __init__(self) -> None:
        self.context = _legacy_tls_context()
        super().__init__()

    def handle(self, sock: socket.socket) -> None:
        sock.settimeout(5)
        try:
            with self.context.wrap_socket(sock, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(http_answer(b"{}"))
        except OSError:
            pass  # the handshake failed: no shared cipher


@pytest.fixture
def legacy_tls() -> Iterator[str]:
    server = LegacyTLSServer()
    yield server.host
    server.close()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_the_gateway_tls_context_reaches_the_handshake(legacy_tls: str) -> None:
    # Old firmware offers ciphers outside Python's default list: the gateway context
    # (ssl.py) allows them. On requests < 2.32.3 the adapter's former hooks were never
    # called and this handshake failed, as it does for requests' own context:
    url = f"https://{legacy_tls}/info"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, verify=False, timeout=5)
    session = requests.Session()
    mount_gateway_adapter(session, legacy_tls, False, retry_policy(1, 5.0, 0))
    assert GatewayHTTP(session).send("GET", url, "/info").status_code == 200
    session.close()


def _private_writes(path: Path) -> list[str]:
    """`obj._name = ...` on anything but self, and overrides of version-bound adapter hooks."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr.startswith("_")
                and not (isinstance(target.value, ast.Name) and target.value.id in ("self", "cls"))
            ):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(target)}")
        if isinstance(node, ast.FunctionDef) and node.name in (
            "get_connection_with_tls_context",
            "build_connection_pool_key_attributes",
        ):
            found.append(f"{path.name}:{node.lineno} overrides {node.name}")
    return found


def test_the_client_writes_no_private_attribute_of_requests_or_urllib3() -> None:
    client = Path(__file__).resolve().parents[1] / "envoy_exporter" / "envoy"
    found = [hit for path in sorted(client.rglob("*.py")) for hit in _private_writes(path)]
    assert found == []


def test_the_requests_lower_bound_is_the_one_the_transport_needs() -> None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    assert "requests>=2.30" in dependencies
    assert "Needs requests >= 2.30" in (transport.__doc__ or "")
