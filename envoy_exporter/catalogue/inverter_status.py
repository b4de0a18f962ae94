"""Microinverter health from the inventory, one series per inverter serial."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from .spec import MetricSpec, Sample, keyed, metric

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot

_SOURCE = "/inventory.json"
_MODEL = "EnvoyInverterStatus"
_SELECT = keyed("inverter_status", ("inverter_status",))

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
    for (serial,), status in _SELECT(snapshot.data):
        for flag in status.status_flags:
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
        '(envoy.cond_flags., envoy.global.) left out; "ok" when nothing is wrong',
        field="status_flags",
        extract=_flags,
        labels=("serial", "flag"),
    ),
)
