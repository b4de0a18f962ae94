"""Runs our client and the reference library (pyenphase, the test oracle) against one gateway.

Both read the same simulated gateway over HTTP(S); the results are flattened into plain
dicts (enums as their values, dataclasses as dicts) so that they compare field by field.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from typing import Any

# The spec's EnvoyData fields (pyenphase 4.2.0 has more; they are not part of the contract).
SPEC_DATA_FIELDS = (
    "encharge_inventory",
    "encharge_power",
    "encharge_aggregate",
    "enpower",
    "acb_power",
    "battery_aggregate",
    "collar",
    "c6cc",
    "system_consumption",
    "system_production",
    "system_consumption_phases",
    "system_production_phases",
    "system_net_consumption",
    "system_net_consumption_phases",
    "ctmeter_production",
    "ctmeter_consumption",
    "ctmeter_storage",
    "ctmeter_production_phases",
    "ctmeter_consumption_phases",
    "ctmeter_storage_phases",
    "dry_contact_status",
    "dry_contact_settings",
    "inverters",
    "tariff",
)

PROBE_PROPERTIES = (
    "phase_count",
    "active_phase_count",
    "ct_meter_count",
    "consumption_meter_type",
    "production_meter_type",
    "storage_meter_type",
    "phase_mode",
    "acb_count",
    "envoy_model",
    "is_metered",
    "serial_number",
    "part_number",
)


MODEL = "__model__"


#: SupportedFeatures.LIMITS, a flag beyond the reference library
BEYOND_REFERENCE = 131072


def plain(value: Any) -> Any:
    """A comparable plain form: dataclasses and dicts as dicts, enums as values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out[MODEL] = True
        return out
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _result(envoy: Any, data: Any) -> dict[str, Any]:
    probe = {name: plain(getattr(envoy, name)) for name in PROBE_PROPERTIES}
    # LIMITS is this client's own flag (the reference reads no limit endpoint)
    probe["supported_features"] = int(envoy.supported_features) & ~BEYOND_REFERENCE
    probe["firmware"] = str(envoy.firmware)
    fields = {name: plain(getattr(data, name, None)) for name in SPEC_DATA_FIELDS}
    return {"probe": probe, "data": fields}


def credentials(sim: Any) -> dict[str, str | None]:
    """Token for firmware >= 7, the `envoy` digest user for older firmware."""
    if sim.base_url.startswith("https"):
        return {"username": None, "password": None, "token": sim.token}
    return {"username": "envoy", "password": sim.local_users["envoy"], "token": None}


def run_ours(sim: Any) -> dict[str, Any]:
    """setup/authenticate/update with envoy-exporter's client; the error class name on failure."""
    from envoy_exporter.envoy import Envoy
    from envoy_exporter.envoy.exceptions import EnvoyError

    envoy = Envoy(sim.host)
    try:
        envoy.setup()
        envoy.authenticate(**credentials(sim))
        data = envoy.update()
        return _result(envoy, data)
    except EnvoyError as err:
        return {"error": type(err).__name__}
    finally:
        envoy.close()


def run_reference(sim: Any) -> dict[str, Any]:
    """The same with pyenphase 4.2.0, driven as Home Assistant drives it."""
    from pyenphase import Envoy as RefEnvoy
    from pyenphase.exceptions import EnvoyError as RefEnvoyError

    async def run() -> dict[str, Any]:
        # ACB batteries are not inverters: compare with the reference's corrected (v3) mode.
        envoy = RefEnvoy(sim.host, v2_acb_mode=False)
        try:
            await envoy.setup()
            await envoy.authenticate(**credentials(sim))
            data = await envoy.update()
            return _result(envoy, data)
        except RefEnvoyError as err:
            return {"error": type(err).__name__}
        finally:
            await envoy.close()

    return asyncio.run(run())


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Every path at which two plain values differ (floats within 1e-9 relative)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out: list[str] = []
        for key in sorted(set(ours) | set(theirs)):
            sub = f"{path}.{key}" if path else key
            if key not in ours or key not in theirs:
                # A model field only one side has is not a value difference (the reference
                # models more than the spec); a missing dict entry (an inverter, a phase) is.
                if MODEL not in ours or MODEL not in theirs:
                    out.append(f"{sub}: only in {'ours' if key in ours else 'reference'}")
                continue
            out += differences(ours[key], theirs[key], sub)
        return out
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d
            for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(ours, float) or isinstance(theirs, float):
        try:
            if abs(float(ours) - float(theirs)) <= 1e-9 * max(1.0, abs(float(theirs))):
                return []
        except (TypeError, ValueError):
            pass
    return [] if ours == theirs else [f"{path}: ours={ours!r} reference={theirs!r}"]
