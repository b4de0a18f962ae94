"""Fields every ensemble device shares (Encharge, Enpower, IQ Meter Collar, C6 Combiner)."""

from __future__ import annotations

from functools import partial

from .codes import ADMIN_STATE_NAMES, UNDOCUMENTED
from .spec import DataSelector, MetricSpec, metric


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
    """The shared device metrics (`fields` names which the model has), plus its temperature.

    The administrative state comes twice: the gateway's number (undocumented, kept as a gauge
    for the graphs that use it) and its name, as a state set.
    """
    device = partial(
        metric, subsystem=subsystem, model=model, select=select, source=source, labels=labels
    )
    specs = [
        device(
            f"enphase_{prefix}_admin_state",
            f"{what}: Administrative state code ({UNDOCUMENTED})",
            field="admin_state",
        ),
        device(
            f"enphase_{prefix}_admin_state_name",
            f"{what}: Administrative state as the gateway names it (admin_state_str)",
            field="admin_state_str",
            states=ADMIN_STATE_NAMES[prefix],
        ),
        device(
            f"enphase_{prefix}_comm_level_2_4_ghz",
            f"{what}: 2.4 GHz radio signal level (0-5)",
            field="comm_level_2_4_ghz",
        ),
        device(
            f"enphase_{prefix}_comm_level_sub_ghz",
            f"{what}: Sub-GHz radio signal level (0-5)",
            field="comm_level_sub_ghz",
        ),
        device(
            f"enphase_{prefix}_communicating",
            f"{what}: 1 when the device communicates with the gateway",
            field="communicating",
        ),
        device(
            f"enphase_{prefix}_operating",
            f"{what}: 1 when the device is operating",
            field="operating",
        ),
        device(
            f"enphase_{prefix}_firmware_loaded_timestamp_seconds",
            f"{what}: Time its firmware was loaded (Unix seconds)",
            field="firmware_loaded_date",
            unit="seconds",
        ),
        device(
            f"enphase_{prefix}_installed_timestamp_seconds",
            f"{what}: Time it was installed (Unix seconds)",
            field="installed_date",
            unit="seconds",
        ),
        device(
            f"enphase_{prefix}_last_report_timestamp_seconds",
            f"{what}: Time of its last report to the gateway (Unix seconds)",
            field="last_report_date",
            unit="seconds",
        ),
        device(
            f"enphase_{prefix}_temperature_celsius",
            f"{what}: temperature",
            field="temperature",
            unit="celsius",
        ),
    ]
    # `fields` names those the model has; the name of the state goes with its number
    wanted = {*fields, *(("admin_state_str",) if "admin_state" in fields else ())}
    return [spec for spec in specs if spec.covers[0].partition(".")[2] in wanted]
