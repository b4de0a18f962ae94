"""Site totals: solar production, total consumption and net consumption, whole and per phase."""

from __future__ import annotations

from .power import phase_power, site_power
from .spec import PRODUCTION_PARTS, WH_TO_JOULES, MetricSpec, keyed, metric, one

_SOURCE = "/production.json, /api/v1/production or /production"
_POWER_SOURCE = "/ivp/meters/readings activePower when CTs are installed, else " + _SOURCE


def _flow(
    prefix: str, attr: str, model: str, what: str, *, lifetime_counter: bool
) -> list[MetricSpec]:
    """The four values of one energy flow, for the site and per phase."""
    specs: list[MetricSpec] = []
    for scope, select, power, labels, infix in (
        ("site", one(attr, PRODUCTION_PARTS), site_power(prefix), (), ""),
        (
            "phase",
            keyed(f"{attr}_phases", PRODUCTION_PARTS),
            phase_power(prefix),
            ("phase",),
            "phase_",
        ),
    ):
        where = "" if scope == "site" else " on one phase (L1, L2, L3)"
        lifetime_name = (
            f"enphase_{prefix}_{infix}energy_joules_total"
            if lifetime_counter
            else f"enphase_{prefix}_{infix}energy_lifetime_joules"
        )
        specs += [
            metric(
                f"enphase_{prefix}_{infix}power_watts",
                f"Current {what} power{where}",
                model=model,
                field="watts_now",
                select=power,
                source=_POWER_SOURCE,
                labels=labels,
                unit="watts",
                subsystem="system",
            ),
            metric(
                lifetime_name,
                f"Lifetime {what} energy{where}"
                + ("" if lifetime_counter else "; imports minus exports, so it can go down"),
                model=model,
                field="watt_hours_lifetime",
                select=select,
                source=_SOURCE,
                labels=labels,
                unit="joules",
                scale=WH_TO_JOULES,
                kind="counter" if lifetime_counter else "gauge",
                subsystem="system",
            ),
            metric(
                f"enphase_{prefix}_{infix}energy_today_joules",
                f"{what.capitalize()} energy since midnight{where}",
                model=model,
                field="watt_hours_today",
                select=select,
                source=_SOURCE,
                labels=labels,
                unit="joules",
                scale=WH_TO_JOULES,
                subsystem="system",
            ),
            metric(
                f"enphase_{prefix}_{infix}energy_last_seven_days_joules",
                f"{what.capitalize()} energy of the last seven days, today excluded{where}",
                model=model,
                field="watt_hours_last_7_days",
                select=select,
                source=_SOURCE,
                labels=labels,
                unit="joules",
                scale=WH_TO_JOULES,
                subsystem="system",
            ),
        ]
    return specs


SPECS: tuple[MetricSpec, ...] = (
    *_flow(
        "production",
        "system_production",
        "EnvoySystemProduction",
        "solar production",
        lifetime_counter=True,
    ),
    *_flow(
        "consumption",
        "system_consumption",
        "EnvoySystemConsumption",
        "total (house) consumption",
        lifetime_counter=True,
    ),
    # Net consumption is grid import minus export: its "lifetime" goes down while exporting.
    *_flow(
        "net_consumption",
        "system_net_consumption",
        "EnvoySystemConsumption",
        "net consumption (grid import minus export)",
        lifetime_counter=False,
    ),
)
