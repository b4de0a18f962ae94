"""Conditions logged when they start and when they end, never once per occurrence.

200 scrapers for 30 s once wrote 59,439 "all HTTP workers busy" lines, and a dripping
gateway a warning per scrape. A condition here is logged once when it starts, at most once
per interval while it lasts (with the count since the last line), and once when it ends;
every occurrence is counted for a metric.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

#: while a condition lasts, at most one line per this many seconds
REPEAT_INTERVAL = 300.0


class Condition:
    """One recurring condition (e.g. requests waiting for a worker). Thread-safe.

    `occurred()` counts it; it ends at `clear()`, or when `quiet` seconds pass without an
    occurrence and `tick()` (called now and then) notices.
    """

    def __init__(
        self,
        logger: logging.Logger,
        started: str,
        ended: str,
        *,
        quiet: float | None = None,
        interval: float = REPEAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger, self._started, self._ended = logger, started, ended
        self._quiet, self._interval, self._clock = quiet, interval, clock
        self._lock = threading.Lock()
        self.total = 0
        self._active = False
        self._since_line = 0  # occurrences not yet in a log line
        self._last_line = self._last_seen = 0.0

    @property
    def active(self) -> bool:
        return self._active

    def occurred(self, detail: str = "") -> None:
        now = self._clock()
        with self._lock:
            self.total += 1
            self._last_seen = now
            self._since_line += 1
            if self._active and now - self._last_line < self._interval:
                return
            again = self._active
            count, self._since_line = self._since_line, 0
            self._active, self._last_line = True, now
        suffix = f": {detail}" if detail else ""
        if again:
            self._logger.warning("%s (still, %d times since the last line)%s", self._started,
                                 count, suffix)  # fmt: skip
        else:
            self._logger.warning("%s%s", self._started, suffix)

    def clear(self) -> None:
        with self._lock:
            if not self._active:
                return
            self._active = False
            count, self._since_line = self._since_line, 0
        self._logger.info("%s (%d more times since the last line)", self._ended, count)

    def tick(self) -> None:
        if (
            self._quiet is not None
            and self._active
            and (self._clock() - self._last_seen >= self._quiet)
        ):
            self.clear()


class _StateLog:
    """A gateway's readable/unreadable transitions, logged once per change whoever reads it
    (a scrape, a probe, an OTLP push): the last state is kept per Target object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: weakref.WeakKeyDictionary[Any, tuple[bool, str | None]] = (
            weakref.WeakKeyDictionary()
        )

    def report(self, name: str, target: Any, snap: Any, logger: logging.Logger) -> None:
        up = getattr(snap, "up", True)
        error = getattr(snap, "error", None)
        with self._lock:
            was_up, was_error = self._last.get(target, (True, None))
            self._last[target] = (up, error)
        if not up and (was_up or error != was_error):
            logger.warning("target %s: gateway unreadable: %s", name, error or "unknown error")
        elif up and not was_up:
            logger.info("target %s: gateway readable again", name)


_STATES = _StateLog()


def report_state(name: str, target: Any, snap: Any, logger: logging.Logger) -> None:
    """Log the target's state when it changed since the last report (from any caller)."""
    _STATES.report(name, target, snap, logger)
