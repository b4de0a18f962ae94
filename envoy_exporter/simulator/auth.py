"""The simulated gateway's authentication: Enlighten-style JWTs, session cookies, HTTP digest.

Firmware 7 and newer accept a JWT signed by Enlighten (here: by the simulator's own key),
either as `Authorization: Bearer` or through the `sessionId` cookie that `/auth/check_jwt`
hands out. Older firmware protects some endpoints with HTTP digest (RFC 7616, MD5, qop=auth).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "Entrez"
OWNER_TOKEN_SECONDS = 365 * 24 * 3600.0
INSTALLER_TOKEN_SECONDS = 12 * 3600.0
SESSION_COOKIE = "sessionId"
DIGEST_REALM = "enphaseenergy.com"
USER_TYPES = ("owner", "installer")


class TokenAuthority:
    """Signs and checks the JWTs of one simulated gateway (ES256, as Enlighten does)."""

    def __init__(self, serial: str) -> None:
        self.serial = serial
        self._key = ec.generate_private_key(ec.SECP256R1())

    def make_token(
        self,
        user_type: str = "owner",
        expires_in: float = 3600.0,
        username: str = "owner@example.com",
        now: float | None = None,
    ) -> str:
        """A token for this gateway; a negative `expires_in` makes an already expired one."""
        if user_type not in USER_TYPES:
            raise ValueError(f"user_type must be one of {USER_TYPES}, not {user_type!r}")
        issued = time.time() if now is None else now
        claims = {
            "aud": self.serial,
            "iss": ISSUER,
            "enphaseUser": user_type,
            "exp": int(issued + expires_in),
            "iat": int(issued),
            "jti": secrets.token_hex(16),
            "username": username,
        }
        return str(jwt.encode(claims, self._key, algorithm="ES256"))

    def check(self, token: str) -> dict[str, Any] | None:
        """The claims of a valid token for this gateway; None if foreign, expired or malformed."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["ES256"],
                audience=self.serial,
                issuer=ISSUER,
                options={"require": ["exp", "aud", "iss"]},
            )
        except jwt.PyJWTError:
            return None
        return claims


class SessionStore:
    """The `sessionId` cookies handed out by /auth/check_jwt, each living as long as its token."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._limit = limit

    def open(self, claims: dict[str, Any]) -> str:
        """A new session id for a checked token's claims."""
        session_id = secrets.token_hex(16)
        with self._lock:
            self._sessions[session_id] = (float(claims["exp"]), claims)
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)
        return session_id

    def check(self, session_id: str, now: float) -> dict[str, Any] | None:
        """The claims behind a live session; None if unknown or its token has expired."""
        with self._lock:
            entry = self._sessions.get(session_id)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._sessions[session_id]
                return None
            return entry[1]


_DIGEST_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_digest(header: str) -> dict[str, str] | None:
    """The parameters of an `Authorization: Digest ...` header; None if it is not one."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    return {m[1].lower(): m[2] if m[2] else m[3] for m in _DIGEST_PARAM.finditer(rest)}


def _md5(text: str) -> str:
    # MD5 is what the digest scheme of these gateways uses; it is not used for secrecy here.
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class DigestAuthority:
    """Server side of HTTP digest (MD5, qop=auth) for the local users of a legacy gateway."""

    def __init__(self, users: dict[str, str], realm: str = DIGEST_REALM, limit: int = 4096) -> None:
        self.users = dict(users)
        self.realm = realm
        self._lock = threading.Lock()
        self._nonces: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def challenge(self) -> str:
        """A `WWW-Authenticate` value with a fresh nonce."""
        nonce = secrets.token_urlsafe(18)
        with self._lock:
            self._nonces[nonce] = None
            while len(self._nonces) > self._limit:
                self._nonces.popitem(last=False)
        return f'Digest qop="auth", realm="{self.realm}", nonce="{nonce}"'

    def check(self, method: str, target: str, header: str | None) -> str | None:
        """The user name if `header` answers one of our challenges correctly, else None."""
        params = parse_digest(header or "")
        if params is None:
            return None
        user = params.get("username", "")
        password = self.users.get(user)
        nonce = params.get("nonce", "")
        uri = params.get("uri", "")
        with self._lock:
            known = nonce in self._nonces
        if password is None or not known or params.get("realm") != self.realm:
            return None
        # The digest covers the request target; clients differ on whether the query is in it.
        if uri not in (target, target.split("?", 1)[0]):
            return None
        if params.get("algorithm", "MD5").upper() != "MD5":
            return None
        ha1 = _md5(f"{user}:{self.realm}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        qop = params.get("qop")
        if qop == "auth":
            nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
            expected = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        elif qop is None:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        else:
            return None
        return user if secrets.compare_digest(expected, params.get("response", "")) else None
