"""One bounded pool of threads for every target's refreshes and OTLP exports.

A thread per target (and another per target for OTLP) made 1,000 gateways cost about 1,030
threads. Here the threads do not grow with the targets: work waits in the pool's queue, and
each key (a target, a target's push) has at most one job queued or running, so a gateway
that hangs holds one thread, never a pile of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
#: threads for the whole process: a refresh mostly waits on its gateway, so 32 keep 1,000
#: gateways at one refresh a minute each with room for slow ones
POOL_THREADS = 32


class WorkPool:
    """A ThreadPoolExecutor with single flight per key. Thread-safe."""

    def __init__(self, threads: int = POOL_THREADS, name: str = "work") -> None:
        self.threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._pending: dict[object, Future[object]] = {}

    def once(self, key: object, job: Callable[[], T]) -> Future[T]:
        """The job of `key` queued or running, or `job` submitted when there is none."""
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None and not pending.done():
                return pending  # type: ignore[return-value]
            pending = self._executor.submit(job)
            self._pending[key] = pending
        # Outside the lock: a job already done runs the callback here, at once.
        pending.add_done_callback(lambda done: self._forget(key, done))
        return pending  # type: ignore[return-value]

    def _forget(self, key: object, done: Future[object]) -> None:
        with self._lock:
            if self._pending.get(key) is done:
                del self._pending[key]

    def pending(self, key: object) -> Future[object] | None:
        """The key's job queued or running, if any."""
        with self._lock:
            return self._pending.get(key)

    def cancel(self, key: object) -> None:
        """Drop the key's job if it has not started (a closed target)."""
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            pending.cancel()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


_shared: WorkPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> WorkPool:
    """The process's pool, shared by the HTTP server's refreshes and the OTLP pushes."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WorkPool()
        return _shared
