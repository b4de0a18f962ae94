"""Conditions logged at start and end (not per occurrence), and the shared work pool."""

from __future__ import annotations

import logging
import threading

import pytest

from envoy_exporter.collector.conditions import Condition
from envoy_exporter.collector.pool import WorkPool

LOGGER = logging.getLogger("tests.conditions")


def test_a_condition_is_logged_at_start_per_interval_and_at_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    now = [0.0]
    cond = Condition(LOGGER, "jammed", "free again", quiet=10.0, interval=60.0,
                     clock=lambda: now[0])  # fmt: skip
    for _ in range(1000):
        cond.occurred()
        now[0] += 0.01
    assert [r.getMessage() for r in caplog.records] == ["jammed"]
    now[0] = 61.0
    cond.occurred()  # a minute on: one reminder with the count since the first line
    assert caplog.records[-1].getMessage() == "jammed (still, 1000 times since the last line)"
    cond.tick()
    assert len(caplog.records) == 2  # not quiet long enough
    now[0] = 71.0
    cond.tick()
    assert caplog.records[-1].getMessage() == "free again (0 more times since the last line)"
    assert cond.total == 1001 and not cond.active
    cond.occurred()
    assert caplog.records[-1].getMessage() == "jammed"


def test_the_pool_runs_one_job_per_key_with_bounded_threads() -> None:
    pool = WorkPool(threads=2, name="test-pool")
    release = threading.Event()
    try:
        first = pool.once("a", lambda: release.wait(30) and "a1")
        again = pool.once("a", lambda: "a2")  # the queued or running job of "a" is shared
        assert again is first
        others = [pool.once(i, lambda i=i: i) for i in range(10)]
        assert [f.result(timeout=30) for f in others] == list(range(10))
        release.set()
        assert first.result(timeout=30) == "a1"
        assert pool.once("a", lambda: "a3").result(timeout=30) == "a3"  # a new job once done
        names = [t.name for t in threading.enumerate() if t.name.startswith("test-pool")]
        assert len(names) <= 2
    finally:
        release.set()
        pool.shutdown()
