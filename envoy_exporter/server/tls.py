"""TLS in front of waitress, which serves plain HTTP only.

One thread runs an asyncio loop: it accepts on the public socket, does the TLS handshake
(with a deadline, and the client certificate check the context asks for), then relays the
connection's bytes both ways to waitress's private Unix socket. A slow client costs a
coroutine and a connection here, and waitress still reads its request whole before a
worker takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from typing import Any

_LOGGER = logging.getLogger(__name__)
HANDSHAKE_TIMEOUT = 10.0  # a handshake is a few round trips: a silent peer is let go
_CHUNK = 64 * 1024


class TlsFront:
    """Terminates TLS on `public` (a bound socket) and relays to the Unix socket `backend`."""

    def __init__(self, public: socket.socket, context: ssl.SSLContext, backend: str) -> None:
        self._public = public
        self._context = context
        self._backend = backend
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_quiet)
        self._thread = threading.Thread(target=self._run, name="tls-front", daemon=True)
        self._ready = threading.Event()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        if not self._loop.is_closed():
            self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(
                self._relay,
                sock=self._public,
                ssl=self._context,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            )
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(asyncio.sleep(0))

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(self._backend)
        except OSError as exc:
            _LOGGER.error("TLS front: the HTTP server does not answer: %s", exc)
            writer.close()
            return
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                w.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(_CHUNK):
            sink.write(data)
            await sink.drain()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError) as exc:
        _LOGGER.debug("TLS front: connection ended: %s", exc)
    finally:
        # Either side done: the whole connection is (HTTP never half-closes here).
        sink.close()


def _quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Failed handshakes (plain HTTP on this port, a scanner, a refused client certificate)
    # are routine: one debug line, not asyncio's error with a traceback.
    _LOGGER.debug("TLS front: %s", context.get("exception") or context.get("message"))
