"""The gateway's answer time per endpoint, for the simulator's `latency=` hook.

Measured figures come from the `duration_seconds` the capture logs hold (read at run time
from ../shared/envoy-captures, never copied); endpoints no capture timed fall back on the
figures of issue 7, taken from real gateways.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Callable
from pathlib import Path

CAPTURES = Path(
    os.environ.get("ENVOY_CAPTURES", Path(__file__).resolve().parents[2] / "shared/envoy-captures")
)

#: (path prefix, seconds), first match wins: issue 7's figures from real gateways
FALLBACK: tuple[tuple[str, float], ...] = (
    ("/production.json?details=1", 3.4),  # 1.8-5 s
    ("/production.json", 0.7),
    ("/production", 3.0),
    ("/inventory", 4.0),  # 2-6 s
    ("/home", 6.0),
    ("/ivp/", 0.05),
    ("/api/v1/", 0.05),
)
DEFAULT_SECONDS = 0.05
#: request stems whose answer a capture folder stores under another name
ALIASES = {"inventory.json": "inventory"}


def capture_name(path: str) -> str:
    """The capture file stem of a request path: "/a/b?c=1" -> "a_b_c_1"."""
    return path.lstrip("/").replace("/", "_").replace("?", "_").replace("=", "_").replace("&", "_")


def measured(captures: Path = CAPTURES) -> dict[str, float]:
    """Capture file stem -> median `duration_seconds` over every capture that timed it."""
    samples: dict[str, list[float]] = {}
    if not captures.is_dir():
        return {}
    for log in captures.glob("*/*_log.json"):
        try:
            seconds = json.loads(log.read_text(encoding="utf-8")).get("duration_seconds")
        except (OSError, ValueError):
            continue
        if isinstance(seconds, int | float) and seconds >= 0:
            samples.setdefault(log.name.removesuffix("_log.json"), []).append(float(seconds))
    return {name: statistics.median(values) for name, values in samples.items()}


def fallback(path: str) -> float:
    for prefix, seconds in FALLBACK:
        if path.startswith(prefix):
            return seconds
    return DEFAULT_SECONDS


class LatencyModel:
    """Seconds a real gateway takes to answer a GET of `path` (query string included)."""

    def __init__(self, captures: Path = CAPTURES) -> None:
        self.table = measured(captures)

    def __call__(self, path: str) -> float:
        name = capture_name(path)
        if name in self.table:
            return self.table[name]
        alias = ALIASES.get(name)
        if alias in self.table:
            return self.table[alias]
        return fallback(path)

    def source(self, path: str) -> str:
        """Where the figure for `path` comes from: "capture" or "issue 7"."""
        name = capture_name(path)
        return "capture" if name in self.table or ALIASES.get(name) in self.table else "issue 7"


def latency_model(captures: Path = CAPTURES) -> Callable[[str], float]:
    return LatencyModel(captures)
