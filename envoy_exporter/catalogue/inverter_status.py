"""Microinverter health from the inventory (and device data's modGone), one series per
inverter serial."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from .spec import DataSelector, MetricSpec, Sample, keyed, metric

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..envoy.models.envoy import EnvoyData

_SOURCE = "/inventory.json"
_MODEL = "EnvoyInverterStatus"
_SELECT = keyed("inverter_status", ("inverter_status",))
#: the inverters' reports, which /ivp/pdm/device_data fills where the gateway has it
_REPORTS = keyed("inverters", ("inverters", "device_data_inverters"))
#: the flag of an inverter device data marks modGone, in the gateway's word
MOD_GONE = "pdm.modGone"

#: what device data says of each inverter, and why only modGone is a flag (docs/metrics.md)
DEVICE_DATA_NOTE = (
    "`/ivp/pdm/device_data` (firmware 8.2.4345 and later; read in place of "
    "`/api/v1/production/inverters` where it lists every inverter) carries, per inverter, "
    "`active` (an inactive device, a removed inverter, is left out), `modGone` (the flag "
    f"`{MOD_GONE}` of `enphase_inverter_status_flag`: on the one gateway of the capture "
    "corpus that has both answers it marks the inverters the inventory calls not "
    "communicating; elsewhere it marks removed ones) and, in its last "
    "reading, a `flags` bitfield, `pwrConvErrSecs`, `pwrConvMaxErrCycles`, `rssi` and "
    "`issi`. No public document gives the bits of `flags` (real gateways show 0, 0x200000 "
    "on inverters the inventory calls not communicating, 0x300000 on every inverter of "
    "another gateway), so no flag guesses at them; the power conversion error counts were 0 "
    "on every gateway of the capture corpus and the radio levels have no published scale: "
    "they are left out until their meaning is known. The inventory (`/inventory.json`) "
    "stays the source of `producing`, `communicating`, `provisioned`, `operating` and the "
    "named condition flags."
)


def _every_flag(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    flags: dict[str, set[str]] = {}
    for (serial,), status in _SELECT(data):
        flags.setdefault(serial, set()).update(status.status_flags)
    for (serial,), inverter in _REPORTS(data):
        if getattr(inverter, "mod_gone", None):
            flags.setdefault(serial, set()).add(MOD_GONE)
    for serial in sorted(flags):
        yield (serial,), tuple(sorted(flags[serial]))


_FLAGS = DataSelector(_SELECT.reads + _REPORTS.reads, _SELECT.parts + _REPORTS.parts, _every_flag)

_status = partial(
    metric,
    subsystem="inverters",
    source=_SOURCE,
    model=_MODEL,
    select=_SELECT,
    labels=("serial",),
)


def _flags(snapshot: Snapshot) -> Iterator[Sample]:
    # Only the flags raised: the gateway's set of condition flags is long and undocumented,
    # so a 0 for every known one would multiply the series by dozens per inverter.
    if snapshot.data is None:
        return
    for (serial,), flags in _FLAGS(snapshot.data):
        for flag in flags:
            yield Sample((serial, flag), 1.0)


SPECS: tuple[MetricSpec, ...] = (
    _status(
        "enphase_inverter_producing",
        "1 when the gateway's inventory says the inverter is producing",
        field="producing",
    ),
    _status(
        "enphase_inverter_communicating",
        "1 when the gateway's inventory says the inverter communicates with it",
        field="communicating",
    ),
    _status(
        "enphase_inverter_provisioned",
        "1 when the inverter is provisioned on the gateway",
        field="provisioned",
    ),
    _status(
        "enphase_inverter_operating",
        "1 when the gateway's inventory says the inverter is operating",
        field="operating",
    ),
    _status(
        "enphase_inverter_status_flag",
        "1 for each device status flag the gateway reports for the inverter, its prefix "
        '(envoy.cond_flags., envoy.global.) left out; "ok" when nothing is wrong; '
        f'"{MOD_GONE}" where /ivp/pdm/device_data marks the inverter modGone',
        field="status_flags",
        select=_FLAGS,
        extract=_flags,
        labels=("serial", "flag"),
        source=f"{_SOURCE} and /ivp/pdm/device_data",
        covers=("EnvoyInverterStatus.status_flags", "EnvoyInverter.mod_gone"),
    ),
)
