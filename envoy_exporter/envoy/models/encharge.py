"""IQ Batteries (Encharge): inventory, power and the aggregate of all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class EnvoyEncharge:
    """One IQ Battery, from its device entry in /ivp/ensemble/inventory."""

    admin_state: int
    admin_state_str: str
    bmu_firmware_version: str
    comm_level_2_4_ghz: int
    comm_level_sub_ghz: int
    communicating: bool
    dc_switch_off: bool
    encharge_capacity: int
    encharge_revision: int
    firmware_loaded_date: int
    firmware_version: str
    installed_date: int
    last_report_date: int
    led_status: int
    max_cell_temp: int
    #: not reported by firmware 8 and newer
    operating: bool | None
    part_number: str
    percent_full: int
    serial_number: str
    temperature: int
    temperature_unit: str
    #: not reported by firmware 8 and newer
    zigbee_dongle_fw_version: str | None

    @classmethod
    def from_api(cls, inventory: dict[str, Any]) -> EnvoyEncharge:
        """Build from one device of the ENCHARGE inventory entry."""
        return cls(
            admin_state=inventory["admin_state"],
            admin_state_str=inventory["admin_state_str"],
            bmu_firmware_version=inventory["bmu_fw_version"],
            comm_level_2_4_ghz=inventory["comm_level_2_4_ghz"],
            comm_level_sub_ghz=inventory["comm_level_sub_ghz"],
            communicating=inventory["communicating"],
            dc_switch_off=inventory["dc_switch_off"],
            encharge_capacity=inventory["encharge_capacity"],
            encharge_revision=inventory["encharge_rev"],
            firmware_loaded_date=inventory["img_load_date"],
            firmware_version=inventory["img_pnum_running"],
            installed_date=inventory["installed"],
            last_report_date=inventory["last_rpt_date"],
            led_status=inventory["led_status"],
            max_cell_temp=inventory["maxCellTemp"],
            operating=inventory.get("operating"),
            part_number=inventory["part_num"],
            percent_full=inventory["percentFull"],
            serial_number=inventory["serial_num"],
            temperature=inventory["temperature"],
            # IQ Batteries report Celsius (the Enpower reports Fahrenheit)
            temperature_unit="C",
            zigbee_dongle_fw_version=inventory.get("zigbee_dongle_fw_version"),
        )


@dataclass(slots=True)
class EnvoyEnchargePower:
    """Power and state of charge of one IQ Battery, from /ivp/ensemble/power."""

    #: apparent power in mVA, negative while charging
    apparent_power_mva: int
    #: real power in mW, negative while charging
    real_power_mw: int
    #: state of charge in %
    soc: int

    @classmethod
    def from_api(cls, power: dict[str, Any]) -> EnvoyEnchargePower:
        """Build from one device of the power answer."""
        return cls(
            apparent_power_mva=power["apparent_power_mva"],
            real_power_mw=power["real_power_mw"],
            soc=power["soc"],
        )


@dataclass(slots=True)
class EnvoyEnchargeAggregate:
    """All IQ Batteries together, from /ivp/ensemble/secctrl."""

    #: stored energy in Wh (ENC_agg_avail_energy)
    available_energy: int
    #: energy held back for backup in Wh (ENC_agg_backup_energy)
    backup_reserve: int
    #: state of charge in % (ENC_agg_soc)
    state_of_charge: int
    #: backup reserve in % as applied by the gateway (adjusted_backup_soc)
    reserve_state_of_charge: int
    #: backup reserve in % as configured (configured_backup_soc)
    configured_reserve_state_of_charge: int
    #: capacity in Wh (Enc_max_available_capacity)
    max_available_capacity: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> EnvoyEnchargeAggregate:
        """Build from the secctrl answer."""
        return cls(
            available_energy=data["ENC_agg_avail_energy"],
            backup_reserve=data["ENC_agg_backup_energy"],
            state_of_charge=data["ENC_agg_soc"],
            reserve_state_of_charge=data["adjusted_backup_soc"],
            configured_reserve_state_of_charge=data["configured_backup_soc"],
            max_available_capacity=data["Enc_max_available_capacity"],
        )
