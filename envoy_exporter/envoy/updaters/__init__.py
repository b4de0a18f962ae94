"""Updaters: one module per endpoint family, each with probe() and update().

`UPDATERS` is the order probe() tries them in: an earlier updater claims a feature, and a
later one only offers what is not yet found (CT meters before production.json, which
before the older production endpoints, and so on). `ENDPOINTS` holds every endpoint the
client knows, by path, with the kind of data it carries.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..const import CLIENT_ENDPOINTS, RECORDED_ENDPOINTS, Endpoint
from .api_v1_production import EnvoyApiV1ProductionUpdater
from .api_v1_production_inverters import EnvoyApiV1ProductionInvertersUpdater
from .base import EnvoyUpdater
from .device_data_inverters import EnvoyDeviceDataInvertersUpdater
from .ensemble import EnvoyEnsembleUpdater
from .generator import EnvoyGeneratorUpdater
from .inventory import EnvoyInventoryUpdater
from .inverter_status import EnvoyInverterStatusUpdater
from .limits import EnvoyLimitsUpdater
from .meters import EnvoyMetersUpdater
from .production import (
    EnvoyProductionJsonFallbackUpdater,
    EnvoyProductionJsonUpdater,
    EnvoyProductionUpdater,
)
from .tariff import EnvoyTariffUpdater

UPDATERS: list[type[EnvoyUpdater]] = [
    EnvoyMetersUpdater,
    EnvoyProductionJsonUpdater,
    EnvoyProductionUpdater,
    EnvoyApiV1ProductionUpdater,
    EnvoyProductionJsonFallbackUpdater,
    EnvoyDeviceDataInvertersUpdater,
    EnvoyApiV1ProductionInvertersUpdater,
    EnvoyEnsembleUpdater,
    EnvoyInventoryUpdater,
    EnvoyInverterStatusUpdater,
    EnvoyTariffUpdater,
    EnvoyGeneratorUpdater,
    EnvoyLimitsUpdater,
]


def _by_path(declarations: Iterable[Endpoint]) -> dict[str, Endpoint]:
    """One declaration per path; two that disagree on a path are a bug, refused at import."""
    table: dict[str, Endpoint] = {}
    for endpoint in declarations:
        known = table.setdefault(endpoint.path, endpoint)
        if known != endpoint:
            raise ValueError(f"{endpoint.path} declared twice: {known} and {endpoint}")
    return table


#: every endpoint the client knows, by path: its own reads, the updaters', those only recorded
ENDPOINTS: dict[str, Endpoint] = _by_path(
    [
        *CLIENT_ENDPOINTS,
        *(endpoint for updater in UPDATERS for endpoint in updater.declared),
        *RECORDED_ENDPOINTS,
    ]
)

__all__ = [
    "ENDPOINTS",
    "UPDATERS",
    "EnvoyApiV1ProductionInvertersUpdater",
    "EnvoyApiV1ProductionUpdater",
    "EnvoyDeviceDataInvertersUpdater",
    "EnvoyEnsembleUpdater",
    "EnvoyGeneratorUpdater",
    "EnvoyInventoryUpdater",
    "EnvoyInverterStatusUpdater",
    "EnvoyLimitsUpdater",
    "EnvoyMetersUpdater",
    "EnvoyProductionJsonFallbackUpdater",
    "EnvoyProductionJsonUpdater",
    "EnvoyProductionUpdater",
    "EnvoyTariffUpdater",
    "EnvoyUpdater",
]
