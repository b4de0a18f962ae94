"""SimulatedEnvoy: a gateway over real HTTP(S) with real authentication, answering from a Source.

Firmware 7 and newer: HTTPS (self-signed), every endpoint but /info needs an Enlighten JWT
(Bearer header or the `sessionId` cookie of /auth/check_jwt). Older firmware: plain HTTP, the
endpoints a legacy gateway protects need HTTP digest of a local user.
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..envoy.const import URL_INFO, URL_PRODUCTION_INVERTERS
from .auth import (
    OWNER_TOKEN_SECONDS,
    SESSION_COOKIE,
    DigestAuthority,
    SessionStore,
    TokenAuthority,
)
from .certs import server_context
from .enlighten import FakeEnlighten
from .httpd import ServerThread, ThreadedServer, host_port, parse_listen
from .source import Answer, Source

_log = logging.getLogger(__name__)

# Endpoints a legacy (firmware < 7) gateway keeps behind digest authentication.
LEGACY_PROTECTED = (URL_PRODUCTION_INVERTERS, "/ivp/", "/admin/", "/installer/")
CHECK_JWT = "/auth/check_jwt"
VALID_TOKEN_PAGE = b"<!DOCTYPE html><h2>Valid token.</h2>"
UNAUTHORIZED_PAGE = b"<html><body><h2>401 Unauthorized</h2></body></html>"
NOT_FOUND_BODY = b'{"error": "404 - Not Found"}'
MAX_BODY = 1024 * 1024
DEFAULT_CLOUD_USERNAME = "owner@example.com"
# Test credentials of a simulated gateway, not secrets.
DEFAULT_CLOUD_PASSWORD = "envoy-sim-cloud"  # noqa: S105
DEFAULT_INSTALLER_PASSWORD = "envoy-sim-installer"  # noqa: S105


@dataclass(frozen=True)
class SimRequest:
    """One request the simulated gateway answered (status 0: connection dropped)."""

    method: str
    path: str
    status: int
    at: float
    modelled_seconds: float


class DropConnection(Exception):
    """Raised by a fault to close the connection without any answer, or part-way through one.

    With `partial`, its status line and headers go out (Content-Length of the whole body), then
    only the first `send_bytes` bytes of its body. `reset` closes with a TCP RST, not a FIN.
    """

    def __init__(
        self, partial: Answer | None = None, send_bytes: int = 0, *, reset: bool = False
    ) -> None:
        super().__init__("connection dropped by a fault")
        self.partial = partial
        self.send_bytes = send_bytes
        self.reset = reset


@dataclass(frozen=True)
class Request:
    """What a fault sees of one request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    now: float


class Fault(Protocol):
    """A fault injector wrapped around every answer (see `--fault` of `simulate`).

    `apply` gets the request and a function computing the normal answer (auth included); it may
    return that answer, an altered or a different one, sleep, or raise DropConnection.
    """

    def apply(self, request: Request, answer: Callable[[], Answer]) -> Answer: ...


def parse_firmware(firmware: str) -> tuple[int, ...]:
    """(7, 6, 175) from "D7.6.175": the leading letter is the build channel."""
    match = re.match(r"\s*[A-Za-z]*(\d+(?:\.\d+)*)", firmware)
    if not match:
        raise ValueError(f"firmware {firmware!r} is not like 'D7.6.175'")
    return tuple(int(part) for part in match[1].split("."))


def _answer(status: int, body: bytes, content_type: str = "text/html", **headers: str) -> Answer:
    return Answer(status=status, body=body, content_type=content_type, headers=dict(headers))


class SimulatedEnvoy:
    """A simulated IQ Gateway serving `source` on `listen` ("HOST:PORT", port 0: any free port)."""

    def __init__(
        self,
        source: Source,
        listen: str = "127.0.0.1:0",
        *,
        latency: Callable[[str], float] | None = None,
        sleep: bool = True,
        fault: Fault | None = None,
        cloud_username: str = DEFAULT_CLOUD_USERNAME,
        cloud_password: str = DEFAULT_CLOUD_PASSWORD,
        installer_password: str = DEFAULT_INSTALLER_PASSWORD,
    ) -> None:
        self.source = source
        self.listen_host, self.listen_port = parse_listen(listen)
        self.latency = latency
        self.sleep = sleep
        self.fault = fault
        self.serial = source.serial
        self.firmware = source.firmware
        self.firmware_version = parse_firmware(source.firmware)
        self.legacy = self.firmware_version[0] < 7
        self.cloud_username = cloud_username
        self.cloud_password = cloud_password
        self.local_users = {"envoy": self.serial[-6:], "installer": installer_password}
        self.tokens = TokenAuthority(self.serial)
        self.sessions = SessionStore()
        self.digest = DigestAuthority(self.local_users)
        self.enlighten = FakeEnlighten(self.tokens, self.listen_host)
        self.enlighten.add_account(cloud_username, cloud_password, "owner")
        self.token = self.make_token("owner", OWNER_TOKEN_SECONDS)
        self._log: list[SimRequest] = []
        self._log_lock = threading.Lock()
        self._thread: ServerThread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SimulatedEnvoy:
        """Start serving (and the fake Enlighten); returns self."""
        if self._thread is not None:
            return self
        tls = None if self.legacy else server_context(self.listen_host)
        server = ThreadedServer((self.listen_host, self.listen_port), _GatewayHandler, tls, self)
        self._thread = ServerThread(server, f"simulated-envoy-{self.serial}")
        self.enlighten.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections; safe to call twice."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        self.enlighten.stop()
        # Faults that hold requests (hang, delay) let them go, so no handler outlives stop().
        release = getattr(self.fault, "close", None)
        if callable(release):
            release()

    def __enter__(self) -> SimulatedEnvoy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- public interface ------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._thread is None:
            raise RuntimeError("the simulated Envoy is not started")
        return self._thread.port

    @property
    def host(self) -> str:
        """ "127.0.0.1:PORT": what a client takes as the gateway's host."""
        return host_port(self.listen_host, self.port)

    @property
    def base_url(self) -> str:
        return f"{'http' if self.legacy else 'https'}://{self.host}"

    @property
    def enlighten_login_url(self) -> str:
        return self.enlighten.login_url

    @property
    def enlighten_token_url(self) -> str:
        return self.enlighten.token_url

    @property
    def request_log(self) -> list[SimRequest]:
        """A copy of every request answered so far, in order."""
        with self._log_lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def make_token(self, user_type: str = "owner", expires_in: float = 3600.0) -> str:
        """A JWT this gateway accepts (until it expires; negative `expires_in`: already expired)."""
        return self.tokens.make_token(user_type, expires_in, self.cloud_username)

    # -- answering -------------------------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        """The answer to one request, faults included (may raise DropConnection)."""
        if self.fault is not None:
            return self.fault.apply(request, lambda: self.respond(request))
        return self.respond(request)

    def respond(self, request: Request) -> Answer:
        """The gateway's normal answer: authentication first, then the source."""
        denied = self._check_digest(request) if self.legacy else self._check_token(request)
        if denied is not None:
            return denied
        if not self.legacy and urlsplit(request.path).path == CHECK_JWT:
            return self._check_jwt(request)
        if request.method in ("POST", "PUT"):
            answer = self.source.write(request.method, request.path, request.body, request.now)
        elif request.method == "GET":
            answer = self.source.answer(request.path, request.now)
        else:
            return _answer(405, b'{"error": "405 - Method Not Allowed"}', "application/json")
        if answer is None:
            return _answer(404, NOT_FOUND_BODY, "application/json")
        if self.legacy and answer.status == 401:
            # Sources may share Answer objects between requests: never alter theirs.
            headers = {"WWW-Authenticate": self.digest.challenge(), **answer.headers}
            answer = replace(answer, headers=headers)
        return answer

    def _check_token(self, request: Request) -> Answer | None:
        path = urlsplit(request.path).path
        if path == URL_INFO:
            return None
        claims = self._claims(request)
        if claims is None:
            return _answer(401, UNAUTHORIZED_PAGE)
        # Installer pages refuse owner tokens on a real gateway.
        if path.startswith("/installer/") and claims.get("enphaseUser") != "installer":
            return _answer(401, UNAUTHORIZED_PAGE)
        return None

    def _claims(self, request: Request) -> dict[str, Any] | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return self.tokens.check(token.strip())
        session_id = _cookie(request.headers.get("cookie", ""), SESSION_COOKIE)
        return self.sessions.check(session_id, request.now) if session_id else None

    def _check_jwt(self, request: Request) -> Answer:
        claims = self._claims(request)
        if claims is None:  # already refused by _check_token; kept for clarity of the flow
            return _answer(401, UNAUTHORIZED_PAGE)
        session_id = self.sessions.open(claims)
        cookie = f"{SESSION_COOKIE}={session_id}; Path=/; Secure; HttpOnly; SameSite=Lax"
        return _answer(200, VALID_TOKEN_PAGE, **{"Set-Cookie": cookie})

    def _check_digest(self, request: Request) -> Answer | None:
        path = urlsplit(request.path).path
        if not path.startswith(LEGACY_PROTECTED):
            return None
        user = self.digest.check(request.method, request.path, request.headers.get("authorization"))
        if user is not None:
            return None
        return _answer(401, UNAUTHORIZED_PAGE, **{"WWW-Authenticate": self.digest.challenge()})

    def record(self, request: Request, status: int, modelled: float) -> None:
        entry = SimRequest(request.method, request.path, status, request.now, modelled)
        with self._log_lock:
            self._log.append(entry)

    def modelled_seconds(self, path: str) -> float:
        return max(0.0, float(self.latency(path))) if self.latency is not None else 0.0


def _content_length(value: str | None) -> int | None:
    if value is None or not value.strip():
        return 0
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def _cookie(header: str, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class _GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 30

    def version_string(self) -> str:
        return "openresty/1.17.8.1"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        sim: SimulatedEnvoy = self.server.owner  # type: ignore[attr-defined]
        length = _content_length(self.headers.get("Content-Length"))
        if length is None or length > MAX_BODY:
            # The body cannot be skipped safely: answer and close the connection.
            self.close_connection = True
            self._send(_answer(400 if length is None else 413, b"", "text/plain"))
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(method, self.path, headers, body, time.time())
        modelled = sim.modelled_seconds(self.path)
        try:
            answer = sim.handle(request)
        except DropConnection as drop:
            sim.record(request, 0, modelled)
            self.close_connection = True
            if drop.partial is not None:
                self._send(drop.partial, limit=drop.send_bytes)
            if drop.reset:
                # Linger 0: close() sends a RST instead of a FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            return
        except Exception as err:
            # A bug in a source or a fault: show it, and answer as a crashing gateway would.
            _log.exception("simulated Envoy failed on %s %s", method, self.path)
            answer = _answer(500, f"simulator error: {type(err).__name__}".encode(), "text/plain")
        if modelled > 0 and sim.sleep:
            time.sleep(modelled)
        sim.record(request, answer.status, modelled)
        self._send(answer)

    def _send(self, answer: Answer, limit: int | None = None) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            # Say so, as a real server does: a client that asked for "Connection: close"
            # must not find out by reusing a socket this side is closing.
            self.send_header("Connection", "close")
        for name, value in answer.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body if limit is None else answer.body[:limit])

    def log_message(self, format: str, *args: object) -> None:
        pass


__all__ = ["DropConnection", "Fault", "Request", "SimRequest", "SimulatedEnvoy"]
