"""Parity with the reference library on the 30 real gateways of ../shared/envoy-captures.

Each capture folder is served by the simulator; our client and pyenphase 4.2.0 read it over
HTTP(S); probe results and every EnvoyData field of the spec must agree, except for the
deliberate improvements below (also listed in the README, each with its reason).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envoy_exporter.simulator.captures import CaptureSource
from envoy_exporter.simulator.server import SimulatedEnvoy

from .corpus_oracle import differences, run_ours, run_reference

CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "envoy-captures"
FOLDERS = sorted(p.name for p in CAPTURES.iterdir() if p.is_dir()) if CAPTURES.is_dir() else []

# capture folder -> {difference path prefix: why ours differs on purpose}
IMPROVEMENTS: dict[str, dict[str, str]] = {}


def _expected(folder: str, diff: str) -> bool:
    return any(diff.startswith(prefix) for prefix in IMPROVEMENTS.get(folder, {}))


@pytest.mark.corpus
def test_corpus_is_present() -> None:
    if not FOLDERS:
        pytest.skip(f"no captures at {CAPTURES}: the corpus parity test needs ../shared beside the repo")
    assert len(FOLDERS) >= 30


@pytest.mark.corpus
@pytest.mark.parametrize("folder", FOLDERS or ["<no captures>"])
def test_parity_with_reference(folder: str) -> None:
    if not FOLDERS:
        pytest.skip(f"no captures at {CAPTURES}")
    with SimulatedEnvoy(CaptureSource(CAPTURES / folder), listen="127.0.0.1:0") as sim:
        ours = run_ours(sim)
        reference = run_reference(sim)
    found = [d for d in differences(ours, reference) if not _expected(folder, d)]
    assert not found, f"{folder}: {len(found)} differences:\n" + "\n".join(found[:40])
