"""Deadlines for gateway exchanges, enforced on the socket.

A socket's read timeout restarts with every byte: a gateway dripping its answer a byte a
second holds a request as long as it likes. One watchdog thread per process shuts the
socket of an exchange whose deadline has passed; the blocked read then ends at once.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar


class Deadline:
    """When the exchanges made inside `within()` must end, and the sockets they use."""

    __slots__ = ("at", "seconds", "sockets")

    def __init__(self, at: float, seconds: float) -> None:
        self.at = at
        #: the time allowed, as given (for messages)
        self.seconds = seconds
        self.sockets: list[socket.socket] = []

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.monotonic()


#: the deadline of the exchange running in this thread (context), if any
CURRENT: ContextVar[Deadline | None] = ContextVar("envoy_deadline", default=None)


class _Watchdog:
    """Shuts the sockets of deadlines that passed; one thread, started on first use."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline, sock: socket.socket) -> None:
        with self._wake:
            first = not deadline.sockets
            deadline.sockets.append(sock)
            if first:
                heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
                if self._heap[0][2] is deadline:
                    self._wake.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="envoy-deadlines", daemon=True
                )
                self._thread.start()

    def release(self, deadline: Deadline) -> None:
        """The exchange ended: its sockets are no longer watched."""
        with self._wake:
            # Left in the heap with no sockets: popped, and ignored, when its time comes.
            deadline.sockets.clear()

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, _, deadline = heapq.heappop(self._heap)
                    for sock in deadline.sockets:
                        _shut(sock)
                    deadline.sockets.clear()
                wait = self._heap[0][0] - now if self._heap else None
                self._wake.wait(wait)


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for an SSLSocket: it must not touch the TLS state
    # that the reading thread is using; the read sees end-of-file and returns.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


WATCHDOG = _Watchdog()


def watch(sock: socket.socket) -> None:
    """Have the current deadline, if any, cut `sock` when it passes."""
    deadline = CURRENT.get()
    if deadline is not None:
        WATCHDOG.watch(deadline, sock)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[Deadline]:
    """The exchanges inside the block end within `seconds` (or an enclosing deadline)."""
    outer = CURRENT.get()
    at = time.monotonic() + seconds
    if outer is not None and outer.at < at:
        deadline = Deadline(outer.at, outer.seconds)
    else:
        deadline = Deadline(at, seconds)
    token = CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        CURRENT.reset(token)
        WATCHDOG.release(deadline)
