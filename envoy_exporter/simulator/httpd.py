"""A threaded HTTP(S) server that starts on a background thread and stops without hanging."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def parse_listen(listen: str) -> tuple[str, int]:
    """("host", port) from "HOST:PORT" ("[::1]:0" for IPv6); port 0 means any free port."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"listen address must be HOST:PORT, got {listen!r}")
    return host.strip("[]"), int(port)


class ThreadedServer(ThreadingHTTPServer):
    """One daemon thread per connection; TLS handshakes run on that thread, not the acceptor."""

    daemon_threads = True
    block_on_close = False
    # Benchmarks open many connections at once; the default backlog of 5 would refuse some.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        tls: ssl.SSLContext | None = None,
        owner: Any = None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.tls = tls
        #: the object the handlers serve (SimulatedEnvoy, FakeEnlighten)
        self.owner = owner
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        raw = request
        with self._open_lock:
            self._open.add(raw)
        try:
            if self.tls is not None:
                request = self._handshake(raw)
                if request is None:
                    return
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(raw)
                self._open.discard(request)

    def _handshake(self, raw: socket.socket) -> ssl.SSLSocket | None:
        assert self.tls is not None
        raw.settimeout(10.0)
        try:
            wrapped = self.tls.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            # Plain HTTP or a client that gave up: a real gateway drops these too.
            self.shutdown_request(raw)
            return None
        with self._open_lock:
            self._open.discard(raw)
            self._open.add(wrapped)
        return wrapped

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing its keep-alive connection is routine, not worth a traceback.
        pass

    def close_connections(self) -> None:
        """Cut every open connection, so that idle keep-alive handlers end at once."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class ServerThread:
    """Runs a ThreadedServer's loop on a daemon thread."""

    def __init__(self, server: ThreadedServer, name: str) -> None:
        self.server = server
        # A short poll interval keeps stop() quick: shutdown() waits for the loop to notice.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=name, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()
        self._thread.join(timeout=5.0)


def host_port(host: str, port: int) -> str:
    """ "host:port", with brackets around an IPv6 host."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
