"""`--web.config.file`: TLS and basic auth in the Prometheus exporter-toolkit format.

Supported: `tls_server_config` (cert_file, key_file, client_auth_type, client_ca_file,
min_version, max_version), `http_server_config.headers`, and `basic_auth_users`
(user -> bcrypt hash). Go-only knobs (cipher_suites, curve_preferences, ...) are refused
rather than silently ignored, so a user never believes a setting is in force when it is not.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError, read_yaml

_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_TLS_KEYS = ("cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
             "max_version")  # fmt: skip
_GO_ONLY_TLS_KEYS = ("cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
                     "client_allowed_sans")  # fmt: skip
_CACHE_LIMIT = 64


@dataclass
class WebConfig:
    """A validated web configuration."""

    ssl_context: ssl.SSLContext | None = None
    users: dict[str, bytes] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    _ok_cache: set[bytes] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def auth_required(self) -> bool:
        return bool(self.users)

    @functools.cached_property
    def unknown_user_hash(self) -> bytes:
        """Checked when the user name is unknown: a hash of a random password at the highest
        cost among the configured ones, so that a wrong name takes as long as a wrong password
        (a cheaper dummy would tell the names apart by timing)."""
        import bcrypt  # loaded only where users are configured (about 0.45 MB of RSS)

        cost = max((_cost(hashed) for hashed in self.users.values()), default=12)
        return bcrypt.hashpw(secrets.token_urlsafe(16).encode(), bcrypt.gensalt(rounds=cost))

    def check_basic_auth(self, username: str, password: str) -> bool:
        """True when the pair matches a configured user; timing does not reveal which failed."""
        expected = self.unknown_user_hash
        known = False
        for name, hashed in self.users.items():
            if hmac.compare_digest(name.encode(), username.encode()):
                expected, known = hashed, True
        # bcrypt costs tens of milliseconds per check: remember recent successes by digest
        # (keyed on the hash too, so that a changed password invalidates the entry).
        key = hashlib.sha256(b"\0".join((username.encode(), password.encode(), expected))).digest()
        with self._lock:
            if known and key in self._ok_cache:
                return True
        import bcrypt

        try:
            ok = bcrypt.checkpw(password.encode(), expected)
        except ValueError:
            ok = False
        if ok and known:
            with self._lock:
                if len(self._ok_cache) >= _CACHE_LIMIT:
                    self._ok_cache.clear()
                self._ok_cache.add(key)
        return ok and known


def load_web_config(path: str | Path) -> WebConfig:
    """Read and validate a web config file; raise ConfigError listing every problem."""
    file = Path(path)
    return parse_web_config(read_yaml(file), file.parent)


def parse_web_config(data: Any, base_dir: Path) -> WebConfig:
    """Validate parsed YAML; raise ConfigError listing every problem."""
    errors: list[str] = []
    if data is None:
        return WebConfig()
    if not isinstance(data, dict):
        raise ConfigError(["web config: expected a mapping"])
    for key in data:
        if key not in ("tls_server_config", "http_server_config", "basic_auth_users"):
            errors.append(f"{key}: unknown key")
    config = WebConfig()
    if data.get("tls_server_config") is not None:
        config.ssl_context = _tls_context(data["tls_server_config"], base_dir, errors)
    config.headers = _headers(data.get("http_server_config"), errors)
    config.users = _users(data.get("basic_auth_users"), errors)
    if errors:
        raise ConfigError(errors)
    if config.users:
        _ = config.unknown_user_hash  # made now: the first wrong name must not take longer
    return config


def _resolve(base_dir: Path, value: Any, path: str, errors: list[str]) -> Path | None:
    if not isinstance(value, str) or not value:
        errors.append(f"{path}: expected a file name")
        return None
    file = Path(value).expanduser()
    file = file if file.is_absolute() else base_dir / file
    if not file.is_file():
        errors.append(f"{path}: {file} does not exist")
        return None
    return file


def _tls_context(raw: Any, base_dir: Path, errors: list[str]) -> ssl.SSLContext | None:
    if not isinstance(raw, dict):
        errors.append("tls_server_config: expected a mapping")
        return None
    for key in raw:
        if key in _GO_ONLY_TLS_KEYS:
            errors.append(f"tls_server_config.{key}: not supported by this exporter")
        elif key not in _TLS_KEYS:
            errors.append(f"tls_server_config.{key}: unknown key")
    before = len(errors)
    for key in ("cert_file", "key_file"):
        if key not in raw:
            errors.append(f"tls_server_config.{key}: required")
    cert = _resolve(base_dir, raw.get("cert_file"), "tls_server_config.cert_file", errors)
    key = _resolve(base_dir, raw.get("key_file"), "tls_server_config.key_file", errors)
    versions = {}
    for name, default in (("min_version", "TLS12"), ("max_version", "TLS13")):
        value = raw.get(name, default)
        if value not in _TLS_VERSIONS:
            errors.append(f"tls_server_config.{name}: expected one of {', '.join(_TLS_VERSIONS)}")
        else:
            versions[name] = _TLS_VERSIONS[value]
    client_auth = raw.get("client_auth_type", "NoClientCert")
    if client_auth not in _CLIENT_AUTH:
        errors.append(
            f"tls_server_config.client_auth_type: expected one of {', '.join(_CLIENT_AUTH)}"
        )
    ca = None
    if client_auth not in ("NoClientCert", "RequestClientCert") or "client_ca_file" in raw:
        ca = _resolve(
            base_dir, raw.get("client_ca_file"), "tls_server_config.client_ca_file", errors
        )
    if len(errors) > before or cert is None or key is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = versions["min_version"]
    context.maximum_version = versions["max_version"]
    try:
        context.load_cert_chain(cert, key)
        if ca is not None:
            context.load_verify_locations(ca)
    except (ssl.SSLError, OSError) as exc:
        errors.append(
            f"tls_server_config: cannot load certificate or key: {exc.__class__.__name__}"
        )
        return None
    context.verify_mode = _CLIENT_AUTH[client_auth] if ca is not None else ssl.CERT_NONE
    return context


def _headers(raw: Any, errors: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append("http_server_config: expected a mapping")
        return {}
    for key in raw:
        if key not in ("headers", "http2"):  # http2: a Go knob, harmless to accept and ignore
            errors.append(f"http_server_config.{key}: unknown key")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and "\n" not in k + v for k, v in headers.items()
    ):
        errors.append("http_server_config.headers: expected a mapping of header -> text")
        return {}
    return dict(headers)


def _users(raw: Any, errors: list[str]) -> dict[str, bytes]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append("basic_auth_users: expected a mapping of user -> bcrypt hash")
        return {}
    users: dict[str, bytes] = {}
    for name, hashed in raw.items():
        if not isinstance(name, str) or ":" in name or not name:
            errors.append(f"basic_auth_users.{name}: invalid user name")
        elif (
            not isinstance(hashed, str)
            or not hashed.startswith(("$2a$", "$2b$", "$2y$"))
            or not 4 <= _cost(hashed.encode()) <= 31
        ):
            errors.append(f"basic_auth_users.{name}: expected a bcrypt hash ($2a$/$2b$/$2y$...)")
        else:
            users[name] = hashed.encode()
    return users


def _cost(hashed: bytes) -> int:
    """The cost of a `$2b$12$...` hash (0 when unreadable)."""
    field = hashed[4:7]
    return int(field[:2]) if len(field) == 3 and field[:2].isdigit() and field[2:] == b"$" else 0
