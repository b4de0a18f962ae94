"""The HTTP(S) server: waitress, plus a TLS front when --web.config.file asks for TLS.

waitress reads each request whole in its own event loop before one of its `threads` sees
it, so a client that sends a byte now and then costs a connection, not a worker. It speaks
plain HTTP only (its documentation sends TLS to a reverse proxy): with TLS, an in-process
front (server/tls.py) accepts on the public socket and relays each connection's bytes to
waitress over a Unix socket in a private directory.
"""

from __future__ import annotations

import contextlib
import logging
import resource
import shutil
import socket
import ssl
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from ..collector.conditions import Condition

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from .tls import TlsFront

_LOGGER = logging.getLogger(__name__)
#: open connections at once; slow clients each hold one, waiting ones queue in the backlog
CONNECTION_LIMIT = 1000
#: a connection that sends nothing for this long is closed (a request being answered is kept)
IDLE_TIMEOUT = 60
#: request headers beyond this are refused (a scrape sends a few hundred bytes)
MAX_HEADER_BYTES = 64 * 1024


class _Busy(logging.Filter):
    """Turns waitress's "Task queue depth is N" (one line per queued request) into a
    condition: logged when requests start waiting for a worker, and when they stop."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._servers: list[HttpServer] = []

    def attach(self, server: HttpServer) -> None:
        with self._lock:
            self._servers.append(server)

    def detach(self, server: HttpServer) -> None:
        with self._lock:
            if server in self._servers:
                self._servers.remove(server)

    def filter(self, record: logging.LogRecord) -> bool:
        # The record comes from the queuing thread, not from a server: a process runs one
        # exporter server (tests may run several: each counts, none is missed).
        with self._lock:
            servers = list(self._servers)
        for server in servers:
            server.busy.occurred()
        return False


_BUSY = _Busy()
logging.getLogger("waitress.queue").addFilter(_BUSY)


class ListenError(OSError):
    """The listen address cannot be used; the message is the cause in words (the caller
    names the address)."""


def parse_listen_address(address: str) -> tuple[str, int]:
    """Split `HOST:PORT`, `:PORT` or `[IPv6]:PORT`; an empty host means every interface."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"listen address {address!r}: expected HOST:PORT or :PORT")
    host = host.strip("[]")
    return host, int(port)


def listen_socket(address: str) -> socket.socket:
    """A bound socket for `address`; ListenError says why it cannot be had."""
    host, port = parse_listen_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        cause = getattr(exc, "strerror", None) or str(exc)
        raise ListenError(cause) from None
    return sock


def _raise_open_files_limit(wanted: int) -> None:
    # Each connection is a file descriptor (three with TLS): Debian's default soft limit of
    # 1,024 would stop accepting long before CONNECTION_LIMIT. Go servers do the same.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _wait_idle(server: BaseWSGIServer, limit: float = 5.0) -> None:
    # waitress counts a new worker busy until it first waits for work: a request in that
    # instant would read as "all workers busy". Started threads get there within microseconds.
    dispatcher = server.task_dispatcher
    deadline = time.monotonic() + limit
    while dispatcher.active_count > 0 and time.monotonic() < deadline:
        time.sleep(0.001)


class HttpServer:
    """`app` served by waitress on `address` with `threads` workers, over TLS when given."""

    def __init__(
        self,
        address: str,
        app: WSGIApplication,
        *,
        threads: int = 8,
        ssl_context: ssl.SSLContext | None = None,
        ident: str = "envoy-exporter",
    ) -> None:
        self.public = listen_socket(address)
        self._map: dict[int, Any] = {}
        self._stop = threading.Event()
        self._private_dir: Path | None = None
        self.tls: TlsFront | None = None
        self._server: BaseWSGIServer | None = None
        self.busy = Condition(
            _LOGGER,
            f"all {threads} HTTP worker threads busy: requests wait for one (see "
            "enphase_exporter_http_requests_queued_total; --web.max-threads sets the number)",
            "HTTP worker threads free again",
            quiet=10.0,
        )
        _raise_open_files_limit(CONNECTION_LIMIT * 3 + 256)
        try:
            backend = self.public if ssl_context is None else self._private_socket()
            server = create_server(
                app,
                map=self._map,
                sockets=[backend],
                threads=max(1, threads),
                connection_limit=CONNECTION_LIMIT,
                channel_timeout=IDLE_TIMEOUT,
                max_request_header_size=MAX_HEADER_BYTES,
                max_request_body_size=MAX_HEADER_BYTES,
                asyncore_use_poll=True,  # select() fails beyond 1,024 descriptors
                ident=ident,
                url_scheme="https" if ssl_context is not None else "http",
            )
            assert isinstance(server, BaseWSGIServer)  # one socket: one server, no multiplexer
            self._server = server
            _wait_idle(server)
            if ssl_context is not None:
                # asyncio only when serving TLS: a plain exporter need not carry it in memory
                from .tls import TlsFront

                self.public.listen(CONNECTION_LIMIT)
                self.tls = TlsFront(self.public, ssl_context, str(backend.getsockname()))
        except BaseException:
            self.close()
            raise
        self._thread: threading.Thread | None = None

    def _private_socket(self) -> socket.socket:
        # A directory only this user can enter: local users cannot skip TLS (nor its client
        # certificate check) by connecting to waitress directly.
        try:
            self._private_dir = Path(tempfile.mkdtemp(prefix="envoy-exporter-"))
        except OSError as exc:
            raise ListenError(
                f"TLS needs a writable temporary directory (set TMPDIR): {exc.strerror or exc}"
            ) from None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self._private_dir / "http.sock"))
        return sock

    @property
    def host(self) -> str:
        return str(self.public.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self.public.getsockname()[1])

    def serve_forever(self) -> None:
        if self.tls is not None:
            self.tls.start()
        _BUSY.attach(self)
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=1.0, map=self._map, use_poll=True, count=1)
                self.busy.tick()
        finally:
            _BUSY.detach(self)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="http-loop", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        """Stop serving (from any thread) and release the sockets."""
        self._stop.set()
        if self.tls is not None:
            self.tls.stop()
        if self._server is not None:
            self._server.pull_trigger()  # wakes the loop out of poll()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
            self._thread = None
        self.close()

    def close(self) -> None:
        if self._server is not None:
            self._server.task_dispatcher.shutdown()
        wasyncore.close_all(self._map)
        self.public.close()
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
