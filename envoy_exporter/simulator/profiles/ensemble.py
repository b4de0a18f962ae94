"""IQ Batteries (Encharge), the IQ System Controller (Enpower), its dry contacts, and the tariff.

The settings a client can write (grid relay, dry contacts, storage settings) live in
`EnsembleState`; everything measured comes from the site model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .physics import SiteModel, unit

STORAGE_MODES = ("backup", "self-consumption", "savings-mode", "economy")
_CONTACT_IDS = ("NC1", "NC2", "NO1", "NO2")
CONTACT_ACTIONS = ("apply", "shed", "schedule", "none")
_ENCHARGE_PN = "836-01826-r76"
_ENPOWER_PN = "865-00378-r27"


def _contact_settings(contact_id: str) -> dict[str, Any]:
    return {
        "id": contact_id,
        "type": "NONE",
        "grid_action": "none",
        "micro_grid_action": "none",
        "gen_action": "none",
        "essential_start_time": 32400,
        "essential_end_time": 57600,
        "priority": 1 + _CONTACT_IDS.index(contact_id),
        "black_s_start": 5,
        "override": "false",
        "manual_override": "true",
        "load_name": "",
        "mode": "manual",
        "soc_low": 30,
        "soc_high": 40,
        "pv_serial_nb": [],
    }


@dataclass
class EnsembleState:
    """What a client has set on the gateway."""

    mains_admin_state: str = "closed"
    storage_mode: str = "self-consumption"
    reserved_soc: float = 20.0
    very_low_soc: float = 10.0
    charge_from_grid: bool = False
    tariff_date: int = 1_700_000_000
    contacts: dict[str, str] = field(default_factory=lambda: dict.fromkeys(_CONTACT_IDS, "closed"))
    contact_settings: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {c: _contact_settings(c) for c in _CONTACT_IDS}
    )
    #: the rest of the tariff document, as last written
    tariff_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def on_grid(self) -> bool:
        return self.mains_admin_state == "closed"


@dataclass
class Ensemble:
    """The storage side of a site, as the /ivp/ensemble endpoints show it."""

    model: SiteModel
    serial_base: int
    state: EnsembleState = field(default_factory=EnsembleState)

    @property
    def batteries(self) -> list[str]:
        return [str(self.serial_base + 6 + i) for i in range(self.model.params.batteries)]

    @property
    def enpower_serial(self) -> str:
        return str(self.serial_base + 1)

    def _installed(self) -> int:
        return int(self.model.params.install_time)

    def _soc(self, now: float) -> int:
        return round(self.model.soc(now))

    def _grid_mode(self) -> str:
        return "multimode-ongrid" if self.state.on_grid else "multimode-offgrid"

    def encharge(self, now: float) -> list[dict[str, Any]]:
        seed = self.model.params.seed
        lines = ("ph-a", "ph-b", "ph-c")[: self.model.lines]
        devices = []
        for i, serial in enumerate(self.batteries):
            temp = 18 + int(6 * unit(seed, i, 11))
            devices.append(
                {
                    "part_num": _ENCHARGE_PN,
                    "serial_num": serial,
                    "installed": self._installed(),
                    "device_status": ["envoy.global.ok", "prop.done"],
                    "last_rpt_date": int(now) - int(now) % 60,
                    "admin_state": 6,
                    "admin_state_str": "ENCHG_STATE_READY",
                    "created_date": self._installed(),
                    "img_load_date": self._installed(),
                    "img_pnum_running": "3.0.6614_rel/31.13",
                    "bmu_fw_version": "3.8.63",
                    "communicating": True,
                    "sleep_enabled": False,
                    "percentFull": self._soc(now),
                    "temperature": temp,
                    "maxCellTemp": temp + 1,
                    "reported_enc_grid_state": "grid-tied" if self.state.on_grid else "off-grid",
                    "comm_level_sub_ghz": 4,
                    "comm_level_2_4_ghz": 4,
                    "led_status": 12,
                    "dc_switch_off": False,
                    "encharge_rev": 3,
                    "encharge_capacity": int(self.model.params.battery_wh),
                    "phase": lines[i % len(lines)],
                    "der_index": 2 + i,
                }
            )
        return devices

    def enpower(self, now: float) -> dict[str, Any]:
        closed = self.state.mains_admin_state
        return {
            "part_num": _ENPOWER_PN,
            "serial_num": self.enpower_serial,
            "installed": self._installed(),
            "device_status": ["envoy.global.ok", "prop.done"],
            "last_rpt_date": int(now) - int(now) % 60,
            "admin_state": 24,
            "admin_state_str": "ENPWR_STATE_OPER_CLOSED"
            if self.state.on_grid
            else "ENPWR_STATE_OPER_OPEN",
            "created_date": self._installed(),
            "img_load_date": self._installed(),
            "img_pnum_running": "3.0.5654_rel/31.13",
            "communicating": True,
            "temperature": 72,
            "comm_level_sub_ghz": 5,
            "comm_level_2_4_ghz": 5,
            "mains_admin_state": closed,
            "mains_oper_state": closed,
            "Enpwr_grid_mode": self._grid_mode(),
            "Enchg_grid_mode": self._grid_mode(),
            "Enpwr_relay_state_bm": 15868 if self.state.on_grid else 15856,
            "Enpwr_curr_state_id": 16 if self.state.on_grid else 17,
        }

    def inventory(self, now: float) -> list[dict[str, Any]]:
        """/ivp/ensemble/inventory."""
        return [
            {"type": "ENCHARGE", "devices": self.encharge(now)},
            {"type": "ENPOWER", "devices": [self.enpower(now)]},
        ]

    def power(self, now: float) -> dict[str, Any]:
        """/ivp/ensemble/power (the colon in "devices:" is the gateway's)."""
        battery = self.model.flows(now).battery * (1.0 - self.model.acb_share)
        share = battery / max(len(self.batteries), 1)
        mw = round(share * 1000)
        soc = self._soc(now)
        return {
            "devices:": [
                {"serial_num": s, "real_power_mw": mw, "apparent_power_mva": abs(mw), "soc": soc}
                for s in self.batteries
            ]
        }

    def secctrl(self, now: float) -> dict[str, Any]:
        """/ivp/ensemble/secctrl: the aggregate state of charge and energies."""
        capacity = round(self.model.params.encharge_capacity_wh)
        acb_wh = self.model.params.acb_capacity_wh
        soc = self._soc(now)
        reserve = round(self.state.reserved_soc)
        return {
            "shutdown": False,
            "freq_bias_hz": 0.0,
            "voltage_bias_v": 0.0,
            "freq_bias_hz_q8": 0,
            "voltage_bias_v_q5": 0,
            "freq_bias_hz_phaseb": 0.0,
            "voltage_bias_v_phaseb": 0.0,
            "freq_bias_hz_q8_phaseb": 0,
            "voltage_bias_v_q5_phaseb": 0,
            "freq_bias_hz_phasec": 0.0,
            "voltage_bias_v_phasec": 0.0,
            "freq_bias_hz_q8_phasec": 0,
            "voltage_bias_v_q5_phasec": 0,
            "configured_backup_soc": reserve,
            "adjusted_backup_soc": reserve,
            "agg_soc": soc,
            "Max_energy": capacity,
            "ENC_agg_soc": soc,
            "ENC_agg_soh": 100,
            "ENC_agg_backup_energy": round(capacity * reserve / 100),
            "ENC_agg_avail_energy": round(capacity * soc / 100),
            "Enc_commissioned_capacity": capacity,
            "Enc_max_available_capacity": capacity,
            "ACB_agg_soc": soc if acb_wh else 0,
            "ACB_agg_energy": round(acb_wh * soc / 100),
            "VLS_Limit": round(self.state.very_low_soc),
            "soc_rec_enabled": False,
            "soc_recovery_entry": 2,
            "soc_recovery_exit": 10,
            "Commission_in_progress": False,
            "ESS_in_progress": False,
        }

    def status(self, now: float) -> dict[str, Any]:
        """/ivp/ensemble/status."""
        serials: dict[str, dict[str, Any]] = {
            s: {
                "device_type": 13,
                "admin_state": 6,
                "admin_state_str": "ENCHG_STATE_READY",
                "reported_grid_mode": "grid-tied" if self.state.on_grid else "off-grid",
                "phase": 1 + i % self.model.lines,
                "encharge_revision": 3,
                "encharge_capacity": int(self.model.params.battery_wh),
                "encharge_rated_power": 3840,
                "msg_retry_count": 0,
                "part_number": _ENCHARGE_PN,
                "app_fw_version": "3.0.6614_rel/31.13",
                "bmu_fw_version": "3.8.63",
                "submodule_count": 0,
                "submodules": {},
            }
            for i, s in enumerate(self.batteries)
        }
        return {
            "inventory": {"serial_nums": serials},
            "counters": {"api_ecagtInit": 1, "api_ecagtTick": int(now) // 10, "rest_StatusGet": 1},
            "secctrl": self.secctrl(now),
            "relay": {
                "mains_admin_state": self.state.mains_admin_state,
                "mains_oper_state": self.state.mains_admin_state,
                "der1_state": 0,
                "der2_state": 0,
                "Enchg_grid_mode": "grid-tied" if self.state.on_grid else "off-grid",
                "Solar_grid_mode": "unknown",
            },
            "profile": {"message": "Obsolete API, please use ivp/arf/profile"},
            "fakeit": {"fake_inventory_mode": False},
        }

    def dry_contacts(self, now: float) -> dict[str, Any]:
        """/ivp/ensemble/dry_contacts."""
        return {"dry_contacts": [{"id": c, "status": s} for c, s in self.state.contacts.items()]}

    def dry_contact_settings(self, now: float) -> dict[str, Any]:
        """/ivp/ss/dry_contact_settings."""
        return {"dry_contacts": [copy.deepcopy(s) for s in self.state.contact_settings.values()]}

    def tariff(self, now: float) -> dict[str, Any]:
        """/admin/lib/tariff."""
        st = self.state
        settings = {
            "mode": st.storage_mode,
            "operation_mode_sub_type": "prioritize-energy",
            "reserved_soc": st.reserved_soc,
            "very_low_soc": st.very_low_soc,
            "charge_from_grid": st.charge_from_grid,
            "date": str(st.tariff_date),
        }
        tariff = {
            "currency": {"code": "USD"},
            "logger": "mylogger",
            "date": str(st.tariff_date),
            "storage_settings": settings,
            "single_rate": {"rate": 0.25, "sell": 0.05},
            "seasons": [_season()],
            "seasons_sell": [],
        }
        tariff.update(copy.deepcopy(st.tariff_extra))
        tariff["storage_settings"] = settings
        schedule = {
            "filename": "Tariff",
            "source": "Tariff",
            "date": "2023-11-14 22:13:20 UTC",
            "version": "00.00.02",
            "reserved_soc": st.reserved_soc,
            "very_low_soc": st.very_low_soc,
            "charge_from_grid": st.charge_from_grid,
            "batt_mode": st.storage_mode,
            "battery_mode": st.storage_mode,
            "operation_mode_sub_type": "prioritize-energy",
            "override": False,
            "override_backup_soc": 30,
            "override_chg_dischg_rate": 0,
            "override_tou_mode": "StorageTouMode_DEFAULT_TOU_MODE",
        }
        return {"tariff": tariff, "schedule": schedule}


def _season() -> dict[str, Any]:
    periods = [
        {"id": "filler", "start": 0, "rate": 0.25},
        {"id": "peak", "start": 960, "rate": 0.4},
        {"id": "off-peak", "start": 1260, "rate": 0.25},
    ]
    return {
        "id": "all_year_long",
        "start": "1/1",
        "days": [
            {
                "id": "all_days",
                "days": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
                "must_charge_start": 0,
                "must_charge_duration": 0,
                "must_charge_mode": "CP",
                "peak_rule": "DL",
                "enable_discharge_to_grid": False,
                "periods": periods,
            }
        ],
        "tiers": [],
    }
