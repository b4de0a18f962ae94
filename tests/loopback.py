"""Small hostile servers for the tests: threaded TCP on 127.0.0.1, one call per connection."""

from __future__ import annotations

import socket
import socketserver
import threading


def read_head(sock: socket.socket) -> bytes:
    """What the peer sent up to the end of its request head (less if it closed first)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class LoopbackServer:
    """Calls `self.handle(sock)` in a thread of its own for every connection."""

    def __init__(self) -> None:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.handle(self.request)

        self.stopped = threading.Event()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def handle(self, sock: socket.socket) -> None:
        raise NotImplementedError

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()
