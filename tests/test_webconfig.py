"""--web.config.file: TLS and basic auth on real sockets, in the exporter-toolkit format."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import bcrypt
import pytest
import requests

from envoy_exporter.server.app import ExporterApp, ExporterServer
from envoy_exporter.server.config import ConfigError
from envoy_exporter.server.webconfig import load_web_config, parse_web_config
from envoy_exporter.simulator.certs import self_signed_pem

PASSWORD = "correct horse battery staple"


class StandInTarget:
    """Answers like a Target without a gateway: these tests are about the web layer."""

    def snapshot(self) -> Any:
        info = SimpleNamespace(
            model="IQ Gateway", firmware="8.2.4", part_number="800-1", serial="1"
        )
        return SimpleNamespace(
            up=True, info=info, supported_features=None, parts={}, token_expiry=None,
            refreshed_at=time.time(), generation=1, data=None,
        )  # fmt: skip

    def close(self) -> None:
        pass


def write_tls(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = self_signed_pem("127.0.0.1")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    return tmp_path / "cert.pem", tmp_path / "key.pem"


def serve(web_file: Path) -> ExporterServer:
    app = ExporterApp(
        {"home": StandInTarget()},  # type: ignore[dict-item]
        single="home",
        web=load_web_config(web_file),
        render=lambda target, openmetrics: b"enphase_up 1\n",
    )
    return ExporterServer(app, "127.0.0.1:0").start()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[ExporterServer, Path]]:
    cert, key = write_tls(tmp_path)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    web = tmp_path / "web.yml"
    web.write_text(
        f"tls_server_config:\n  cert_file: {cert.name}\n  key_file: {key.name}\n"
        f"basic_auth_users:\n  prometheus: '{hashed}'\n"
        "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n"
    )
    server = serve(web)
    yield server, cert
    server.stop()


def test_tls_with_basic_auth(tls_server: tuple[ExporterServer, Path]) -> None:
    server, cert = tls_server
    assert server.url.startswith("https://127.0.0.1:")
    good = requests.get(server.url + "metrics", verify=str(cert), auth=("prometheus", PASSWORD))
    assert good.status_code == 200
    assert good.text.startswith("enphase_up 1")
    assert good.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "auth", [None, ("prometheus", "wrong"), ("nobody", PASSWORD), ("prometheus", "")]
)
def test_wrong_or_missing_credentials_get_401(
    tls_server: tuple[ExporterServer, Path], auth: tuple[str, str] | None
) -> None:
    server, cert = tls_server
    for path in ("metrics", "", "probe?target=home"):
        answer = requests.get(server.url + path, verify=str(cert), auth=auth)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_health_endpoints_need_no_password(tls_server: tuple[ExporterServer, Path]) -> None:
    server, cert = tls_server
    assert requests.get(server.url + "-/healthy", verify=str(cert)).status_code == 200
    assert requests.get(server.url + "-/ready", verify=str(cert)).status_code == 200


def test_plain_http_to_the_tls_port_fails(tls_server: tuple[ExporterServer, Path]) -> None:
    server, cert = tls_server
    plain = server.url.replace("https://", "http://")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(plain + "-/healthy", timeout=10)
    # The failed handshake cost nothing lasting: TLS clients are still served.
    assert requests.get(server.url + "-/healthy", verify=str(cert), timeout=10).status_code == 200


def test_slow_tls_clients_do_not_stop_the_server(tls_server: tuple[ExporterServer, Path]) -> None:
    # Issue 13 item 1 over TLS: silent peers that never finish a handshake, and clients that
    # sent half a request over TLS, each cost a connection; others are still answered.
    server, cert = tls_server
    client = ssl.create_default_context(cafile=str(cert))
    held: list[socket.socket] = []
    try:
        for i in range(100):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            if i % 2:
                sock = client.wrap_socket(sock, server_hostname="127.0.0.1")
                sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            held.append(sock)
        answer = requests.get(server.url + "-/healthy", verify=str(cert), timeout=5)
        assert answer.status_code == 200
        auth = ("prometheus", PASSWORD)
        answer = requests.get(server.url + "metrics", verify=str(cert), auth=auth, timeout=5)
        assert answer.text.startswith("enphase_up 1")
    finally:
        for sock in held:
            sock.close()


def test_basic_auth_only(tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    web = tmp_path / "web.yml"
    web.write_text(f"basic_auth_users:\n  alice: '{hashed}'\n")
    server = serve(web)
    try:
        assert requests.get(server.url + "metrics").status_code == 401
        assert requests.get(server.url + "metrics", auth=("alice", PASSWORD)).status_code == 200
        bad = requests.get(server.url + "metrics", headers={"Authorization": "Basic !!notb64"})
        assert bad.status_code == 401
    finally:
        server.stop()


def test_check_basic_auth_caches_without_weakening(tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    web = parse_web_config({"basic_auth_users": {"u": hashed}}, tmp_path)
    assert web.check_basic_auth("u", "pw") and web.check_basic_auth("u", "pw")
    assert not web.check_basic_auth("u", "pw2")
    assert not web.check_basic_auth("v", "pw")


@pytest.mark.parametrize("costs", [(4,), (5, 6)])
def test_unknown_user_checked_at_the_configured_cost(
    tmp_path: Path, costs: tuple[int, ...]
) -> None:
    # An unknown name was checked against a cost-10 dummy while users had cost 12: the time
    # of a 401 told which names exist. The dummy now has the configured (highest) cost.
    users = {
        f"u{cost}": bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=cost)).decode() for cost in costs
    }
    web = parse_web_config({"basic_auth_users": users}, tmp_path)
    assert web.unknown_user_hash.startswith(f"$2b${max(costs):02d}$".encode())
    assert not web.check_basic_auth("nobody", "pw")
    assert not web.check_basic_auth("nobody", "")


def test_web_config_errors_are_all_reported(tmp_path: Path) -> None:
    data = {
        "tls_server_config": {
            "cert_file": "nope.pem",
            "min_version": "TLS99",
            "cipher_suites": ["TLS_AES_128_GCM_SHA256"],
        },
        "basic_auth_users": {"bob": "plaintext-password"},
        "extra": 1,
    }
    with pytest.raises(ConfigError) as info:
        parse_web_config(data, tmp_path)
    text = "\n".join(info.value.errors)
    assert "extra: unknown key" in text
    assert "tls_server_config.key_file: required" in text
    assert "tls_server_config.cert_file:" in text and "does not exist" in text
    assert "tls_server_config.min_version: expected one of TLS10" in text
    assert "tls_server_config.cipher_suites: not supported" in text
    assert "basic_auth_users.bob: expected a bcrypt hash" in text
    assert "plaintext-password" not in text


def test_min_version_defaults_to_tls12(tmp_path: Path) -> None:
    import ssl

    cert, key = write_tls(tmp_path)
    web = parse_web_config(
        {"tls_server_config": {"cert_file": str(cert), "key_file": str(key)}}, tmp_path
    )
    assert web.ssl_context is not None
    assert web.ssl_context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_serve_reports_every_web_config_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from envoy_exporter.cli import main

    web = tmp_path / "web.yml"
    web.write_text("basic_auth_users:\n  bob: hunter2\ntls_server_config:\n  min_version: TLS9\n")
    result = CliRunner().invoke(
        main, ["serve", "--envoy", "127.0.0.1:1", "--web.config.file", str(web)]
    )
    assert result.exit_code == 1
    assert "errors:" in result.output
    assert "basic_auth_users.bob: expected a bcrypt hash" in result.output
    assert "tls_server_config.cert_file: required" in result.output
    assert "tls_server_config.min_version" in result.output
    assert "hunter2" not in result.output
