"""A small HTTP(S) server with a fixed pool of worker threads.

`ThreadingHTTPServer` starts one thread per connection without limit; a scraper stuck in
a loop or a port scanner could then pile up threads. Here the accepting thread only queues
connections; a fixed number of workers do the TLS handshake and answer. When the queue is
full, new connections are closed at once.
"""

from __future__ import annotations

import http.server
import logging
import queue
import socket
import socketserver
import ssl
import threading
from typing import Any

_LOGGER = logging.getLogger(__name__)
SOCKET_TIMEOUT = 30.0  # a client that sends nothing for this long loses its worker
HANDSHAKE_TIMEOUT = 10.0  # a TLS handshake is a few round trips: a silent peer is let go sooner


def parse_listen_address(address: str) -> tuple[str, int]:
    """Split `HOST:PORT`, `:PORT` or `[IPv6]:PORT`; an empty host means every interface."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"listen address {address!r}: expected HOST:PORT or :PORT")
    host = host.strip("[]")
    return host, int(port)


class PoolHTTPServer(http.server.HTTPServer):
    """HTTPServer answering on `workers` threads, optionally over TLS."""

    allow_reuse_address = True
    # The listen backlog (socketserver's default is 5): with many scrapers at once the kernel
    # would drop SYNs and clients would wait a second to retry.
    request_queue_size = 128

    def __init__(
        self,
        address: str,
        handler: type[http.server.BaseHTTPRequestHandler],
        *,
        workers: int = 8,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int | None = None,
    ) -> None:
        host, port = parse_listen_address(address)
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.ssl_context = ssl_context
        self._queue: queue.Queue[tuple[socket.socket, Any] | None] = queue.Queue(
            maxsize=backlog or workers * 8
        )
        super().__init__((host, port), handler)
        self._workers = [
            threading.Thread(target=self._work, name=f"http-worker-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        for worker in self._workers:
            worker.start()

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can hang on a broken DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            self._queue.put_nowait((request, client_address))
        except queue.Full:
            _LOGGER.warning(
                "all HTTP workers busy: closing a connection from %s", client_address[0]
            )
            self.shutdown_request(request)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            request, client_address = item
            try:
                if self.ssl_context is not None:
                    request.settimeout(HANDSHAKE_TIMEOUT)
                    request = self.ssl_context.wrap_socket(request, server_side=True)
                request.settimeout(SOCKET_TIMEOUT)
                self.finish_request(request, client_address)
            except (ssl.SSLError, OSError) as exc:
                # Plain HTTP on the TLS port, a client gone mid-answer: routine, one line.
                _LOGGER.debug("connection from %s: %s", client_address[0], exc)
            except Exception as exc:
                _LOGGER.error("request from %s failed: %s", client_address[0], exc)
                _LOGGER.debug("request failure", exc_info=True)
            finally:
                self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            if worker is not threading.current_thread():
                worker.join(timeout=SOCKET_TIMEOUT)
