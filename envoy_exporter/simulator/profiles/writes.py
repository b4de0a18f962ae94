"""The writes a battery site accepts: grid relay, dry contacts, tariff storage settings.

Each handler checks the body as strictly as the gateway would and raises ValueError
(answered 400) naming what was wrong; nothing is changed by a refused write.
"""

from __future__ import annotations

import copy
from typing import Any

from ...envoy.const import (
    URL_DRY_CONTACT_SETTINGS,
    URL_DRY_CONTACT_STATUS,
    URL_ENSEMBLE_INVENTORY,
    URL_ENSEMBLE_POWER,
    URL_ENSEMBLE_SECCTRL,
    URL_ENSEMBLE_STATUS,
    URL_GRID_RELAY,
    URL_TARIFF,
)
from .base import ProfileSource
from .ensemble import CONTACT_ACTIONS, STORAGE_MODES, Ensemble

_SETTABLE_CONTACT_KEYS = {
    "type",
    "grid_action",
    "micro_grid_action",
    "gen_action",
    "override",
    "manual_override",
    "load_name",
    "mode",
    "soc_low",
    "soc_high",
    "pv_serial_nb",
    "essential_start_time",
    "essential_end_time",
    "priority",
    "black_s_start",
}


def _object(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise ValueError(f"body must be a JSON object with an object under {key!r}")
    value: dict[str, Any] = body[key]
    return value


def set_relay(ens: Ensemble, body: Any, now: float) -> dict[str, Any]:
    """POST /ivp/ensemble/relay {"mains_admin_state": "open" | "closed"}."""
    state = body.get("mains_admin_state") if isinstance(body, dict) else None
    if state not in ("open", "closed"):
        raise ValueError(f"mains_admin_state must be 'open' or 'closed', not {state!r}")
    ens.state.mains_admin_state = state
    return {"mains_admin_state": state}


def set_contact(ens: Ensemble, body: Any, now: float) -> dict[str, Any]:
    """POST /ivp/ensemble/dry_contacts {"dry_contacts": {"id": ..., "status": ...}}."""
    item = _object(body, "dry_contacts")
    contact, status = item.get("id"), item.get("status")
    if contact not in ens.state.contacts:
        raise ValueError(f"unknown dry contact id {contact!r}")
    if status not in ("open", "closed"):
        raise ValueError(f"dry contact status must be 'open' or 'closed', not {status!r}")
    ens.state.contacts[contact] = status
    return ens.dry_contacts(now)


def set_contact_settings(ens: Ensemble, body: Any, now: float) -> dict[str, Any]:
    """POST /ivp/ss/dry_contact_settings {"dry_contacts": {"id": ..., <settings>}}."""
    item = _object(body, "dry_contacts")
    contact = item.get("id")
    if contact not in ens.state.contact_settings:
        raise ValueError(f"unknown dry contact id {contact!r}")
    unknown = set(item) - _SETTABLE_CONTACT_KEYS - {"id"}
    if unknown:
        raise ValueError(f"unknown dry contact settings: {sorted(unknown)}")
    for key in ("grid_action", "micro_grid_action", "gen_action"):
        if key in item and item[key] not in CONTACT_ACTIONS:
            raise ValueError(f"{key} must be one of {list(CONTACT_ACTIONS)}, not {item[key]!r}")
    ens.state.contact_settings[contact].update(copy.deepcopy(item))
    return ens.dry_contact_settings(now)


def set_tariff(ens: Ensemble, body: Any, now: float) -> dict[str, Any]:
    """PUT /admin/lib/tariff {"tariff": {..., "storage_settings": {...}}}."""
    tariff = _object(body, "tariff")
    settings = tariff.get("storage_settings", {})
    if not isinstance(settings, dict):
        raise ValueError("tariff.storage_settings must be an object")
    mode = settings.get("mode", ens.state.storage_mode)
    if mode not in STORAGE_MODES:
        raise ValueError(f"storage mode must be one of {list(STORAGE_MODES)}, not {mode!r}")
    reserve = settings.get("reserved_soc", ens.state.reserved_soc)
    if isinstance(reserve, bool) or not isinstance(reserve, int | float) or not 0 <= reserve <= 100:
        raise ValueError(f"reserved_soc must be a number from 0 to 100, not {reserve!r}")
    from_grid = settings.get("charge_from_grid", ens.state.charge_from_grid)
    if not isinstance(from_grid, bool):
        raise ValueError(f"charge_from_grid must be true or false, not {from_grid!r}")
    st = ens.state
    st.storage_mode, st.reserved_soc, st.charge_from_grid = mode, float(reserve), from_grid
    st.tariff_date = int(now)
    st.tariff_extra = {
        k: copy.deepcopy(v) for k, v in tariff.items() if k not in ("storage_settings", "date")
    }
    return ens.tariff(now)


def register_ensemble(source: ProfileSource, ens: Ensemble) -> None:
    """Route the storage endpoints and writes of `ens` on `source`."""
    source.route(URL_ENSEMBLE_INVENTORY, lambda now, q: ens.inventory(now))
    source.route(URL_ENSEMBLE_SECCTRL, lambda now, q: ens.secctrl(now))
    source.route(URL_ENSEMBLE_POWER, lambda now, q: ens.power(now))
    source.route(URL_ENSEMBLE_STATUS, lambda now, q: ens.status(now))
    source.route(URL_DRY_CONTACT_STATUS, lambda now, q: ens.dry_contacts(now))
    source.route(URL_DRY_CONTACT_SETTINGS, lambda now, q: ens.dry_contact_settings(now))
    source.route(URL_TARIFF, lambda now, q: ens.tariff(now))
    source.on_write("POST", URL_GRID_RELAY, lambda b, now: set_relay(ens, b, now))
    source.on_write("POST", URL_DRY_CONTACT_STATUS, lambda b, now: set_contact(ens, b, now))
    source.on_write(
        "POST", URL_DRY_CONTACT_SETTINGS, lambda b, now: set_contact_settings(ens, b, now)
    )
    source.on_write("PUT", URL_TARIFF, lambda b, now: set_tariff(ens, b, now))
