"""HTTP plumbing of the client: sessions, retries, bounded reads, request records."""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.cookies import RequestsCookieJar
from requests.hooks import default_hooks, dispatch_hook
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

from .const import MAX_REQUEST_ATTEMPTS, MAX_REQUEST_DELAY, MAX_RESPONSE_BYTES
from .exceptions import EnvoyCommunicationError, EnvoyDataError
from .ssl import NO_VERIFY_SSL_CONTEXT, SSL_CONTEXT

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


class DeadlineRetry(Retry):
    """urllib3 Retry that also gives up once `max_elapsed` seconds would pass at the next try."""

    def __init__(
        self, *args: Any, max_elapsed: float | None = None, started: float | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.max_elapsed = max_elapsed
        self.started = started

    def new(self, **kw: Any) -> DeadlineRetry:
        kw.setdefault("max_elapsed", self.max_elapsed)
        kw.setdefault("started", self.started)
        new: DeadlineRetry = super().new(**kw)
        return new

    def starting_now(self) -> DeadlineRetry:
        """A copy whose elapsed-time budget starts now (one per request)."""
        return self.new(started=time.monotonic())

    def is_exhausted(self) -> bool:
        if super().is_exhausted():
            return True
        if self.max_elapsed is None or self.started is None:
            return False
        next_try_at = time.monotonic() + self.get_backoff_time()
        return next_try_at - self.started >= self.max_elapsed


def retry_policy(
    attempts: int = MAX_REQUEST_ATTEMPTS,
    max_elapsed: float = MAX_REQUEST_DELAY,
    backoff_factor: float = 0.5,
) -> DeadlineRetry:
    """Retry connect and read failures, never on an HTTP status.

    Read failures are retried only for idempotent methods (urllib3's default list), so a
    write the gateway may already have applied is not sent twice. TLS and other errors are
    not retried: they do not heal by themselves (and /info falls back to HTTP on them).
    """
    return DeadlineRetry(
        total=max(attempts - 1, 0),
        other=0,
        status=0,
        backoff_factor=backoff_factor,
        backoff_max=5.0,
        respect_retry_after_header=False,
        raise_on_status=False,
        max_elapsed=max_elapsed,
    )


NO_RETRY = Retry(0, read=False)
_RETRY_OVERRIDE: ContextVar[Retry | None] = ContextVar("envoy_retry_override", default=None)


@contextmanager
def retries(policy: Retry) -> Iterator[None]:
    """Use `policy` instead of the adapter's own for the requests made inside the block."""
    token = _RETRY_OVERRIDE.set(policy)
    try:
        yield
    finally:
        _RETRY_OVERRIDE.reset(token)


class _CloseOnRequest(HTTPConnection):
    """A request sent with "Connection: close" never leaves its connection for reuse.

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

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        response = super().getresponse()
        if self._close_after_response:
            _detach_socket(self)
        return response


class _ClosingHTTPConnection(_CloseOnRequest):
    pass


class _ClosingHTTPSConnection(_CloseOnRequest, HTTPSConnection):
    pass


def _detach_socket(connection: HTTPConnection) -> None:
    # The response reads on through its own file object, which keeps the socket open
    # until the body is read; the pool sees no socket and connects afresh next time.
    sock = connection.sock
    connection.sock = None  # type: ignore[assignment]
    if sock is not None:
        sock.close()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _ClosingHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _ClosingHTTPSConnection


class EnvoyAdapter(HTTPAdapter):
    """requests adapter for one gateway: its own TLS context and a per-request retry budget."""

    def __init__(self, ssl_context: ssl.SSLContext, retry: Retry) -> None:
        self._ssl_context = ssl_context
        self._retry = retry
        super().__init__(max_retries=retry)

    # requests reads max_retries once per send(): hand out a fresh elapsed-time budget each time.
    @property  # type: ignore[override]
    def max_retries(self) -> Retry:
        policy = _RETRY_OVERRIDE.get() or self._retry
        if isinstance(policy, DeadlineRetry) and policy.started is None:
            return policy.starting_now()
        return policy

    @max_retries.setter
    def max_retries(self, value: Retry) -> None:
        self._retry = value

    def request_url(self, request: requests.PreparedRequest, proxies: Any) -> str:
        # Without a proxy the request line carries the path only; requests parses the URL
        # twice per request to find that out.
        if not proxies:
            return request.path_url
        url: str = super().request_url(request, proxies)
        return url

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[Any, Any]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params.get("scheme") == "https":
            pool_kwargs["ssl_context"] = self._ssl_context
        return host_params, pool_kwargs


def mount_gateway_adapter(
    session: requests.Session, host: str, verify_ssl: bool, retry: Retry
) -> EnvoyAdapter:
    """Route this gateway's URLs (both schemes) through an EnvoyAdapter; other URLs untouched."""
    # One shared context per kind: a context of its own per gateway costs ~0.8 MB, which a
    # fleet of a thousand gateways feels.
    context = SSL_CONTEXT if verify_ssl else NO_VERIFY_SSL_CONTEXT
    adapter = EnvoyAdapter(context, retry)
    for scheme in ("https", "http"):
        session.mount(f"{scheme}://{host}/", adapter)
    return adapter


def read_limited(
    response: requests.Response, endpoint: str, limit: int = MAX_RESPONSE_BYTES
) -> bytes:
    """Read a streamed body, refusing more than `limit` bytes (after decompression)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise EnvoyDataError(endpoint, f"answer of {declared} bytes exceeds the {limit} byte limit")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            response.close()
            raise EnvoyDataError(endpoint, f"answer exceeds the {limit} byte limit")
        chunks.append(chunk)
    body = b"".join(chunks)
    # Later readers (.content, .json(), .text) see the body we already read.
    response._content = body
    return body


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
        return "TLS error"
    reason = err.args[0] if err.args else err
    text = str(getattr(reason, "reason", None) or reason)
    # urllib3 prefixes "<ConnectionClass(host=..., port=...)>: ": the host is known already.
    text = re.sub(r"^\S*Connection(?:Pool)?\(host=[^)]*\): ", "", text)
    return f"{type(err).__name__} ({text})"


class UpdateCycle:
    """State shared by the updaters during one probe() or update().

    Several updaters read the same endpoint (production.json): the gateway answers it once
    per cycle. Outside a cycle (an updater run on its own) nothing is shared.
    """

    def __init__(self) -> None:
        self._answers: dict[str, requests.Response] | None = None
        self._revalidated = False

    @contextmanager
    def running(self) -> Iterator[None]:
        """Start a cycle for the duration of the block."""
        self._answers = {}
        self._revalidated = False
        try:
            yield
        finally:
            self._answers = None

    def fetch(self, endpoint: str, get: Callable[[str], requests.Response]) -> requests.Response:
        """`get(endpoint)`, or the 200 answer it gave earlier in this cycle."""
        answers = self._answers
        if answers is None:
            return get(endpoint)
        if (kept := answers.get(endpoint)) is not None:
            return kept
        response = get(endpoint)
        if response.status_code == 200:
            answers[endpoint] = response
        return response

    def may_revalidate(self) -> bool:
        """Whether a 401 may renew the gateway session now.

        Within a cycle only once: a 401 after a renewal means the account may not read
        that endpoint (an owner token on an installer page), not an expired session.
        """
        if self._answers is None:
            return True
        if self._revalidated:
            return False
        self._revalidated = True
        return True
