"""Current transformers (CT meters): one series per CT type, and per CT type and phase."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from .spec import (
    WH_TO_JOULES,
    DataSelector,
    MetricSpec,
    Sample,
    metric,
)

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..envoy.models.envoy import EnvoyData

_SOURCE = "/ivp/meters/readings and /ivp/meters"
_MODEL = "EnvoyMeterData"
_METERING_STATES = ("normal", "not-metering", "check-wiring")
_CT_STATES = ("enabled", "disabled")
_FLAGS = (
    "production-imbalance",
    "negative-production",
    "power-on-unused-phase",
    "negative-total-consumption",
)
# EnvoyData attribute -> the CT type when the meter does not say it itself.
_METERS = (
    ("ctmeter_production", "production"),
    ("ctmeter_consumption", "consumption"),
    ("ctmeter_storage", "storage"),
)


def _ct_type(meter: Any, default: str) -> str:
    kind = getattr(meter, "measurement_type", None)
    return str(kind) if kind else default


def _ct_meters(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each installed CT, labelled by its type (production, net-consumption, ...)."""
    for attr, default in _METERS:
        meter = getattr(data, attr, None)
        if meter is not None:
            yield (_ct_type(meter, default),), meter


def _ct_phases(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each phase of each CT, labelled by CT type and phase."""
    for attr, default in _METERS:
        meter = getattr(data, attr, None)
        phases = getattr(data, f"{attr}_phases", None) or {}
        for phase in sorted(phases):
            if phases[phase] is not None:
                yield (_ct_type(meter or phases[phase], default), str(phase)), phases[phase]


_PARTS = ("meters",)
ct_meters = DataSelector(tuple(attr for attr, _ in _METERS), _PARTS, _ct_meters)
ct_phases = DataSelector(
    tuple(name for attr, _ in _METERS for name in (attr, f"{attr}_phases")), _PARTS, _ct_phases
)


def _status_flags(snapshot: Snapshot) -> Iterator[Sample]:
    if snapshot.data is None:
        return
    for (ct,), meter in ct_meters(snapshot.data):
        active = {str(flag) for flag in (getattr(meter, "status_flags", None) or [])}
        for flag in _FLAGS:
            yield Sample((ct, flag), 1.0 if flag in active else 0.0)
        for flag in sorted(active - set(_FLAGS)):
            yield Sample((ct, flag), 1.0)


def _readings(scope: str) -> list[MetricSpec]:
    phase = scope == "phase"
    select = ct_phases if phase else ct_meters
    labels: tuple[str, ...] = ("ct", "phase") if phase else ("ct",)
    infix = "phase_" if phase else ""
    where = " on one phase" if phase else " (all phases)"

    ct = partial(
        metric, subsystem="meters", model=_MODEL, select=select, source=_SOURCE, labels=labels
    )
    return [
        ct(
            f"enphase_ct_{infix}power_watts",
            "Active power through the CT, positive when delivering" + where,
            field="active_power",
            unit="watts",
        ),
        ct(
            f"enphase_ct_{infix}energy_delivered_joules_total",
            "Lifetime energy delivered through the CT" + where,
            field="energy_delivered",
            unit="joules",
            scale=WH_TO_JOULES,
            kind="counter",
        ),
        ct(
            f"enphase_ct_{infix}energy_received_joules_total",
            "Lifetime energy received through the CT" + where,
            field="energy_received",
            unit="joules",
            scale=WH_TO_JOULES,
            kind="counter",
        ),
        ct(
            f"enphase_ct_{infix}power_factor",
            "Power factor measured by the CT (-1 to 1)" + where,
            field="power_factor",
            unit="",
        ),
        ct(
            f"enphase_ct_{infix}voltage_volts",
            (
                "Voltage measured by the CT; the gateway sums the phases' voltages in the "
                "all-phase reading"
                if not phase
                else "Voltage measured by the CT"
            )
            + where,
            field="voltage",
            unit="volts",
        ),
        ct(
            f"enphase_ct_{infix}current_amperes",
            "Current measured by the CT" + where,
            field="current",
            unit="amperes",
        ),
        ct(
            f"enphase_ct_{infix}frequency_hertz",
            "Grid frequency measured by the CT" + where,
            field="frequency",
            unit="hertz",
        ),
    ]


SPECS: tuple[MetricSpec, ...] = (
    *_readings("site"),
    *_readings("phase"),
    metric(
        "enphase_ct_reading_timestamp_seconds",
        "Time of the CT reading (Unix seconds)",
        model=_MODEL,
        field="timestamp",
        select=ct_meters,
        source=_SOURCE,
        labels=("ct",),
        unit="seconds",
        subsystem="meters",
    ),
    metric(
        "enphase_ct_metering_status",
        "Metering status of the CT",
        model=_MODEL,
        field="metering_status",
        select=ct_meters,
        source=_SOURCE,
        states=_METERING_STATES,
        labels=("ct",),
        state_label="status",
        subsystem="meters",
    ),
    metric(
        "enphase_ct_state",
        "Configured state of the CT",
        model=_MODEL,
        field="state",
        select=ct_meters,
        source=_SOURCE,
        states=_CT_STATES,
        labels=("ct",),
        subsystem="meters",
    ),
    metric(
        "enphase_ct_status_flag",
        "1 for each status flag the CT raises, 0 for known flags it does not",
        subsystem="meters",
        source=_SOURCE,
        model=_MODEL,
        field="status_flags",
        select=ct_meters,
        extract=_status_flags,
        labels=("ct", "flag"),
    ),
)
