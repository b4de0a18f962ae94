"""Running the client's updaters one by one, so that one failing updater costs only its part."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..envoy.exceptions import (
    EnvoyAuthenticationRequired,
    EnvoyCommunicationError,
    EnvoyError,
    EnvoyHTTPStatusError,
)
from ..envoy.models.envoy import EnvoyData
from ..envoy.updaters.base import EnvoyUpdater
from .store import ResponseStore

_LOGGER = logging.getLogger(__name__)


@dataclass
class PartResult:
    """What one updater produced at one refresh."""

    name: str
    data: EnvoyData | None
    error: str | None
    #: endpoint -> time of the answer used (0.0: asked, no answer kept)
    used: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    auth_failed: bool = False
    not_found: bool = False
    unreachable: bool = False

    @property
    def ok(self) -> bool:
        return self.data is not None


def run_updaters(
    updaters: list[EnvoyUpdater],
    store: ResponseStore,
    only: Callable[[str], bool] = lambda name: True,
) -> list[PartResult]:
    """Run each selected updater on its own EnvoyData; stop asking once the gateway is gone.

    Each part starts with the raw answers read before it in this run, because some updaters
    reuse an earlier updater's answer (the inventory reads the inverters' report).
    """
    shared_raw: dict[str, object] = {}
    results: list[PartResult] = []
    unreachable = False
    for updater in updaters:
        name = updater.name or type(updater).__name__
        if not only(name):
            continue
        if unreachable:
            results.append(PartResult(name, None, "skipped: gateway unreachable", unreachable=True))
            continue
        result = _run_one(updater, name, store, shared_raw)
        unreachable = result.unreachable
        results.append(result)
    return results


def _run_one(
    updater: EnvoyUpdater, name: str, store: ResponseStore, shared_raw: dict[str, object]
) -> PartResult:
    part = EnvoyData(raw=dict(shared_raw))
    store.begin_part()
    started = time.perf_counter()
    result = PartResult(name, None, None)
    try:
        updater.update(part)
        result.data = part
        shared_raw.update(part.raw)
        # The outputs read the models, never the raw answers: keeping the parsed JSON would
        # cost ~60 KB per gateway, which a fleet of a thousand feels.
        part.raw = {}
    except EnvoyAuthenticationRequired as err:
        result.error, result.auth_failed = _describe(err), True
    except EnvoyCommunicationError as err:
        result.error, result.unreachable = _describe(err), True
    except EnvoyHTTPStatusError as err:
        result.error, result.not_found = _describe(err), err.status_code == 404
    except EnvoyError as err:
        result.error = _describe(err)
    except Exception as err:  # a bug in one updater must not take the others down
        _LOGGER.exception("updater %s failed unexpectedly", name)
        result.error = _describe(err)
    result.used = store.end_part()
    result.seconds = time.perf_counter() - started
    if result.error:
        _LOGGER.debug("part %s failed: %s", name, result.error)
    return result


def _describe(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return f"{type(err).__name__}: {text}"[:300]
