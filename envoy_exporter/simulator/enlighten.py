"""A fake Enlighten cloud: the login and token services a client uses to get a gateway token.

Real clients POST a form to https://enlighten.enphaseenergy.com/login/login.json and then JSON to
https://entrez.enphaseenergy.com/tokens; this fake serves both paths over plain HTTP on loopback.
"""

from __future__ import annotations

import json
import secrets
import threading
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from .auth import INSTALLER_TOKEN_SECONDS, OWNER_TOKEN_SECONDS, USER_TYPES, TokenAuthority
from .httpd import ServerThread, ThreadedServer, host_port

LOGIN_PATH = "/login/login.json"
TOKEN_PATH = "/tokens"  # noqa: S105 (a URL path)
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class CloudAccount:
    password: str
    user_type: str


class FakeEnlighten:
    """Login (form) -> session id; session id + gateway serial -> a JWT for that gateway."""

    def __init__(self, tokens: TokenAuthority, host: str = "127.0.0.1") -> None:
        self.tokens = tokens
        self.host = host
        self._accounts: dict[str, CloudAccount] = {}
        self._sessions: dict[str, str] = {}  # session id -> username
        self._lock = threading.Lock()
        self._thread: ServerThread | None = None
        #: login attempts received (a client that keeps its token logs in less often)
        self.logins = 0
        #: answer logins with a page of another flow, as Enlighten does when it changes
        self.changed_flow = False

    def add_account(self, username: str, password: str, user_type: str = "owner") -> None:
        """Register a cloud account ("owner" or "installer")."""
        if user_type not in USER_TYPES:
            raise ValueError(f"user_type must be one of {USER_TYPES}, not {user_type!r}")
        with self._lock:
            self._accounts[username] = CloudAccount(password, user_type)

    def start(self) -> None:
        if self._thread is None:
            server = ThreadedServer((self.host, 0), _EnlightenHandler, owner=self)
            self._thread = ServerThread(server, "fake-enlighten")

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    @property
    def base_url(self) -> str:
        if self._thread is None:
            raise RuntimeError("the fake Enlighten is not started")
        return f"http://{host_port(self.host, self._thread.port)}"

    @property
    def login_url(self) -> str:
        # The real login URL ends with "?" (clients append nothing but keep it).
        return f"{self.base_url}{LOGIN_PATH}?"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}{TOKEN_PATH}"

    def login(self, form: dict[str, list[str]]) -> tuple[int, bytes, str]:
        """(status, body, content type) of a login attempt."""
        email = (form.get("user[email]") or [""])[0]
        password = (form.get("user[password]") or [""])[0]
        with self._lock:
            self.logins += 1
            if self.changed_flow:
                return 200, b"<html><body>Sign in with a one-time code</body></html>", "text/html"
            account = self._accounts.get(email)
            if account is None or not secrets.compare_digest(account.password, password):
                body = {"message": "Invalid email or password"}
                return 401, json.dumps(body).encode(), "application/json"
            session_id = secrets.token_hex(16)
            self._sessions[session_id] = email
        reply = {
            "message": "success",
            "session_id": session_id,
            "manager_token": secrets.token_hex(24),
            "is_consumer": account.user_type == "owner",
            "user_id": zlib.crc32(email.encode()) % 10_000_000,
            "user_name": email,
            "first_name": "Simulated",
            "last_name": account.user_type.title(),
        }
        return 200, json.dumps(reply).encode(), "application/json"

    def token(self, request: dict[str, object]) -> tuple[int, bytes, str]:
        """(status, body, content type) of a token request: the bare JWT on success."""
        session_id = str(request.get("session_id", ""))
        username = str(request.get("username", ""))
        serial = str(request.get("serial_num", ""))
        with self._lock:
            owner = self._sessions.get(session_id)
            account = self._accounts.get(username)
        if owner is None or owner != username or account is None:
            return 401, b'{"message": "Invalid session"}', "application/json"
        if serial != self.tokens.serial:
            return 401, b'{"message": "No access to this gateway"}', "application/json"
        lifetime = OWNER_TOKEN_SECONDS if account.user_type == "owner" else INSTALLER_TOKEN_SECONDS
        jwt = self.tokens.make_token(account.user_type, lifetime, username)
        return 200, jwt.encode(), "text/plain"


class _EnlightenHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    timeout = 30

    def do_POST(self) -> None:
        cloud: FakeEnlighten = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, b"", "text/plain")
            return
        body = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path == LOGIN_PATH:
            form = parse_qs(body.decode("utf-8", "replace"))
            self._reply(*cloud.login(form))
        elif path == TOKEN_PATH:
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                request = None
            if not isinstance(request, dict):
                self._reply(400, b'{"message": "expected a JSON object"}', "application/json")
                return
            self._reply(*cloud.token(request))
        else:
            self._reply(404, b'{"message": "Not Found"}', "application/json")

    def do_GET(self) -> None:
        self._reply(405, b'{"message": "Method Not Allowed"}', "application/json")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
