"""Authentication with the gateway: JWT tokens (firmware >= 7) or HTTP digest (older)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from abc import ABC, abstractmethod
from typing import Any

import requests
from packaging.version import Version
from requests.auth import HTTPDigestAuth

from .const import ENLIGHTEN_LOGIN_URL, ENLIGHTEN_TOKEN_URL, URL_AUTH_CHECK_JWT
from .exceptions import (
    EnlightenCredentialsRefused,
    EnlightenUnexpectedAnswer,
    EnlightenUnreachable,
    EnvoyAuthenticationError,
    EnvoyAuthenticationRequired,
    EnvoyDataError,
    EnvoyError,
)
from .json import json_loads
from .retry import retry_policy
from .transport import GatewayHTTP, read_limited

#: Enlighten answers within seconds; a hung cloud call should not hold up a scrape for long.
CLOUD_TIMEOUT = (10.0, 30.0)


def token_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified: the gateway itself checks the signature (/auth/check_jwt).

    The payload is base64url JSON; PyJWT would load `cryptography` for a signature nobody
    here checks, about 9 MB of the exporter's RSS (bench/bench_memory.py).
    """
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, RecursionError) as err:  # binascii.Error and JSON errors are ValueErrors
        raise EnvoyAuthenticationError(
            "the token is not a readable JWT (expected header.payload.signature, base64url JSON)"
        ) from err
    if not isinstance(claims, dict):
        raise EnvoyAuthenticationError("the token is not a readable JWT (its claims are no object)")
    return claims


class EnvoyAuth(ABC):
    """How requests to one gateway are authenticated."""

    def __init__(self, host: str) -> None:
        self.host = host

    @abstractmethod
    def setup(self, client: GatewayHTTP) -> None:
        """Prepare authentication (token auth validates its token with the gateway)."""

    @property
    @abstractmethod
    def cookies(self) -> dict[str, str]:
        """Cookies the gateway handed out during setup."""

    @property
    @abstractmethod
    def auth(self) -> requests.auth.AuthBase | None:
        """A requests auth handler (digest for firmware < 7), or None."""

    @property
    @abstractmethod
    def headers(self) -> dict[str, str]:
        """Authentication headers for requests to the gateway."""

    @abstractmethod
    def get_endpoint_url(self, endpoint: str) -> str:
        """The full URL of an endpoint ("/info"), with the scheme this auth uses."""

    def request_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for requests that authenticate one request to the gateway."""
        kwargs: dict[str, Any] = {"headers": self.headers}
        if self.cookies:
            kwargs["cookies"] = self.cookies
        if self.auth is not None:
            kwargs["auth"] = self.auth
        return kwargs

    def revalidate(self, client: GatewayHTTP) -> bool:
        """After a 401: renew the gateway session; False if this auth has nothing to renew."""
        return False


class EnvoyTokenAuth(EnvoyAuth):
    """JWT authentication (firmware 7 and newer), the token given or obtained from Enlighten."""

    JSON_LOGIN_URL = ENLIGHTEN_LOGIN_URL
    TOKEN_URL = ENLIGHTEN_TOKEN_URL

    def __init__(
        self,
        host: str,
        cloud_username: str | None = None,
        cloud_password: str | None = None,
        envoy_serial: str | None = None,
        token: str | None = None,
        *,
        login_url: str = ENLIGHTEN_LOGIN_URL,
        token_url: str = ENLIGHTEN_TOKEN_URL,
    ) -> None:
        super().__init__(host)
        self.cloud_username = cloud_username
        self.cloud_password = cloud_password
        self.envoy_serial = envoy_serial
        self.login_url = login_url
        self.token_url = token_url
        self._token = token
        self._is_consumer = False
        self._manager_token: str | None = None
        self._cookies: dict[str, str] = {}
        self._decoded: tuple[str, dict[str, Any]] | None = None

    def setup(self, client: GatewayHTTP) -> None:
        """Obtain a token if none was given (or it expired), then validate it with the gateway."""
        if self._token and self._has_expired() and self._has_cloud_credentials():
            self._token = None
        if not self._token:
            self._token = self._obtain_token()
        elif self._has_expired():
            raise EnvoyAuthenticationError(
                f"the token expired at {_utc(self.expire_timestamp)}; "
                "give a new token or Enlighten credentials"
            )
        self.check_jwt(client)

    def check_jwt(self, client: GatewayHTTP) -> None:
        """Have the gateway validate the token once, and keep the session cookie it returns.

        Later requests carry that cookie instead of the token, so the gateway does not
        verify the JWT signature on every request.
        """
        url = self.get_endpoint_url(URL_AUTH_CHECK_JWT)
        self._cookies = {}
        try:
            response = client.send(
                "GET", url, URL_AUTH_CHECK_JWT, headers={"Authorization": f"Bearer {self.token}"}
            )
        except EnvoyDataError as err:
            raise EnvoyAuthenticationError(f"token check failed: {err}") from err
        if response.status_code != 200:
            raise EnvoyAuthenticationError(
                f"the gateway refused the token at {URL_AUTH_CHECK_JWT} "
                f"(HTTP {response.status_code})"
            )
        self._cookies = response.cookies.get_dict()

    def revalidate(self, client: GatewayHTTP) -> bool:
        """Renew the gateway session; with Enlighten credentials, renew a refused token too."""
        try:
            self.check_jwt(client)
            return True
        except EnvoyAuthenticationError as err:
            if not self._has_cloud_credentials():
                raise EnvoyAuthenticationRequired(
                    f"token no longer accepted: {err.status}"
                ) from err
        try:
            self.refresh()
            self.check_jwt(client)
        except EnvoyAuthenticationError as err:
            raise EnvoyAuthenticationRequired(f"token renewal failed: {err.status}") from err
        return True

    def refresh(self) -> None:
        """Get a new token from Enlighten with the stored credentials."""
        self._token = self._obtain_token()

    def _has_cloud_credentials(self) -> bool:
        return bool(self.cloud_username and self.cloud_password)

    def _has_expired(self) -> bool:
        return self.expire_timestamp <= time.time()

    def _claims(self) -> dict[str, Any]:
        token = self._token
        if not token:
            raise EnvoyAuthenticationRequired("no token: authenticate() first")
        # The exporter reads the expiry at every refresh; decoding the JWT each time cost
        # more CPU than the request that refresh made (bench/bench_cpu.py).
        decoded = self._decoded
        if decoded is None or decoded[0] != token:
            decoded = self._decoded = (token, token_claims(token))
        return dict(decoded[1])

    @property
    def expire_timestamp(self) -> int:
        """Expiry of the token (epoch seconds), from its `exp` claim."""
        exp = self._claims().get("exp")
        if not isinstance(exp, int | float):
            raise EnvoyAuthenticationError("the token has no expiry (exp) claim")
        return int(exp)

    @property
    def token_type(self) -> str:
        """The Enlighten account type of the token: "owner" or "installer"."""
        user = self._claims().get("enphaseUser")
        if not isinstance(user, str):
            raise EnvoyAuthenticationError("the token has no enphaseUser claim")
        return user

    @property
    def token(self) -> str:
        """The token in use (given, obtained or refreshed)."""
        if not self._token:
            raise EnvoyAuthenticationRequired("no token: authenticate() first")
        return self._token

    @property
    def manager_token(self) -> str:
        """The manager_token of the last Enlighten login; empty if none was made."""
        return self._manager_token or ""

    @property
    def is_consumer(self) -> bool:
        """is_consumer of the last Enlighten login; False if none was made."""
        return self._is_consumer

    @property
    def cookies(self) -> dict[str, str]:
        return dict(self._cookies)

    @property
    def auth(self) -> None:
        return None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request_kwargs(self) -> dict[str, Any]:
        # The session cookie stands in for the token; without one, send the token itself.
        if self._cookies:
            return {"cookies": self._cookies}
        return {"headers": self.headers}

    def get_endpoint_url(self, endpoint: str) -> str:
        return f"https://{self.host}{endpoint}"

    def _obtain_token(self) -> str:
        if not self._has_cloud_credentials():
            raise EnvoyAuthenticationError(
                "firmware 7 and newer needs a token, or Enlighten username and password to get one"
            )
        if not self.envoy_serial:
            raise EnvoyAuthenticationError("cannot get a token: the gateway's serial is unknown")
        with requests.Session() as cloud:
            cloud.mount("https://", requests.adapters.HTTPAdapter(max_retries=retry_policy()))
            cloud.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry_policy()))
            session = self._login(cloud)
            body = _cloud_post(
                cloud,
                self.token_url,
                f"a token for gateway {self.envoy_serial} (the account has no access to it)",
                json={
                    "session_id": session,
                    "serial_num": self.envoy_serial,
                    "username": self.cloud_username,
                },
            )
        token = body.decode("utf-8", errors="replace").strip()
        if not token:
            raise EnlightenUnexpectedAnswer(
                f"the Enlighten token service {self.token_url} sent no token"
            )
        return token

    def _login(self, cloud: requests.Session) -> str:
        body = _cloud_post(
            cloud,
            self.login_url,
            "the username or password",
            data={"user[email]": self.cloud_username, "user[password]": self.cloud_password},
        )
        try:
            answer = json_loads(self.login_url, body)
        except EnvoyDataError as err:
            raise EnlightenUnexpectedAnswer(f"Enlighten login answer unreadable: {err}") from err
        if not isinstance(answer, dict) or not answer.get("session_id"):
            raise EnlightenUnexpectedAnswer(
                "Enlighten login gave no session_id: its login flow may have changed, "
                "or multi-factor authentication is enabled on the account"
            )
        self._is_consumer = bool(answer.get("is_consumer", False))
        manager_token = answer.get("manager_token")
        self._manager_token = manager_token if isinstance(manager_token, str) else None
        return str(answer["session_id"])


def _cloud_post(cloud: requests.Session, url: str, refused: str, **kwargs: Any) -> bytes:
    """POST to Enlighten; a failure is an EnlightenError that says which kind, naming the URL
    only (never the credentials). `refused` names what a 401 or 403 refuses."""
    try:
        response = cloud.post(url, timeout=CLOUD_TIMEOUT, stream=True, **kwargs)
        body = read_limited(response, url)
    except requests.RequestException as err:
        raise EnlightenUnreachable(
            f"cannot reach Enlighten at {url}: {type(err).__name__}"
        ) from err
    except EnvoyError as err:
        raise EnlightenUnexpectedAnswer(f"Enlighten at {url}: {err}") from err
    if response.status_code in (401, 403):
        raise EnlightenCredentialsRefused(
            f"Enlighten refused {refused} (HTTP {response.status_code} from {url})"
        )
    if response.status_code != 200:
        raise EnlightenUnexpectedAnswer(f"Enlighten at {url} answered HTTP {response.status_code}")
    return body


class EnvoyLegacyAuth(EnvoyAuth):
    """HTTP digest authentication of firmware < 7 (local users "envoy" and "installer")."""

    def __init__(self, host: str, username: str, password: str) -> None:
        super().__init__(host)
        self.local_username = username
        self.local_password = password
        # One handler for the Envoy's life: it keeps the nonce between requests.
        self._digest = HTTPDigestAuth(username, password) if username and password else None

    def setup(self, client: GatewayHTTP) -> None:
        """Nothing to prepare: the digest challenge comes with the first protected request."""

    @property
    def auth(self) -> HTTPDigestAuth | None:
        return self._digest

    @property
    def headers(self) -> dict[str, str]:
        return {}

    @property
    def cookies(self) -> dict[str, str]:
        return {}

    def request_kwargs(self) -> dict[str, Any]:
        # Firmware 3.18 closes the connection after sending a digest challenge, while its
        # answer still suggests keep-alive: a reused connection then fails. "Connection:
        # close" makes every request, and the digest retry after a challenge, use a fresh one.
        kwargs: dict[str, Any] = {"headers": {"Connection": "close"}}
        if self._digest is not None:
            kwargs["auth"] = self._digest
        return kwargs

    def get_endpoint_url(self, endpoint: str) -> str:
        return f"http://{self.host}{endpoint}"


#: Token authentication (HTTPS, JWT) starts with this firmware.
AUTH_TOKEN_MIN_VERSION = Version("7.0.0")


def choose_auth(
    version: Version,
    host: str,
    serial: str | None,
    username: str | None,
    password: str | None,
    token: str | None,
    *,
    login_url: str = ENLIGHTEN_LOGIN_URL,
    token_url: str = ENLIGHTEN_TOKEN_URL,
) -> EnvoyAuth:
    """The authentication a firmware needs, from what the caller gave.

    Firmware < 7: digest as a local user, "installer" by default; a missing password is
    the factory one. Firmware >= 7: the token, or Enlighten credentials to obtain one.
    """
    if version < AUTH_TOKEN_MIN_VERSION:
        username = username or "installer"
        if not password and username in ("envoy", "installer"):
            if not serial:
                raise EnvoyAuthenticationRequired("no serial in /info for the default password")
            password = default_local_password(serial, username)
        if not password:
            raise EnvoyAuthenticationRequired(f"no password for local user {username!r}")
        return EnvoyLegacyAuth(host, username, password)
    if not token and not (username and password):
        raise EnvoyAuthenticationRequired(
            "firmware 7 and newer needs a token, or Enlighten username and password"
        )
    return EnvoyTokenAuth(
        host,
        cloud_username=username,
        cloud_password=password,
        envoy_serial=serial,
        token=token,
        login_url=login_url,
        token_url=token_url,
    )


def default_local_password(serial: str, username: str) -> str:
    """The factory password of a legacy gateway's local user.

    "envoy": the last six digits of the serial. "installer" (and other users): eight
    characters derived from an MD5 of the user and serial, Enphase's published scheme.
    """
    if username == "envoy":
        return serial[-6:]
    seed = f"[e]{username}@enphaseenergy.com#{serial} EnPhAsE eNeRgY "
    digest = hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()
    zeros, ones = digest.count("0"), digest.count("1")
    chars: list[str] = []
    for char in digest[::-1][:8]:
        zeros = min(max(zeros - 1 if zeros in (3, 6, 9) else zeros, 0), 20)
        ones = min(max(ones - 1 if ones in (9, 15) else ones, 0), 26)
        if char == "0":
            chars.append(chr(ord("f") + zeros))
            zeros -= 1
        elif char == "1":
            chars.append(chr(ord("@") + ones))
            ones -= 1
        else:
            chars.append(char)
    return "".join(chars)


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))
