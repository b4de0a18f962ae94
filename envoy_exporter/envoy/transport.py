"""The transport of one gateway: requests' types and auth on its public APIs, urllib3's pools.

Everything that knows how requests and urllib3 work sits here: the adapter (TLS context,
retry budget, connections), the bounded read of an answer, the per-exchange deadline and
the mapping of their errors to EnvoyCommunicationError / EnvoyDataError.
Needs requests >= 2.30, the first on urllib3 2 (whose pools and Retry the adapter uses).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.auth import AuthBase
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.hooks import default_hooks
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse, HTTPResponse
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from . import deadline
from .const import MAX_RESPONSE_BYTES
from .exceptions import EnvoyAnswerTooLarge, EnvoyCommunicationError, EnvoyDataError
from .http import DEFAULT_TIMEOUT, RequestListener, RequestRecord, Timeout
from .retry import NO_RETRY, RETRY_OVERRIDE, DeadlineRetry, retries
from .ssl import NO_VERIFY_SSL_CONTEXT, SSL_CONTEXT

_LOGGER = logging.getLogger(__name__)

#: connections kept per scheme and gateway (requests' own default): one exchange at a time
#: is the rule, but a probe, a push and a dump may overlap.
POOL_SIZE = 10


# -- connections ---------------------------------------------------------------------------


class _GatewayConnection(HTTPConnection):
    """Watched by the exchange's deadline; closed after a request sent "Connection: close".

    http.client only honours a "Connection: close" that the *server* sends. Legacy
    firmware (3.18) closes after a digest challenge without saying so: a pooled connection
    would be reused after the gateway dropped it, and the next request would fail.
    """

    _close_after_response = False

    def request(  # type: ignore[override]
        self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any
    ) -> None:
        value = headers.get("Connection", "") if headers is not None else ""
        self._close_after_response = str(value).lower() == "close"
        super().request(method, url, body=body, headers=headers, **kw)
        if self.sock is not None:
            deadline.watch(self.sock)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        response = super().getresponse()
        if self._close_after_response:
            # The response reads on through its own file object, which keeps the socket
            # open until the body is read; the pool sees no socket and connects afresh.
            sock, self.sock = self.sock, None  # type: ignore[assignment]
            if sock is not None:
                sock.close()
        return response


class _GatewayHTTPSConnection(_GatewayConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _GatewayConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GatewayHTTPSConnection


# -- the adapter ---------------------------------------------------------------------------

#: urllib3's failures as requests names them (the first match wins: a NewConnectionError is
#: also a ConnectTimeoutError).
_FAILURES: tuple[tuple[type[Exception], type[requests.RequestException]], ...] = (
    (NewConnectionError, requests.ConnectionError),
    (ConnectTimeoutError, requests.ConnectTimeout),
    (ReadTimeoutError, requests.ReadTimeout),
    (SSLError, requests.exceptions.SSLError),
    (ResponseError, requests.exceptions.RetryError),
)


class GatewayAdapter(BaseAdapter):
    """requests' transport interface (send, close) over urllib3 pools of one gateway.

    One pool per scheme, made on first use with the gateway TLS context. requests'
    HTTPAdapter finds the pool again from the URL, proxies and TLS settings at every send,
    which cost a tenth of a request's instructions (bench_instructions, kind request); a
    gateway is one host, reached directly, so its pools are simply kept.
    """

    def __init__(self, ssl_context: ssl.SSLContext, retry: Retry) -> None:
        super().__init__()
        self._ssl_context = ssl_context
        self._retry = retry
        self._pools: dict[str, HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    # A fresh elapsed-time budget for each send.
    @property
    def max_retries(self) -> Retry:
        policy = RETRY_OVERRIDE.get() or self._retry
        if isinstance(policy, DeadlineRetry) and policy.started is None:
            return policy.starting_now()
        return policy

    @max_retries.setter
    def max_retries(self, value: Retry) -> None:
        self._retry = value

    def time_budget(self) -> float | None:
        """Seconds left for the next exchange, all its tries included (None: no limit)."""
        override = RETRY_OVERRIDE.get()
        policy = override if isinstance(override, DeadlineRetry) else self._retry
        if not isinstance(policy, DeadlineRetry) or policy.max_elapsed is None:
            return None
        if policy.started is None:
            return policy.max_elapsed
        return policy.started + policy.max_elapsed - time.monotonic()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request (TLS verification is the context's, given at mount)."""
        url = request.url or ""
        pool = self._pools.get(url[:5]) or self._pool(url)
        try:
            raw = pool.urlopen(
                request.method or "GET",
                request.path_url,
                body=request.body,
                headers=request.headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self.max_retries,
                timeout=_urllib3_timeout(timeout),
                chunked=not (request.body is None or "Content-Length" in request.headers),
            )
        except (HTTPError, OSError) as err:
            raise _as_requests_error(err, request) from err
        return self.build_response(request, raw)

    def _pool(self, url: str) -> HTTPConnectionPool:
        parsed = parse_url(url)
        with self._lock:
            pool = self._pools.get(url[:5])
            if pool is None:
                if parsed.scheme == "https":
                    pool = _HTTPSPool(
                        parsed.host or "",
                        parsed.port,
                        maxsize=POOL_SIZE,
                        ssl_context=self._ssl_context,
                    )
                else:
                    pool = _HTTPPool(parsed.host or "", parsed.port, maxsize=POOL_SIZE)
                self._pools[url[:5]] = pool
        return pool

    def build_response(
        self, req: requests.PreparedRequest, resp: BaseHTTPResponse
    ) -> requests.Response:
        """A requests.Response of urllib3's answer (body still unread)."""
        response = requests.Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason or ""
        response.url = req.url or ""
        response.request = req
        # The digest handler resends through the answer's adapter (typed as requests' own).
        response.connection = self  # type: ignore[assignment]
        if "set-cookie" in resp.headers:
            # http.cookiejar costs as much CPU as the rest of an answer: only the session
            # check (/auth/check_jwt) sets a cookie.
            extract_cookies_to_jar(response.cookies, req, resp)  # type: ignore[no-untyped-call]
        return response

    def close(self) -> None:
        """Close the pools; the next send connects afresh."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def _urllib3_timeout(
    timeout: float | tuple[float, float] | tuple[float, None] | None,
) -> urllib3.Timeout:
    if isinstance(timeout, tuple):
        return urllib3.Timeout(connect=timeout[0], read=timeout[1])
    return urllib3.Timeout(connect=timeout, read=timeout)


def _as_requests_error(
    err: HTTPError | OSError, request: requests.PreparedRequest
) -> requests.RequestException:
    reason = err.reason if isinstance(err, MaxRetryError) else err
    for failure, error in _FAILURES:
        if isinstance(reason, failure):
            return error(err, request=request)
    return requests.ConnectionError(err, request=request)


def mount_gateway_adapter(
    session: requests.Session, host: str, verify_ssl: bool, retry: Retry
) -> GatewayAdapter:
    """Route this gateway's URLs (both schemes) through a GatewayAdapter; others untouched."""
    # One shared context per kind: a context of its own per gateway costs ~0.8 MB, which a
    # fleet of a thousand gateways feels.
    context = SSL_CONTEXT if verify_ssl else NO_VERIFY_SSL_CONTEXT
    adapter = GatewayAdapter(context, retry)
    for scheme in ("https", "http"):
        session.mount(f"{scheme}://{host}/", adapter)
    return adapter


# -- answers -------------------------------------------------------------------------------


def read_limited(
    response: requests.Response, endpoint: str, limit: int = MAX_RESPONSE_BYTES
) -> bytes:
    """Read a streamed body, refusing more than `limit` bytes (after decompression).

    Later readers (.content, .json(), .text) see the body read here.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise EnvoyAnswerTooLarge(
            endpoint, f"answer of {declared} bytes exceeds the {limit} byte limit"
        )
    raw = response.raw
    if isinstance(raw, HTTPResponse):
        # One read: the chunk loop of iter_content cost as much CPU as the rest of a small
        # answer. A declared length bounds a plain body; anything else stops past the limit.
        plain = declared.isdigit() and "Content-Encoding" not in response.headers
        body = _read_raw(raw, None if plain else limit + 1)
    else:
        body = _read_chunks(response, limit)
    if len(body) > limit:
        response.close()
        raise EnvoyAnswerTooLarge(endpoint, f"answer exceeds the {limit} byte limit")
    response.raw = io.BytesIO(body)
    return body


def _read_chunks(response: requests.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


def _read_raw(raw: HTTPResponse, amount: int | None) -> bytes:
    # urllib3's errors become requests' ones, as iter_content would raise them.
    try:
        return raw.read(amount, decode_content=True)
    except ProtocolError as err:
        raise requests.exceptions.ChunkedEncodingError(err) from err
    except DecodeError as err:
        raise requests.exceptions.ContentDecodingError(err) from err
    except ReadTimeoutError as err:
        raise requests.exceptions.ConnectionError(err) from err
    except SSLError as err:
        raise requests.exceptions.SSLError(err) from err


# -- exchanges -----------------------------------------------------------------------------


class GatewayHTTP:
    """Sends requests to one gateway: timeouts, deadlines, TLS, bounded reads, records."""

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
        The exchange, tries and body included, ends within the retry policy's time budget
        (and within an enclosing `deadline.within()` block, such as a refresh's).
        """
        started = time.monotonic()
        response: requests.Response | None = None
        body = b""
        adapter = self.session.get_adapter(url)
        with deadline.within(self._seconds_allowed(adapter)) as limit:
            try:
                if limit.remaining() <= 0:
                    # An enclosing deadline (the refresh's) passed: this one is not asked,
                    # which says nothing of the gateway.
                    raise EnvoyDataError(endpoint, "not asked: no time left in this refresh")
                prepared = self._prepare(method, url, headers, cookies, auth, json)
                with retries(NO_RETRY) if not retry else contextlib.nullcontext():
                    response = self._exchange(adapter, prepared)
                body = read_limited(response, endpoint)
            except requests.RequestException as err:
                failure = _failure(method, endpoint, response, limit, err)
                self._record(endpoint, method, response, started, 0, str(failure))
                raise failure from err
            except EnvoyDataError as err:
                self._record(endpoint, method, response, started, 0, str(err))
                raise
        self._record(endpoint, method, response, started, len(body), None)
        return response

    def _seconds_allowed(self, adapter: requests.adapters.BaseAdapter) -> float:
        # The retry policy's time budget, but never less than one try's read timeout: a
        # budget spent (by /info's HTTPS try, say) still leaves one try to the next request.
        read = self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout
        budget = adapter.time_budget() if isinstance(adapter, GatewayAdapter) else None
        return read if budget is None else max(budget, read)

    def _exchange(
        self, adapter: requests.adapters.BaseAdapter, prepared: requests.PreparedRequest
    ) -> requests.Response:
        # The adapter directly, as Session.send would, less what a gateway never needs:
        # redirects (not followed), the session's cookie jar (the auth keeps its cookie) and
        # proxies. The response hooks run: the digest handler is one.
        options: dict[str, Any] = {"stream": True, "timeout": self.timeout}
        response = adapter.send(prepared, **options)
        for hook in prepared.hooks.get("response", ()):
            response = hook(response, **options) or response
        return response

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
            # The digest handler copies the request's cookie jar when it answers a challenge.
            prepared.prepare_cookies(RequestsCookieJar())
            prepared.prepare_auth(auth)
        return prepared

    def _record(
        self,
        endpoint: str,
        method: str,
        response: requests.Response | None,
        started: float,
        size: int,
        error: str | None,
    ) -> None:
        if not self.listeners:
            return
        record = RequestRecord(
            endpoint=endpoint,
            method=method,
            status_code=response.status_code if response is not None else None,
            seconds=time.monotonic() - started,
            size_bytes=size,
            error=error,
        )
        for listener in list(self.listeners):
            try:
                listener(record)
            except Exception:
                # An observer's bug must not break the exchange it observes.
                _LOGGER.exception("request listener %r failed", listener)


def _failure(
    method: str,
    endpoint: str,
    response: requests.Response | None,
    limit: deadline.Deadline,
    err: requests.RequestException,
) -> EnvoyCommunicationError | EnvoyDataError:
    if limit.remaining() > 0:
        return EnvoyCommunicationError(f"{method} {endpoint}: {_describe(err)}")
    if response is not None:
        # The gateway answered but sends its body too slowly (a drip): that endpoint's
        # failure, not the gateway's, so the other endpoints are still read.
        return EnvoyDataError(
            endpoint, f"answer not complete within {limit.seconds:g} s (sent too slowly)"
        )
    return EnvoyCommunicationError(
        f"{method} {endpoint}: timed out (no answer within {limit.seconds:g} s)"
    )


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
