"""Synchronous client of Enphase Envoy (IQ Gateway) solar gateways."""

from __future__ import annotations

from . import exceptions
from .auth import EnvoyAuth, EnvoyLegacyAuth, EnvoyTokenAuth
from .const import PHASENAMES, PhaseNames, SupportedFeatures
from .envoy import Envoy
from .firmware import EnvoyFirmware
from .http import RequestRecord, ResponseStore
from .json import json_loads
from .models.acb import EnvoyACBPower, EnvoyBatteryAggregate
from .models.common import CommonProperties
from .models.dry_contacts import EnvoyDryContactSettings, EnvoyDryContactStatus
from .models.encharge import EnvoyEncharge, EnvoyEnchargeAggregate, EnvoyEnchargePower
from .models.enpower import EnvoyEnpower
from .models.envoy import EnvoyData
from .models.home import EnvoyInterfaceInformation
from .models.inverter import EnvoyInverter
from .models.meters import CtType, EnvoyMeterData, EnvoyPhaseMode
from .models.system_consumption import EnvoySystemConsumption
from .models.system_production import EnvoySystemProduction
from .models.tariff import EnvoyStorageMode, EnvoyTariff
from .updaters.base import EnvoyUpdater

__all__ = [
    "PHASENAMES",
    "CommonProperties",
    "CtType",
    "Envoy",
    "EnvoyACBPower",
    "EnvoyAuth",
    "EnvoyBatteryAggregate",
    "EnvoyData",
    "EnvoyDryContactSettings",
    "EnvoyDryContactStatus",
    "EnvoyEncharge",
    "EnvoyEnchargeAggregate",
    "EnvoyEnchargePower",
    "EnvoyEnpower",
    "EnvoyFirmware",
    "EnvoyInterfaceInformation",
    "EnvoyInverter",
    "EnvoyLegacyAuth",
    "EnvoyMeterData",
    "EnvoyPhaseMode",
    "EnvoyStorageMode",
    "EnvoySystemConsumption",
    "EnvoySystemProduction",
    "EnvoyTariff",
    "EnvoyTokenAuth",
    "EnvoyUpdater",
    "PhaseNames",
    "RequestRecord",
    "ResponseStore",
    "SupportedFeatures",
    "exceptions",
    "json_loads",
]
