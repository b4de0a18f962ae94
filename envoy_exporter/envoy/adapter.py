"""The requests adapter of one gateway: its TLS context, its retry budget, its connections.

Every exchange with a gateway goes through it; the rest of a caller's session is untouched.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

from .retry import RETRY_OVERRIDE, DeadlineRetry
from .ssl import NO_VERIFY_SSL_CONTEXT, SSL_CONTEXT


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
        self._pools: dict[tuple[str, Any, Any], ConnectionPool] = {}
        super().__init__(max_retries=retry)

    # requests reads max_retries once per send(): hand out a fresh elapsed-time budget each time.
    @property  # type: ignore[override]
    def max_retries(self) -> Retry:
        policy = RETRY_OVERRIDE.get() or self._retry
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

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: tuple[str, str] | str | None = None,
    ) -> ConnectionPool:
        # The adapter serves one host, so one pool per scheme: kept here, it spares parsing
        # the URL and building urllib3's pool key at every request.
        if proxies:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        scheme = "https" if (request.url or "").startswith("https:") else "http"
        key = (scheme, verify, cert)
        pool = self._pools.get(key)
        if pool is None:
            pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
            self._pools[key] = pool
        return pool

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        # requests runs every answer through http.cookiejar, which cost as much CPU as the
        # rest of the response; only the session check (/auth/check_jwt) sets a cookie.
        if "set-cookie" in resp.headers:
            return super().build_response(req, resp)
        response = requests.Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        response.url = req.url or ""
        response.request = req
        response.connection = self  # type: ignore[attr-defined]  # read by the digest hook
        return response

    def close(self) -> None:
        # As the PoolManager forgets its pools: the next request builds a new one.
        self._pools.clear()
        super().close()

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
