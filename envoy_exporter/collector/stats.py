"""What the exporter asked of one gateway: requests and waits since start, and the answers of
the refresh under way (whether the gateway was readable is decided from them)."""

from __future__ import annotations

import threading
from collections import Counter

from ..envoy.http import RequestRecord


class RequestStats:
    """Counts fed by the client's request listener. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._seconds: dict[str, float] = {}  # endpoint -> seconds waited
        self._answered = 0
        self._asked = 0
        self._transport_errors = 0

    def record(self, record: RequestRecord) -> None:
        code = "error" if record.status_code is None else str(record.status_code)
        with self._lock:
            self._requests[(record.endpoint, code)] += 1
            self._seconds[record.endpoint] = (
                self._seconds.get(record.endpoint, 0.0) + record.seconds
            )
            self._asked += 1
            if record.status_code is None:
                self._transport_errors += 1
            # A 2xx whose body was cut (reset, truncated, too large) read nothing.
            if record.error is None and record.status_code and 200 <= record.status_code < 300:
                self._answered += 1

    def begin_refresh(self) -> None:
        with self._lock:
            self._answered = self._asked = 0

    def refresh_counts(self) -> tuple[int, int]:
        """(answered, asked) since the refresh began."""
        with self._lock:
            return self._answered, self._asked

    def count(self, endpoint: str, codes: tuple[str, ...]) -> int:
        """Answers of `endpoint` with one of these status codes since start."""
        with self._lock:
            return sum(self._requests[(endpoint, code)] for code in codes)

    @property
    def transport_errors(self) -> int:
        with self._lock:
            return self._transport_errors

    def totals(self) -> tuple[dict[tuple[str, str], int], dict[str, float]]:
        """Copies of (requests by endpoint and code, seconds waited by endpoint)."""
        with self._lock:
            return dict(self._requests), dict(self._seconds)
