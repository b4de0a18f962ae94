"""HTTP plumbing of the client: sessions, retries, bounded reads, request records."""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from requests.auth import AuthBase
from requests.cookies import RequestsCookieJar
from requests.hooks import default_hooks, dispatch_hook
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ProtocolError, ReadTimeoutError, SSLError

from .const import MAX_RESPONSE_BYTES
from .exceptions import EnvoyCommunicationError, EnvoyDataError
from .retry import NO_RETRY, retries

_LOGGER = logging.getLogger(__name__)

#: (connect, read) seconds: gateways accept quickly but some endpoints take long to answer.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 45.0)
Timeout = float | tuple[float, float]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP exchange with the gateway, as seen by request listeners."""

    endpoint: str
    method: str
    status_code: int | None
    seconds: float
    size_bytes: int
    error: str | None


RequestListener = Callable[[RequestRecord], None]


class ResponseStore(Protocol):
    """Answers kept by a caller for reuse by Envoy.request() (GETs only)."""

    def get(self, endpoint: str) -> requests.Response | None:
        """A stored answer still fresh enough to use instead of asking the gateway."""

    def put(self, endpoint: str, response: requests.Response) -> None:
        """Keep a fresh 2xx answer."""


def read_limited(
    response: requests.Response, endpoint: str, limit: int = MAX_RESPONSE_BYTES
) -> bytes:
    """Read a streamed body, refusing more than `limit` bytes (after decompression)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise EnvoyDataError(endpoint, f"answer of {declared} bytes exceeds the {limit} byte limit")
    if declared.isdigit() and "Content-Encoding" not in response.headers:
        body = _read_declared(response)
    else:
        body = _read_chunks(response, endpoint, limit)
    # Later readers (.content, .json(), .text) see the body we already read.
    response._content = body
    return body


def _read_declared(response: requests.Response) -> bytes:
    # A plain body of a declared length within the limit, read at once: the chunk loop of
    # iter_content cost as much CPU as the rest of a small gateway answer. urllib3's errors
    # become requests' ones, as iter_content would raise them.
    try:
        body: bytes = response.raw.read(decode_content=True)
    except ProtocolError as err:
        raise requests.exceptions.ChunkedEncodingError(err) from err
    except ReadTimeoutError as err:
        raise requests.exceptions.ConnectionError(err) from err
    except SSLError as err:
        raise requests.exceptions.SSLError(err) from err
    return body


def _read_chunks(response: requests.Response, endpoint: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            response.close()
            raise EnvoyDataError(endpoint, f"answer exceeds the {limit} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


class GatewayHTTP:
    """Sends requests to one gateway: timeouts, TLS, bounded reads, error mapping, records."""

    def __init__(
        self,
        session: requests.Session,
        timeout: Timeout = DEFAULT_TIMEOUT,
        verify_ssl: bool = False,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.verify_ssl = verify_ssl
        self.listeners: list[RequestListener] = []

    def send(
        self,
        method: str,
        url: str,
        endpoint: str,
        *,
        retry: bool = True,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        auth: AuthBase | None = None,
        json: Any = None,
    ) -> requests.Response:
        """One exchange with the gateway; network errors become EnvoyCommunicationError.

        `retry=False` sends a single attempt (probes). `cookies` go out as a Cookie header.
        """
        started = time.monotonic()
        response: requests.Response | None = None
        try:
            prepared = self._prepare(method, url, headers, cookies, auth, json)
            if retry:
                response = self._exchange(prepared)
            else:
                with retries(NO_RETRY):
                    response = self._exchange(prepared)
            read_limited(response, endpoint)
        except requests.RequestException as err:
            self._record(endpoint, method, response, started, _describe(err))
            raise EnvoyCommunicationError(f"{method} {endpoint}: {_describe(err)}") from err
        except EnvoyDataError as err:
            self._record(endpoint, method, response, started, str(err))
            raise
        self._record(endpoint, method, response, started, None)
        return response

    def _exchange(self, prepared: requests.PreparedRequest) -> requests.Response:
        # The adapter directly, as Session.send would, less what a gateway never needs:
        # redirects (not followed), the session's cookie jar (the auth keeps its cookie) and
        # proxies from the environment. The response hooks run: the digest handler is one.
        options: dict[str, Any] = {
            "stream": True,
            "timeout": self.timeout,
            "verify": self.verify_ssl,
            "cert": None,
            "proxies": self.session.proxies,
        }
        adapter = self.session.get_adapter(prepared.url or "")
        response = adapter.send(prepared, **options)
        hooked: requests.Response = dispatch_hook(  # type: ignore[no-untyped-call]
            "response", prepared.hooks, response, **options
        )
        return hooked

    def _prepare(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None,
        cookies: dict[str, str] | None,
        auth: AuthBase | None,
        json: Any,
    ) -> requests.PreparedRequest:
        # Built directly rather than by Session.prepare_request: the URL is ours and already
        # well formed, and merging the session's cookie jar and environment on every request
        # cost more CPU than the rest of a poll (bench/bench_cpu.py).
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = url
        merged = CaseInsensitiveDict(self.session.headers)
        merged.update(headers or {})
        if cookies:
            merged["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        prepared.headers = merged  # type: ignore[assignment]  # session headers may be bytes
        prepared.hooks = default_hooks()
        prepared.body = None
        if json is not None:
            prepared.prepare_body(None, None, json)
        if auth is not None:
            # The digest handler copies this jar when it answers a challenge.
            prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]
            prepared.prepare_auth(auth)
        return prepared

    def _record(
        self,
        endpoint: str,
        method: str,
        response: requests.Response | None,
        started: float,
        error: str | None,
    ) -> None:
        if not self.listeners:
            return
        body = response._content if response is not None else None
        record = RequestRecord(
            endpoint=endpoint,
            method=method,
            status_code=response.status_code if response is not None else None,
            seconds=time.monotonic() - started,
            size_bytes=len(body) if isinstance(body, bytes) else 0,
            error=error,
        )
        for listener in list(self.listeners):
            try:
                listener(record)
            except Exception:
                # An observer's bug must not break the exchange it observes.
                _LOGGER.exception("request listener %r failed", listener)


def _describe(err: requests.RequestException) -> str:
    """A short cause for an error message (requests' own texts nest several layers deep)."""
    if isinstance(err, requests.Timeout):
        return "timed out"
    if isinstance(err, requests.exceptions.SSLError):
        refused = certificate_refusal(err)
        return f"TLS certificate refused ({refused})" if refused else "TLS error"
    reason = err.args[0] if err.args else err
    text = str(getattr(reason, "reason", None) or reason)
    # urllib3 prefixes "<ConnectionClass(host=..., port=...)>: ": the host is known already.
    text = re.sub(r"^\S*Connection(?:Pool)?\(host=[^)]*\): ", "", text)
    return f"{type(err).__name__} ({text})"


def certificate_refusal(err: BaseException) -> str | None:
    """Why the gateway's certificate was refused ("self-signed certificate", "Hostname
    mismatch, ..."), when that is what `err` comes from; None for any other failure."""
    seen: set[int] = set()
    pending: list[object] = [err]
    # requests wraps urllib3's MaxRetryError, which keeps the ssl error as its reason.
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return str(cause.verify_message or cause.reason or cause)
        if isinstance(cause, BaseException):
            pending += [cause.__cause__, cause.__context__, getattr(cause, "reason", None)]
            pending += [arg for arg in cause.args if isinstance(arg, BaseException)]
    return None
