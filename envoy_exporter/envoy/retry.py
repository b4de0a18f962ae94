"""Retry policy of gateway requests: urllib3 Retry with an elapsed-time budget per request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from urllib3.util.retry import Retry

from .const import MAX_REQUEST_ATTEMPTS, MAX_REQUEST_DELAY


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
#: the policy of the requests made inside a `retries()` block
RETRY_OVERRIDE: ContextVar[Retry | None] = ContextVar("envoy_retry_override", default=None)


@contextmanager
def retries(policy: Retry) -> Iterator[None]:
    """Use `policy` instead of the adapter's own for the requests made inside the block."""
    token = RETRY_OVERRIDE.set(policy)
    try:
        yield
    finally:
        RETRY_OVERRIDE.reset(token)
