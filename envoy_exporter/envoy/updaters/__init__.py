"""Updaters: one module per endpoint family, each with probe() and update().

`UPDATERS` is the order probe() tries them in: an earlier updater claims a feature, and a
later one only offers what is not yet found (CT meters before production.json, which
before the older production endpoints, and so on).
"""

from __future__ import annotations

from .api_v1_production import EnvoyApiV1ProductionUpdater
from .api_v1_production_inverters import EnvoyApiV1ProductionInvertersUpdater
from .base import EnvoyUpdater
from .device_data_inverters import EnvoyDeviceDataInvertersUpdater
from .ensemble import EnvoyEnembleUpdater, EnvoyEnsembleUpdater
from .generator import EnvoyGeneratorUpdater
from .inventory import EnvoyInventoryUpdater
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
    EnvoyEnembleUpdater,
    EnvoyInventoryUpdater,
    EnvoyTariffUpdater,
    EnvoyGeneratorUpdater,
]

__all__ = [
    "UPDATERS",
    "EnvoyApiV1ProductionInvertersUpdater",
    "EnvoyApiV1ProductionUpdater",
    "EnvoyDeviceDataInvertersUpdater",
    "EnvoyEnembleUpdater",
    "EnvoyEnsembleUpdater",
    "EnvoyGeneratorUpdater",
    "EnvoyInventoryUpdater",
    "EnvoyMetersUpdater",
    "EnvoyProductionJsonFallbackUpdater",
    "EnvoyProductionJsonUpdater",
    "EnvoyProductionUpdater",
    "EnvoyTariffUpdater",
    "EnvoyUpdater",
]
