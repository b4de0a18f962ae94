"""Fields every ensemble device shares (Encharge, Enpower, IQ Meter Collar, C6 Combiner)."""

from __future__ import annotations

from .spec import DataSelector, MetricSpec, celsius_metric, field_metric

_COMMON: dict[str, tuple[str, str, str]] = {
    # model field: (metric suffix, help, unit)
    "admin_state": ("admin_state", "Administrative state code", ""),
    "comm_level_2_4_ghz": ("comm_level_2_4_ghz", "2.4 GHz radio signal level (0-5)", ""),
    "comm_level_sub_ghz": ("comm_level_sub_ghz", "Sub-GHz radio signal level (0-5)", ""),
    "communicating": ("communicating", "1 when the device communicates with the gateway", ""),
    "operating": ("operating", "1 when the device is operating", ""),
    "firmware_loaded_date": (
        "firmware_loaded_timestamp_seconds",
        "Time its firmware was loaded (Unix seconds)",
        "seconds",
    ),
    "installed_date": (
        "installed_timestamp_seconds",
        "Time it was installed (Unix seconds)",
        "seconds",
    ),
    "last_report_date": (
        "last_report_timestamp_seconds",
        "Time of its last report to the gateway (Unix seconds)",
        "seconds",
    ),
}


def device_specs(
    prefix: str,
    what: str,
    *,
    model: str,
    select: DataSelector,
    source: str,
    fields: tuple[str, ...],
    labels: tuple[str, ...] = (),
    subsystem: str,
) -> list[MetricSpec]:
    """The shared device metrics (`fields` names which the model has), plus its temperature."""
    specs = [
        field_metric(
            f"enphase_{prefix}_{_COMMON[f][0]}",
            f"{what}: {_COMMON[f][1]}",
            model=model,
            field=f,
            select=select,
            source=source,
            labels=labels,
            unit=_COMMON[f][2],
            subsystem=subsystem,
        )
        for f in fields
        if f in _COMMON
    ]
    if "temperature" in fields:
        specs.append(
            celsius_metric(
                f"enphase_{prefix}_temperature_celsius",
                f"{what}: temperature",
                model=model,
                field="temperature",
                select=select,
                source=source,
                labels=labels,
                subsystem=subsystem,
            )
        )
    return specs
