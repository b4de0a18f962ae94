"""The storage updaters over the 30 real captures, read from disk (no simulator, no sockets).

Two checks per folder: nothing but an EnvoyError escapes (also when each answer is spoiled),
and probe results and values match the reference library's updaters on the same answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envoy_exporter.envoy.const import SupportedFeatures
from envoy_exporter.envoy.exceptions import EnvoyError
from envoy_exporter.envoy.models.common import CommonProperties
from envoy_exporter.envoy.models.envoy import EnvoyData
from envoy_exporter.envoy.updaters.base import EnvoyUpdater
from envoy_exporter.envoy.updaters.ensemble import EnvoyEnsembleUpdater
from envoy_exporter.envoy.updaters.generator import EnvoyGeneratorUpdater
from envoy_exporter.envoy.updaters.inventory import EnvoyInventoryUpdater
from envoy_exporter.envoy.updaters.tariff import EnvoyTariffUpdater

from .corpus_oracle import differences, plain
from .storage_fakes import CaptureGateway, capture_folders

FOLDERS = capture_folders()
IDS = [folder.name for folder in FOLDERS]
ORDER = ("ensemble", "inventory", "tariff", "generator")
FIELDS = (
    "encharge_inventory",
    "encharge_power",
    "encharge_aggregate",
    "enpower",
    "battery_aggregate",
    "collar",
    "c6cc",
    "dry_contact_status",
    "dry_contact_settings",
    "tariff",
    "generator",
    "generator_config",
    "generator_schedule",
    "generator_mode",
    "acb_inventory",
)
OURS: dict[str, type[EnvoyUpdater]] = {
    "ensemble": EnvoyEnsembleUpdater,
    "inventory": EnvoyInventoryUpdater,
    "tariff": EnvoyTariffUpdater,
    "generator": EnvoyGeneratorUpdater,
}

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not FOLDERS, reason="no captures at ../shared/envoy-captures"),
]


def run_ours(gateway: CaptureGateway) -> dict[str, Any]:
    """Probe in the client's order, then update with the updaters kept."""
    common = CommonProperties(acb_batteries_reported=gateway.acb_count())
    found = SupportedFeatures.ACB if common.acb_batteries_reported else SupportedFeatures(0)
    kept: list[EnvoyUpdater] = []
    probes: dict[str, int] = {}
    for name in ORDER:
        updater = OURS[name](gateway.version, gateway.request, gateway.request, common)
        features = updater.probe(found)
        probes[name] = int(features or 0)
        if features:
            found |= features
            kept.append(updater)
    data = EnvoyData()
    for updater in kept:
        updater.update(data)
    return {"probes": probes, "data": {name: plain(getattr(data, name)) for name in FIELDS}}


def run_reference(gateway: CaptureGateway) -> dict[str, Any]:
    from awesomeversion import AwesomeVersion
    from pyenphase.const import SupportedFeatures as RefFeatures
    from pyenphase.exceptions import EnvoyAuthenticationRequired as RefAuthRequired
    from pyenphase.models.common import CommonProperties as RefCommon
    from pyenphase.models.envoy import EnvoyData as RefData
    from pyenphase.updaters.ensemble import EnvoyEnembleUpdater as RefEnsemble
    from pyenphase.updaters.generator import EnvoyGeneratorUpdater as RefGenerator
    from pyenphase.updaters.inventory import EnvoyInventoryUpdater as RefInventory
    from pyenphase.updaters.tariff import EnvoyTariffUpdater as RefTariff

    class Answer:
        def __init__(self, status: int, body: bytes, endpoint: str) -> None:
            self.status, self.body, self.url = status, body, f"https://envoy.test{endpoint}"

        async def read(self) -> bytes:
            return self.body

    async def request(endpoint: str) -> Answer:
        status, body = gateway.answer(endpoint)
        if status in (401, 403):
            raise RefAuthRequired(f"{status} from {endpoint}")
        return Answer(status, body, endpoint)

    classes = {
        "ensemble": RefEnsemble,
        "inventory": RefInventory,
        "tariff": RefTariff,
        "generator": RefGenerator,
    }

    async def run() -> dict[str, Any]:
        common = RefCommon()
        common.acb_batteries_reported = gateway.acb_count()
        found = RefFeatures.ACB if common.acb_batteries_reported else RefFeatures(0)
        version = AwesomeVersion(str(gateway.version))
        kept = []
        probes: dict[str, int] = {}
        for name in ORDER:
            updater = classes[name](version, request, request, common)
            features = await updater.probe(found)
            probes[name] = int(features or 0)
            if features:
                found |= features
                kept.append(updater)
        data = RefData()
        for updater in kept:
            await updater.update(data)
        return {"probes": probes, "data": {name: plain(getattr(data, name)) for name in FIELDS}}

    return asyncio.run(run())


def outcome(
    run: Callable[[CaptureGateway], dict[str, Any]], gateway: CaptureGateway
) -> dict[str, Any]:
    try:
        return run(gateway)
    except Exception as err:
        return {"error": type(err).__name__}


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_only_envoy_errors_escape(folder: Path) -> None:
    result = outcome(run_ours, CaptureGateway(folder))
    assert "error" not in result, f"{folder.name}: {result}"


def _halve(endpoint: str, body: bytes) -> bytes:
    return body[: len(body) // 2]


def _swap_lists(endpoint: str, body: bytes) -> bytes:
    # Same JSON syntax, different shape: lists become objects and the other way round.
    return body.replace(b"[", b"{").replace(b"]", b"}") if body.lstrip()[:1] == b"[" else b"[1, 2]"


@pytest.mark.parametrize("spoil", [_halve, _swap_lists])
@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_spoiled_answers_raise_only_envoy_errors(folder: Path, spoil: Any) -> None:
    try:
        result = run_ours(CaptureGateway(folder, mutate=spoil))
    except EnvoyError:
        return
    assert "probes" in result


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_same_results_as_reference(folder: Path) -> None:
    ours = outcome(run_ours, CaptureGateway(folder))
    theirs = outcome(run_reference, CaptureGateway(folder))
    assert "error" not in ours, ours
    if "error" in theirs:
        pytest.skip(f"the reference fails on {folder.name}: {theirs['error']}")
    found = differences(ours, theirs)
    assert not found, f"{folder.name}:\n" + "\n".join(found[:30])


def test_corpus_exercises_every_storage_part() -> None:
    """The comparison above is only worth something if the corpus has these devices."""
    seen: set[str] = set()
    for folder in FOLDERS:
        result = outcome(run_ours, CaptureGateway(folder))
        seen |= {name for name, value in result.get("data", {}).items() if value}
    assert seen >= set(FIELDS) - {"generator_mode"}, sorted(set(FIELDS) - seen)
