"""Shared fixtures: simulated gateways on ephemeral ports, and the real capture corpus."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from envoy_exporter.simulator.captures import CaptureSource
from envoy_exporter.simulator.server import SimulatedEnvoy
from envoy_exporter.simulator.source import Source

REPO = Path(__file__).resolve().parents[1]
CAPTURES = REPO.parent / "shared" / "envoy-captures"

SimulatorFactory = Callable[..., SimulatedEnvoy]


@pytest.fixture
def captures_dir() -> Path:
    """The real captures beside the repository (../shared/envoy-captures); skips if absent."""
    if not (CAPTURES / "README.md").is_file():
        pytest.skip(f"real gateway captures not found at {CAPTURES}")
    return CAPTURES


def _source(what: str | Path | Source) -> Source:
    if isinstance(what, Path):
        return CaptureSource(what)
    if isinstance(what, str):
        if "/" in what:
            return CaptureSource(what)
        from envoy_exporter.simulator.profiles import load_profile

        profile: Source = load_profile(what)
        return profile
    return what


@pytest.fixture
def simulator() -> Iterator[SimulatorFactory]:
    """Factory: simulator("battery" | Path(capture folder) | a Source, **SimulatedEnvoy kwargs).

    Each simulated gateway is started on 127.0.0.1:0 and stopped after the test.
    """
    started: list[SimulatedEnvoy] = []

    def start(what: str | Path | Source, **kwargs: Any) -> SimulatedEnvoy:
        kwargs.setdefault("listen", "127.0.0.1:0")
        sim = SimulatedEnvoy(_source(what), **kwargs)
        sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
