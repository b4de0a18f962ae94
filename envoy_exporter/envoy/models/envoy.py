"""EnvoyData: everything one update() read from a gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .counters import NOT_COUNTED

if TYPE_CHECKING:
    from .acb import EnvoyACB, EnvoyACBPower, EnvoyBatteryAggregate
    from .c6combiner import EnvoyC6CC
    from .collar import EnvoyCollar
    from .dry_contacts import EnvoyDryContactSettings, EnvoyDryContactStatus
    from .encharge import EnvoyEncharge, EnvoyEnchargeAggregate, EnvoyEnchargePower
    from .enpower import EnvoyEnpower
    from .generator import (
        EnvoyGenerator,
        EnvoyGeneratorConfig,
        EnvoyGeneratorMode,
        EnvoyGeneratorSchedule,
    )
    from .inverter import EnvoyInverter
    from .inverter_status import EnvoyInverterStatus
    from .limits import EnvoyDynamicLimit, EnvoyExportLimit, EnvoyProductionLimit
    from .meters import EnvoyMeterData
    from .system_consumption import EnvoySystemConsumption
    from .system_production import EnvoySystemProduction
    from .tariff import EnvoyTariff


@dataclass
class EnvoyData:
    """Data read from a gateway; `raw` holds every answer as received, keyed by endpoint."""

    encharge_inventory: dict[str, EnvoyEncharge] | None = None
    encharge_power: dict[str, EnvoyEnchargePower] | None = None
    encharge_aggregate: EnvoyEnchargeAggregate | None = None
    enpower: EnvoyEnpower | None = None
    acb_power: EnvoyACBPower | None = None
    battery_aggregate: EnvoyBatteryAggregate | None = None
    collar: EnvoyCollar | None = None
    c6cc: EnvoyC6CC | None = None
    system_consumption: EnvoySystemConsumption | None = None
    system_production: EnvoySystemProduction | None = None
    system_consumption_phases: dict[str, EnvoySystemConsumption | None] | None = None
    system_production_phases: dict[str, EnvoySystemProduction | None] | None = None
    # Net consumption's lifetime total falls while the site exports: not a counter.
    system_net_consumption: EnvoySystemConsumption | None = field(
        default=None, metadata=NOT_COUNTED
    )
    system_net_consumption_phases: dict[str, EnvoySystemConsumption | None] | None = field(
        default=None, metadata=NOT_COUNTED
    )
    ctmeter_production: EnvoyMeterData | None = None
    ctmeter_consumption: EnvoyMeterData | None = None
    ctmeter_storage: EnvoyMeterData | None = None
    ctmeter_production_phases: dict[str, EnvoyMeterData] | None = None
    ctmeter_consumption_phases: dict[str, EnvoyMeterData] | None = None
    ctmeter_storage_phases: dict[str, EnvoyMeterData] | None = None
    dry_contact_status: dict[str, EnvoyDryContactStatus] = field(default_factory=dict)
    dry_contact_settings: dict[str, EnvoyDryContactSettings] = field(default_factory=dict)
    inverters: dict[str, EnvoyInverter] = field(default_factory=dict)
    tariff: EnvoyTariff | None = None
    #: standby generator, only with an Enpower and a generator installed (beyond the spec)
    generator: EnvoyGenerator | None = None
    generator_config: EnvoyGeneratorConfig | None = None
    generator_schedule: EnvoyGeneratorSchedule | None = None
    generator_mode: EnvoyGeneratorMode | None = None
    #: one entry per AC Battery, keyed by serial number, from /inventory (beyond the spec)
    acb_inventory: dict[str, EnvoyACB] | None = None
    #: production (PV) limit, from /ivp/sc/pvlimit (beyond the spec)
    production_limit: EnvoyProductionLimit | None = None
    #: power export limit, from /ivp/ss/pel_settings (beyond the spec)
    export_limit: EnvoyExportLimit | None = None
    #: dynamic power export limit, from /ivp/ss/dpel (beyond the spec)
    dynamic_limit: EnvoyDynamicLimit | None = None
    #: each microinverter's state in /inventory.json, by serial number (beyond the spec)
    inverter_status: dict[str, EnvoyInverterStatus] | None = None
    raw: dict[str, Any] = field(default_factory=dict)
