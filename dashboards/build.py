"""Writes the Grafana dashboards (dashboards/*.json) from the tables below.

    python dashboards/build.py          # rewrite the JSON files
    python dashboards/build.py --check  # exit 1 when a JSON file is stale

The JSON files are what users import; this script only keeps five dashboards consistent
(same variables, same datasource handling, same layout rules). tests/test_dashboards.py
fails when a JSON file differs from what this script writes.

Every query filters on `job=~"$job", instance=~"$instance"` and keeps `instance` in its
legend, so the dashboards serve one gateway or a fleet scraped through /probe.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job", instance=~"$instance"'
JSON = dict[str, Any]


def m(name: str, extra: str = "") -> str:
    """A selector of `name` restricted to the chosen jobs and instances."""
    return f"{name}{{{SEL}{', ' + extra if extra else ''}}}"


#: either export limit: set at commissioning, or dynamic (firmware 8)
EXPORT_LIMITS = '__name__=~"enphase_(dynamic_)?export_limit_enabled"'

# -- panels ---------------------------------------------------------------------------------


def target(expr: str, legend: str = "{{instance}}", *, instant: bool = False, **kw: Any) -> JSON:
    t: JSON = {"datasource": DS, "expr": expr, "legendFormat": legend, "range": not instant}
    t["instant"] = instant
    if kw.get("table"):
        t["format"] = "table"
    if kw.get("interval"):
        t["interval"] = kw["interval"]
    return t


#: every option panel() takes beyond its parameters; anything else is a typo, not a no-op
PANEL_OPTIONS = frozenset(
    {"color_mode", "min", "max", "decimals", "thresholds", "mappings", "custom", "overrides"}
    | {"timeFrom", "transformations", "maxDataPoints"}
)


def _field_config(unit: str, **kw: Any) -> JSON:
    unknown = sorted(set(kw) - PANEL_OPTIONS)
    if unknown:
        raise TypeError(f"unknown panel option(s): {', '.join(unknown)}")
    defaults: JSON = {"unit": unit, "color": {"mode": kw.get("color_mode", "palette-classic")}}
    if "min" in kw:
        defaults["min"] = kw["min"]
    if "max" in kw:
        defaults["max"] = kw["max"]
    if "decimals" in kw:
        defaults["decimals"] = kw["decimals"]
    if "thresholds" in kw:
        defaults["thresholds"] = {"mode": "absolute", "steps": kw["thresholds"]}
    if "mappings" in kw:
        defaults["mappings"] = kw["mappings"]
    if "custom" in kw:
        defaults["custom"] = kw["custom"]
    return {"defaults": defaults, "overrides": kw.get("overrides", [])}


def panel(
    kind: str,
    title: str,
    targets: list[JSON],
    *,
    w: int,
    h: int,
    unit: str = "",
    description: str = "",
    options: JSON | None = None,
    **kw: Any,
) -> JSON:
    p: JSON = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"w": w, "h": h},
        "targets": [{**t, "refId": chr(ord("A") + i)} for i, t in enumerate(targets)],
        "fieldConfig": _field_config(unit, **kw),
        "options": options or {},
    }
    for key in ("timeFrom", "transformations", "maxDataPoints"):
        if key in kw:
            p[key] = kw[key]
    return p


def _green_red(limit: float) -> list[JSON]:
    return [{"color": "green", "value": None}, {"color": "red", "value": limit}]


def _green() -> list[JSON]:
    return [{"color": "green", "value": None}]


def stat(title: str, targets: list[JSON], unit: str, *, w: int = 4, h: int = 4, **kw: Any) -> JSON:
    options = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": kw.pop("color", "value"),
        "graphMode": kw.pop("graph", "area"),
        "textMode": "auto",
        "justifyMode": "auto",
        "orientation": "auto",
    }
    kw.setdefault("thresholds", _green())
    return panel("stat", title, targets, w=w, h=h, unit=unit, options=options, **kw)


def gauge(title: str, targets: list[JSON], *, w: int = 4, h: int = 6, **kw: Any) -> JSON:
    options = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "showThresholdLabels": False,
        "showThresholdMarkers": True,
    }
    kw.setdefault(
        "thresholds",
        [
            {"color": "red", "value": None},
            {"color": "orange", "value": 0.2},
            {"color": "green", "value": 0.5},
        ],
    )
    return panel(
        "gauge",
        title,
        targets,
        w=w,
        h=h,
        unit="percentunit",
        min=0,
        max=1,
        options=options,
        color_mode="thresholds",
        **kw,
    )


def timeseries(
    title: str,
    targets: list[JSON],
    unit: str,
    *,
    w: int = 12,
    h: int = 8,
    stack: bool = False,
    bars: bool = False,
    **kw: Any,
) -> JSON:
    custom = {
        "drawStyle": "bars" if bars else "line",
        "lineWidth": 1,
        "fillOpacity": 80 if bars else 10,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "axisPlacement": "auto",
    }
    options = {
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    kw.setdefault("thresholds", _green())
    return panel(
        "timeseries", title, targets, w=w, h=h, unit=unit, custom=custom, options=options, **kw
    )


def state_timeline(
    title: str,
    targets: list[JSON],
    mappings: list[JSON],
    *,
    w: int = 12,
    h: int = 8,
    kind: str = "state-timeline",
    **kw: Any,
) -> JSON:
    options = {
        "showValue": "auto",
        "mergeValues": True,
        "rowHeight": 0.9,
        "alignValue": "left",
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "single", "sort": "none"},
    }
    if kind == "status-history":
        options = {k: v for k, v in options.items() if k not in ("mergeValues", "alignValue")}
    kw.setdefault("thresholds", _green())
    return panel(
        kind,
        title,
        targets,
        w=w,
        h=h,
        mappings=mappings,
        options=options,
        color_mode="thresholds",
        **kw,
    )


def table(
    title: str,
    targets: list[JSON],
    *,
    w: int = 12,
    h: int = 8,
    unit: str = "",
    transformations: list[JSON] | None = None,
    sort_by: str = "",
    **kw: Any,
) -> JSON:
    options: JSON = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": False}]
    kw.setdefault("thresholds", _green())
    return panel(
        "table",
        title,
        targets,
        w=w,
        h=h,
        unit=unit,
        options=options,
        transformations=transformations or [],
        **kw,
    )


def bargauge(
    title: str, targets: list[JSON], unit: str, *, w: int = 12, h: int = 8, **kw: Any
) -> JSON:
    options = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "orientation": "horizontal",
        "displayMode": "gradient",
        "showUnfilled": True,
    }
    kw.setdefault("thresholds", _green())
    return panel(
        "bargauge",
        title,
        targets,
        w=w,
        h=h,
        unit=unit,
        options=options,
        color_mode="continuous-GrYlRd",
        **kw,
    )


def heatmap(title: str, targets: list[JSON], unit: str, *, w: int = 12, h: int = 8) -> JSON:
    options = {
        "calculate": True,
        "calculation": {"yBuckets": {"mode": "count", "value": "20"}},
        "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64},
        "yAxis": {"unit": unit},
        "cellGap": 1,
        "tooltip": {"show": True, "yHistogram": True},
        "legend": {"show": True},
    }
    return panel("heatmap", title, targets, w=w, h=h, unit=unit, options=options)


def _merged(columns: Iterable[str], *hidden: str) -> list[JSON]:
    """A table's transformations: its queries' rows joined on their labels, each query's
    value named, the time (and `hidden` labels) left out."""
    rename = {f"Value #{chr(ord('A') + i)}": name for i, name in enumerate(columns)}
    exclude = dict.fromkeys(("Time", *hidden), True)
    organize = {"excludeByName": exclude, "renameByName": rename}
    return [{"id": "merge", "options": {}}, {"id": "organize", "options": organize}]


def row(title: str) -> JSON:
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "gridPos": {"w": 24, "h": 1},
        "panels": [],
    }


# -- value mappings -------------------------------------------------------------------------


def _value_map(entries: dict[str, tuple[str, str]]) -> list[JSON]:
    options = {
        value: {"text": text, "color": color, "index": i}
        for i, (value, (text, color)) in enumerate(entries.items())
    }
    return [{"type": "value", "options": options}]


FLAG_MAP = _value_map({"0": ("clear", "green"), "1": ("set", "red")})
METERING_MAP = _value_map(
    {
        "0": ("unknown", "purple"),
        "1": ("normal", "green"),
        "2": ("not metering", "orange"),
        "3": ("check wiring", "red"),
    }
)
LIMIT_MAP = _value_map({"0": ("off", "green"), "1": ("on", "orange")})
GRID_MAP = _value_map({"0": ("off grid (relay open)", "red"), "1": ("on grid", "green")})
UP_MAP = _value_map({"0": ("down", "red"), "1": ("up", "green")})
YES_MAP = _value_map({"0": ("no", "red"), "1": ("yes", "green")})
OK_MAP = _value_map({"0": ("failed", "red"), "1": ("ok", "green")})
STORAGE_MAP = _value_map(
    {
        "1": ("backup", "blue"),
        "2": ("self-consumption", "green"),
        "3": ("economy", "yellow"),
        "4": ("savings mode", "orange"),
    }
)

# -- queries used more than once ------------------------------------------------------------

KWH = " / 3.6e6"
PRODUCTION_W = f"sum by (instance) ({m('enphase_production_power_watts')})"
CONSUMPTION_W = f"sum by (instance) ({m('enphase_consumption_power_watts')})"
NET_W = f"sum by (instance) ({m('enphase_net_consumption_power_watts')})"
NET_CT = 'ct="net-consumption"'
RELAY_CLOSED = 'state="closed"'
DECREASES = "enphase_exporter_counter_decreases_total"
NOT_2XX = 'code!~"2.."'
NOT_OK = 'flag!="ok"'


#: the grid_metering variable's choices, the values of the label `metering` of the recording
#: rules instance:enphase_grid_{import,export}_energy_joules:increase{1h,1d}
GRID_METERING = ("phase-balanced", "per-phase")
METERING = 'metering="$grid_metering"'
#: the net-consumption CT's counter that each side of the grid reads per phase
GRID_CT_COUNTER = {"import": "delivered", "export": "received"}


GRID_METERING_HELP = (
    "Counted as the grid metering variable says: phase-balanced (the phases summed at each "
    "reading, as most European meters count) or per-phase (each phase's import and export on "
    "its own). Which one your bill follows: docs/metrics.md."
)


def grid_energy(side: str) -> str:
    """kWh imported or exported over the panel's time range, counted as $grid_metering says,
    the two ways of the grid recording rules (alerts/envoy.rules.yml)."""
    ct = GRID_CT_COUNTER[side]

    def added(counter: str, extra: str = "") -> str:
        return f"sum by (instance) (increase({m(counter, extra)}[$__range]))"

    balanced = added(f"enphase_grid_{side}_energy_joules_total")
    per_phase = (
        f"{added(f'enphase_ct_phase_energy_{ct}_joules_total', NET_CT)}"
        f" or {added(f'enphase_ct_energy_{ct}_joules_total', NET_CT)}"
    )
    return _by_metering(balanced, per_phase) + KWH


def grid_power(side: str) -> str:
    """Power drawn from (import) or sent to (export) the grid now, as $grid_metering counts
    it: the net power of all phases, or each phase's on its own (one phase: the same)."""
    sign = "" if side == "import" else "-"
    balanced = f"clamp_min({sign}{NET_W}, 0)"
    phases = m("enphase_net_consumption_phase_power_watts")
    return _by_metering(balanced, f"sum by (instance) (clamp_min({sign}{phases}, 0)) or {balanced}")


def _by_metering(balanced: str, per_phase: str) -> str:
    """The query of the way $grid_metering picks, each labelled as the recording rules are."""
    both = " or ".join(
        f'label_replace({query}, "metering", "{way}", "", "")'
        for way, query in zip(GRID_METERING, (balanced, per_phase), strict=True)
    )
    chosen = 'label_replace(vector(1), "metering", "$grid_metering", "", "")'
    return f"sum by (instance) (({both}) and on (metering) {chosen})"


def energy(counter: str, extra: str = "", by: str = "instance") -> str:
    """kWh added to a lifetime counter over the panel's time range."""
    return f"sum by ({by}) (increase({m(counter, extra)}[$__range])){KWH}"


def daily(metric: str, extra: str = "", window: str = "1d") -> str:
    """kWh of the last 24 hours (or `window`), from the recording rule
    instance:<metric>:increase<window>."""
    return f"sum by (instance) ({m(f'instance:enphase_{metric}:increase{window}', extra)}){KWH}"


def _state_code(metric: str, label: str, codes: Iterable[tuple[str, int]], by: str) -> str:
    """A state set folded into one number (the code of the current state), for timelines."""
    parts = [m(metric, f'{label}="{state}"') + f" * {code}" for state, code in codes]
    return f"max by ({by}) ({' or '.join(parts)})"


METERING_CODE = _state_code(
    "enphase_ct_metering_status",
    "status",
    (("normal", 1), ("not-metering", 2), ("check-wiring", 3)),
    "instance, ct",
)
STORAGE_CODE = _state_code(
    "enphase_storage_mode",
    "mode",
    (("backup", 1), ("self-consumption", 2), ("economy", 3), ("savings-mode", 4)),
    "instance",
)
SINCE_REPORT = f"time() - {m('enphase_inverter_last_report_timestamp_seconds')}"


# -- the dashboards -------------------------------------------------------------------------


def overview() -> list[JSON]:
    today: JSON = {"timeFrom": "now/d"}
    month: JSON = {"timeFrom": "now/M"}
    # IQ and AC Batteries combined when the site has AC Batteries, else the IQ Batteries.
    soc = " or ".join(
        f"avg by (instance) ({m(name)})"
        for name in (
            "enphase_battery_state_of_charge_ratio",
            "enphase_encharge_aggregate_state_of_charge_ratio",
        )
    )
    return [
        stat("Production now", [target(PRODUCTION_W)], "watt"),
        stat(
            "Production limit",
            [target(f"max by (instance) ({m('enphase_production_limit_ratio')})")],
            "percentunit",
            graph="none",
            description=(
                "The production limit the gateway applies, as a share of the inverters' rating: "
                "100 % is no limit. A lower figure caps production below what the sun gives "
                "(/ivp/sc/pvlimit)."
            ),
        ),
        stat(
            "Export limit",
            [target(f"max by (instance) ({m('', EXPORT_LIMITS)})")],
            "none",
            graph="none",
            mappings=LIMIT_MAP,
            description=(
                "Whether a power export limit is on: the one set at commissioning "
                "(/ivp/ss/pel_settings) or a dynamic one an app or installer sets at run time "
                "(/ivp/ss/dpel, firmware 8). Their watts are in enphase_export_limit_watts, "
                "enphase_dynamic_export_limit_watts and enphase_dynamic_production_limit_watts."
            ),
        ),
        stat("Consumption now", [target(CONSUMPTION_W)], "watt"),
        stat(
            "Grid import now",
            [target(grid_power("import"))],
            "watt",
            description="Power drawn from the grid (net consumption above zero). "
            + GRID_METERING_HELP,
        ),
        stat(
            "Grid export now",
            [target(grid_power("export"))],
            "watt",
            description="Power sent to the grid (net consumption below zero). "
            + GRID_METERING_HELP,
        ),
        gauge(
            "Self-consumption now",
            [target(f"sum by (instance) ({m('instance:enphase_self_consumption:ratio')})")],
            description="Share of the solar production used on site rather than exported.",
        ),
        gauge(
            "Self-sufficiency now",
            [target(f"sum by (instance) ({m('instance:enphase_self_sufficiency:ratio')})")],
            description="Share of the consumption covered without importing from the grid.",
        ),
        stat(
            "Production today",
            [target(energy("enphase_production_energy_joules_total"), instant=True)],
            "kwatth",
            graph="none",
            decimals=1,
            description=(
                "increase() of the lifetime counter since midnight (dashboard time zone): "
                "the gateway's own today counter resets late on some firmware."
            ),
            **today,
        ),
        stat(
            "Production this month",
            [target(energy("enphase_production_energy_joules_total"), instant=True)],
            "kwatth",
            graph="none",
            decimals=0,
            **month,
        ),
        stat(
            "Consumption today",
            [target(energy("enphase_consumption_energy_joules_total"), instant=True)],
            "kwatth",
            graph="none",
            decimals=1,
            **today,
        ),
        stat(
            "Consumption this month",
            [target(energy("enphase_consumption_energy_joules_total"), instant=True)],
            "kwatth",
            graph="none",
            decimals=0,
            **month,
        ),
        stat(
            "Grid import today",
            [target(grid_energy("import"), instant=True)],
            "kwatth",
            graph="none",
            decimals=1,
            description=GRID_METERING_HELP,
            **today,
        ),
        stat(
            "Grid export today",
            [target(grid_energy("export"), instant=True)],
            "kwatth",
            graph="none",
            decimals=1,
            description=GRID_METERING_HELP,
            **today,
        ),
        timeseries(
            "Power",
            [
                target(PRODUCTION_W, "{{instance}} production"),
                target(CONSUMPTION_W, "{{instance}} consumption"),
                target(NET_W, "{{instance}} net import (export below 0)"),
            ],
            "watt",
            w=16,
            h=9,
        ),
        gauge(
            "Self-consumption, last 24 h",
            [target(f"sum by (instance) ({m('instance:enphase_self_consumption:ratio1d')})")],
            h=9,
            description="From the daily recording rules on the lifetime counters.",
        ),
        gauge(
            "Self-sufficiency, last 24 h",
            [target(f"sum by (instance) ({m('instance:enphase_self_sufficiency:ratio1d')})")],
            h=9,
        ),
        timeseries(
            "Energy over the last 24 h",
            [
                target(
                    daily("production_energy_joules"),
                    "{{instance}} production",
                ),
                target(
                    daily("consumption_energy_joules"),
                    "{{instance}} consumption",
                ),
                target(daily("grid_import_energy_joules", METERING), "{{instance}} import"),
                target(daily("grid_export_energy_joules", METERING), "{{instance}} export"),
            ],
            "kwatth",
            w=12,
            description="Rolling 24-hour sums (recording rules *:increase1d); grid import and "
            "export counted as the grid metering variable says.",
        ),
        timeseries(
            "Daily energy",
            [
                target(
                    energy("enphase_production_energy_joules_total").replace(
                        "$__range", "$__interval"
                    ),
                    "{{instance}} production",
                    interval="1d",
                ),
                target(
                    energy("enphase_consumption_energy_joules_total").replace(
                        "$__range", "$__interval"
                    ),
                    "{{instance}} consumption",
                    interval="1d",
                ),
            ],
            "kwatth",
            w=12,
            bars=True,
            description="One bar per day (query interval 1d).",
        ),
        timeseries(
            "Grid import and export per hour",
            [
                target(daily("grid_import_energy_joules", METERING, "1h"), "{{instance}} import"),
                target(daily("grid_export_energy_joules", METERING, "1h"), "{{instance}} export"),
            ],
            "kwatth",
            w=12,
            description="Rolling one-hour sums (recording rules *:increase1h). "
            + GRID_METERING_HELP,
        ),
        bargauge(
            "Grid metering compared, last 24 h",
            [
                target(
                    f"sum by (instance, metering) "
                    f"({m(f'instance:enphase_grid_{side}_energy_joules:increase1d')}){KWH}",
                    f"{{{{instance}}}} {side} {{{{metering}}}}",
                )
                for side in GRID_CT_COUNTER
            ],
            "kwatth",
            w=12,
            description="Both ways of counting side by side: per-phase exceeds phase-balanced "
            "by what one phase exported while another imported. Which one your bill "
            "follows: docs/metrics.md.",
        ),
        gauge("Battery charge", [target(soc)], h=7),
        timeseries(
            "Battery power",
            [
                target(
                    f"sum by (instance) ({m('enphase_encharge_power_watts')})",
                    "{{instance}} IQ Battery",
                ),
                target(
                    f"sum by (instance) ({m('enphase_acb_power_watts')})", "{{instance}} AC Battery"
                ),
            ],
            "watt",
            w=8,
            h=7,
            description="Positive while discharging, negative while charging.",
        ),
        timeseries(
            "Battery charge over time",
            [target(soc)],
            "percentunit",
            w=8,
            h=7,
            min=0,
            max=1,
        ),
        stat(
            "Grid",
            [target(f"max by (instance) ({m('enphase_enpower_mains_oper_state', RELAY_CLOSED)})")],
            "",
            h=7,
            graph="none",
            color="background",
            mappings=GRID_MAP,
            description="The system controller's grid relay: closed is on grid.",
        ),
    ]


def _per_phase(
    title: str, metric: str, unit: str, legend: str = "{{instance}} {{phase}}", **kw: Any
) -> JSON:
    return timeseries(title, [target(m(metric), legend)], unit, w=8, **kw)


def phases() -> list[JSON]:
    ct_phase = "{{instance}} {{ct}} {{phase}}"
    return [
        row("Per phase"),
        _per_phase("Production per phase", "enphase_production_phase_power_watts", "watt"),
        _per_phase("Consumption per phase", "enphase_consumption_phase_power_watts", "watt"),
        _per_phase(
            "Net consumption per phase",
            "enphase_net_consumption_phase_power_watts",
            "watt",
            description="Import above zero, export below.",
        ),
        _per_phase("CT power per phase", "enphase_ct_phase_power_watts", "watt", ct_phase),
        _per_phase("Voltage per phase", "enphase_ct_phase_voltage_volts", "volt", ct_phase),
        _per_phase("Current per phase", "enphase_ct_phase_current_amperes", "amp", ct_phase),
        _per_phase(
            "Power factor per phase",
            "enphase_ct_phase_power_factor",
            "none",
            ct_phase,
            min=-1,
            max=1,
        ),
        _per_phase("Frequency per phase", "enphase_ct_phase_frequency_hertz", "hertz", ct_phase),
        _per_phase(
            "CT power",
            "enphase_ct_power_watts",
            "watt",
            "{{instance}} {{ct}}",
            description="All phases of each CT.",
        ),
        row("CT health"),
        state_timeline(
            "Metering status per CT", [target(METERING_CODE, "{{instance}} {{ct}}")], METERING_MAP
        ),
        state_timeline(
            "Status flags per CT",
            [target(m("enphase_ct_status_flag"), "{{instance}} {{ct}} {{flag}}")],
            FLAG_MAP,
            description="Production imbalance, negative production, "
            "power on an unused phase, negative total consumption.",
        ),
        table(
            "CT energy today",
            [
                target(
                    energy("enphase_ct_energy_delivered_joules_total", by="instance, ct"),
                    instant=True,
                    table=True,
                ),
                target(
                    energy("enphase_ct_energy_received_joules_total", by="instance, ct"),
                    instant=True,
                    table=True,
                ),
            ],
            w=24,
            h=6,
            unit="kwatth",
            timeFrom="now/d",
            transformations=_merged(("delivered (kWh)", "received (kWh)")),
            description="For the net-consumption CT: delivered = imported, received = exported.",
        ),
    ]


def inverters() -> list[JSON]:
    power = m("enphase_inverter_power_watts")
    total = f"sum by (job, instance) ({power})"
    return [
        stat("Inverters", [target(f"count by (instance) ({power})")], "none", graph="none"),
        stat(
            "Inverters reporting (20 min)",
            [
                target(
                    f"count by (instance) (({SINCE_REPORT}) < 1200) "
                    f"or count by (instance) ({power}) * 0"
                )
            ],
            "none",
            graph="none",
        ),
        stat(
            "Inverters silent over 1 h",
            [
                target(
                    f"count by (instance) (({SINCE_REPORT}) > 3600) "
                    f"or count by (instance) ({power}) * 0"
                )
            ],
            "none",
            graph="none",
            color="background",
            thresholds=_green_red(1),
        ),
        stat("Inverter production now", [target(f"sum by (instance) ({power})")], "watt"),
        stat("Largest inverter now", [target(f"max by (instance) ({power})")], "watt"),
        stat("Smallest inverter now", [target(f"min by (instance) ({power})")], "watt"),
        state_timeline(
            "Power per inverter",
            [target(power, "{{instance}} {{serial}}")],
            [],
            kind="status-history",
            w=24,
            h=12,
            unit="watt",
            thresholds=[
                {"color": "#1f1f1f", "value": None},
                {"color": "dark-yellow", "value": 1},
                {"color": "yellow", "value": 100},
                {"color": "orange", "value": 200},
            ],
            description="One row per inverter, coloured by power: a heatmap "
            "where a dark row in daylight is an inverter that stopped.",
        ),
        heatmap("Distribution of inverter power", [target(power, "{{serial}}")], "watt"),
        bargauge(
            "Share of production per inverter",
            [
                target(
                    f"{power} / on (job, instance) group_left () ({total} > 0)",
                    "{{instance}} {{serial}}",
                )
            ],
            "percentunit",
            min=0,
            description="Each inverter's share of the site's inverter power now.",
        ),
        table(
            "Time since last report (silent first)",
            [
                target(f"sort_desc({SINCE_REPORT})", instant=True, table=True),
            ],
            unit="s",
            thresholds=[
                {"color": "green", "value": None},
                {"color": "orange", "value": 1200},
                {"color": "red", "value": 3600},
            ],
            transformations=[
                {
                    "id": "organize",
                    "options": {
                        "excludeByName": {"Time": True, "job": True},
                        "renameByName": {"Value": "since last report"},
                    },
                }
            ],
            description="Inverters report every 5 minutes or so; silent for over an hour in "
            "daylight is worth a look (alert EnvoyInverterSilent).",
        ),
        _inverter_table(power),
    ]


def _inverter_table(power: str) -> JSON:
    def per_serial(metric: str, extra: str = "") -> str:
        return f"max by (job, instance, serial) ({m(metric, extra)})"

    median = m("instance:enphase_inverter_power_watts:median")
    flags = "enphase_inverter_status_flag"
    columns = {
        "producing": per_serial("enphase_inverter_producing"),
        "communicating": per_serial("enphase_inverter_communicating"),
        "flags raised": f"count by (job, instance, serial) ({m(flags, NOT_OK)})"
        f" or count by (job, instance, serial) ({m(flags)}) * 0",
        "power": per_serial("enphase_inverter_power_watts"),
        "max power": per_serial("enphase_inverter_max_power_watts"),
        "vs site median": f"{per_serial('enphase_inverter_power_watts')}"
        f" / on (job, instance) group_left () ({median} > 0)",
    }

    def column(name: str, *properties: JSON) -> JSON:
        return {"matcher": {"id": "byName", "options": name}, "properties": list(properties)}

    state = (
        {"id": "unit", "value": "none"},
        {"id": "mappings", "value": YES_MAP},
        {"id": "custom.cellOptions", "value": {"type": "color-text"}},
    )
    return table(
        "Inverters: state and output against the site median",
        [target(expr, instant=True, table=True) for expr in columns.values()],
        w=24,
        h=10,
        unit="watt",
        sort_by="vs site median",
        transformations=_merged(columns, "job"),
        overrides=[
            column("producing", *state),
            column("communicating", *state),
            column(
                "flags raised",
                {"id": "unit", "value": "none"},
                {"id": "thresholds", "value": {"mode": "absolute", "steps": _green_red(1)}},
                {"id": "custom.cellOptions", "value": {"type": "color-text"}},
            ),
            column(
                "vs site median",
                {"id": "unit", "value": "percentunit"},
                {
                    "id": "thresholds",
                    "value": {
                        "mode": "absolute",
                        "steps": [
                            {"color": "red", "value": None},
                            {"color": "orange", "value": 0.5},
                            {"color": "green", "value": 0.8},
                        ],
                    },
                },
                {"id": "custom.cellOptions", "value": {"type": "color-background"}},
            ),
        ],
        description="Each microinverter's state in the gateway's inventory (read hourly), "
        "the status flags it raises besides ok, and its last report against the median "
        "inverter of its gateway (recording rule instance:enphase_inverter_power_watts:median), "
        "lowest first: far under 100 % in daylight is shade, dirt or a failing panel "
        "(alert EnvoyInverterUnderperforming).",
    )


def batteries() -> list[JSON]:
    serial = "{{instance}} {{serial}}"
    return [
        row("IQ Batteries (Encharge)"),
        timeseries(
            "State of charge per battery",
            [target(m("enphase_encharge_state_of_charge_ratio"), serial)],
            "percentunit",
            w=8,
            min=0,
            max=1,
        ),
        timeseries(
            "Power per battery",
            [target(m("enphase_encharge_power_watts"), serial)],
            "watt",
            w=8,
            description="Positive while discharging.",
        ),
        timeseries(
            "Temperature per battery",
            [
                target(m("enphase_encharge_temperature_celsius"), serial),
                target(
                    m("enphase_encharge_max_cell_temperature_celsius"), serial + " hottest cell"
                ),
            ],
            "celsius",
            w=8,
        ),
        gauge(
            "Aggregate charge",
            [target(m("enphase_encharge_aggregate_state_of_charge_ratio"))],
            w=6,
            h=7,
        ),
        stat(
            "Available energy",
            [target(f"{m('enphase_encharge_aggregate_available_energy_joules')}{KWH}")],
            "kwatth",
            w=6,
            h=7,
            decimals=1,
        ),
        stat(
            "Capacity",
            [target(f"{m('enphase_encharge_aggregate_max_available_capacity_joules')}{KWH}")],
            "kwatth",
            w=6,
            h=7,
            graph="none",
            decimals=1,
        ),
        stat(
            "Backup reserve",
            [
                target(
                    m("enphase_encharge_aggregate_reserve_state_of_charge_ratio"),
                    "{{instance}} reserve (gateway)",
                ),
                target(
                    m("enphase_storage_reserve_state_of_charge_ratio"),
                    "{{instance}} reserve (setting)",
                ),
            ],
            "percentunit",
            w=6,
            h=7,
            graph="none",
        ),
        stat(
            "Storage mode",
            [target(STORAGE_CODE)],
            "",
            w=6,
            h=5,
            graph="none",
            mappings=STORAGE_MAP,
            color="background",
        ),
        stat(
            "Charge from grid",
            [target(m("enphase_storage_charge_from_grid"))],
            "",
            w=6,
            h=5,
            graph="none",
            mappings=_value_map({"0": ("no", "text"), "1": ("yes", "blue")}),
        ),
        stat(
            "Batteries communicating",
            [target(f"sum by (instance) ({m('enphase_encharge_communicating')})")],
            "none",
            w=6,
            h=5,
            graph="none",
        ),
        stat(
            "Grid relay",
            [target(f"max by (instance) ({m('enphase_enpower_mains_oper_state', RELAY_CLOSED)})")],
            "",
            w=6,
            h=5,
            graph="none",
            color="background",
            mappings=GRID_MAP,
        ),
        row("AC Batteries (ACB)"),
        timeseries("AC Battery power", [target(m("enphase_acb_power_watts"))], "watt", w=8),
        timeseries(
            "AC Battery charge",
            [
                target(m("enphase_acb_state_of_charge_ratio"), "{{instance}} all"),
                target(m("enphase_acb_device_state_of_charge_ratio"), serial),
            ],
            "percentunit",
            w=8,
            min=0,
            max=1,
        ),
        stat(
            "AC Battery energy",
            [target(f"{m('enphase_acb_available_energy_joules')}{KWH}")],
            "kwatth",
            w=8,
            decimals=2,
        ),
        row("All batteries"),
        timeseries(
            "Combined state of charge (IQ and AC Batteries)",
            [target(m("enphase_battery_state_of_charge_ratio"))],
            "percentunit",
            w=12,
            min=0,
            max=1,
        ),
        timeseries(
            "Combined available energy",
            [
                target(
                    f"{m('enphase_battery_available_energy_joules')}{KWH}", "{{instance}} available"
                ),
                target(
                    f"{m('enphase_battery_max_available_capacity_joules')}{KWH}",
                    "{{instance}} capacity",
                ),
            ],
            "kwatth",
            w=12,
        ),
    ]


def health() -> list[JSON]:
    by_collector = "{{instance}} {{collector}}"
    by_endpoint = "{{instance}} {{endpoint}}"
    return [
        stat(
            "Gateway",
            [target(m("enphase_up"))],
            "",
            graph="none",
            color="background",
            mappings=UP_MAP,
            w=4,
        ),
        stat(
            "Exporter scrape",
            [target(m("up"))],
            "",
            graph="none",
            color="background",
            mappings=UP_MAP,
            w=4,
            description="Prometheus' own up: the exporter answered.",
        ),
        stat(
            "Token expires in",
            [target(f"{m('enphase_exporter_token_expiry_timestamp_seconds')} - time()")],
            "s",
            graph="none",
            w=4,
            thresholds=[
                {"color": "red", "value": None},
                {"color": "orange", "value": 86400},
                {"color": "green", "value": 14 * 86400},
            ],
        ),
        stat(
            "Gateway busy time",
            [target(m("enphase_exporter_gateway_busy_ratio"))],
            "percentunit",
            w=4,
            thresholds=_green_red(0.05),
            description="Share of the gateway's time spent answering this exporter.",
        ),
        stat(
            "Last successful refresh",
            [target(f"time() - {m('enphase_exporter_last_refresh_success_timestamp_seconds')}")],
            "s",
            graph="none",
            w=4,
            thresholds=_green_red(300),
        ),
        stat(
            "Counter decreases (24 h)",
            [target(f"sum by (instance) (increase({m(DECREASES)}[1d]))")],
            "none",
            graph="none",
            w=4,
            thresholds=_green_red(1),
            description=(
                "Lifetime counters that stepped backwards: gateways do this after a reboot "
                "or a firmware upgrade."
            ),
        ),
        state_timeline(
            "Parts read at each refresh",
            [target(m("enphase_exporter_collector_success"), by_collector)],
            OK_MAP,
            w=12,
        ),
        timeseries(
            "Data age per part",
            [target(m("enphase_exporter_data_age_seconds"), by_collector)],
            "s",
            w=12,
            description="Past three refresh intervals a part's values are dropped.",
        ),
        timeseries(
            "Refresh interval per endpoint",
            [target(m("enphase_exporter_refresh_interval_seconds"), by_endpoint)],
            "s",
            w=12,
            description="The effective schedule, after the busy-time budget stretched it.",
        ),
        timeseries(
            "Gateway answer time per endpoint",
            [target(m("enphase_exporter_endpoint_latency_seconds"), by_endpoint)],
            "s",
            w=12,
        ),
        timeseries(
            "Refresh duration per part",
            [target(m("enphase_exporter_collector_duration_seconds"), by_collector)],
            "s",
            w=12,
        ),
        timeseries(
            "Requests per endpoint and status",
            [
                target(
                    f"sum by (instance, endpoint, code) "
                    f"(rate({m('enphase_exporter_requests_total')}[$__rate_interval]))",
                    "{{instance}} {{endpoint}} {{code}}",
                )
            ],
            "reqps",
            w=12,
        ),
        timeseries(
            "Request errors",
            [
                target(
                    f"sum by (instance, endpoint, code) "
                    f"(increase({m('enphase_exporter_requests_total', NOT_2XX)}[$__rate_interval]))"
                    f" or sum by (instance) ({m('enphase_exporter_requests_total')}) * 0",
                    "{{instance}} {{endpoint}} {{code}}",
                )
            ],
            "none",
            w=12,
            bars=True,
            description="Answers other than 2xx, and requests that got no answer (code error).",
        ),
        timeseries(
            "Time the gateway spent answering",
            [
                target(
                    f"sum by (instance, endpoint) "
                    f"(rate({m('enphase_exporter_request_duration_seconds_total')}[$__rate_interval]))",
                    by_endpoint,
                )
            ],
            "percentunit",
            w=12,
            stack=True,
        ),
    ]


# -- dashboard frame ------------------------------------------------------------------------


def _layout(panels: list[JSON]) -> list[JSON]:
    """Places panels left to right in lines of 24 units; a row starts a new line."""
    x = y = line_h = 0
    for number, p in enumerate(panels, start=1):
        pos = p["gridPos"]
        if p["type"] == "row" or x + pos["w"] > 24:
            x, y, line_h = 0, y + line_h, 0
        pos.update(x=x, y=y)
        p["id"] = number
        x += pos["w"]
        line_h = max(line_h, pos["h"])
        if p["type"] == "row":
            x, y, line_h = 0, y + pos["h"], 0
    return panels


def _grid_metering() -> JSON:
    """The choice of how grid import and export are counted (docs/metrics.md)."""
    options = [
        {"selected": i == 0, "text": way, "value": way} for i, way in enumerate(GRID_METERING)
    ]
    return {
        "name": "grid_metering",
        "label": "Grid metering",
        "description": "How your utility meter counts import and export: the phases summed "
        "(phase-balanced) or each phase on its own (per-phase)",
        "type": "custom",
        "query": ",".join(GRID_METERING),
        "current": {"selected": True, "text": GRID_METERING[0], "value": GRID_METERING[0]},
        "options": options,
        "multi": False,
        "includeAll": False,
        "hide": 0,
    }


def _variables(panels: list[JSON]) -> list[JSON]:
    """datasource, job and instance; grid_metering where a query uses it."""

    def query_var(name: str, query: str) -> JSON:
        return {
            "name": name,
            "label": name,
            "type": "query",
            "datasource": DS,
            "definition": query,
            "query": {"query": query, "refId": f"{name}-variable"},
            "refresh": 2,
            "multi": True,
            "includeAll": True,
            "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "sort": 1,
            "options": [],
            "hide": 0,
        }

    common = [
        {
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            # the data source picked in the import dialog (a datasource variable takes a uid)
            "current": {"selected": True, "text": f"${{{DS_INPUT}}}", "value": f"${{{DS_INPUT}}}"},
            "hide": 0,
            "refresh": 1,
            "regex": "",
            "options": [],
        },
        query_var("job", "label_values(enphase_up, job)"),
        query_var("instance", 'label_values(enphase_up{job=~"$job"}, instance)'),
    ]
    if "$grid_metering" in json.dumps(panels):
        common.append(_grid_metering())
    return common


DASHBOARDS: dict[str, tuple[str, str, Any]] = {
    # file stem: (uid, title, panels)
    "overview": ("envoy-overview", "Envoy / Overview", overview),
    "phases-and-cts": ("envoy-phases-cts", "Envoy / Phases and CTs", phases),
    "inverters": ("envoy-inverters", "Envoy / Inverters", inverters),
    "batteries": ("envoy-batteries", "Envoy / Batteries", batteries),
    "exporter-health": ("envoy-exporter-health", "Envoy / Exporter health", health),
}


#: Grafana's names of the panel plugins the dashboards use (for __requires)
PANEL_PLUGINS = {
    "stat": "Stat",
    "gauge": "Gauge",
    "timeseries": "Time series",
    "table": "Table",
    "state-timeline": "State timeline",
    "status-history": "Status history",
    "bargauge": "Bar gauge",
    "heatmap": "Heatmap",
}
#: the import dialog asks for this data source and writes its uid where ${DS_PROMETHEUS} is
DS_INPUT = "DS_PROMETHEUS"


def _import_header(panels: list[JSON]) -> JSON:
    """__inputs and __requires: what Grafana's import dialog offers and checks."""
    every = [*panels, *(inner for p in panels for inner in p.get("panels", []))]
    kinds = sorted({p["type"] for p in every if p["type"] != "row"})
    requires = [
        {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"},
        {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
    ] + [{"type": "panel", "id": k, "name": PANEL_PLUGINS[k], "version": ""} for k in kinds]
    inputs = [
        {
            "name": DS_INPUT,
            "label": "Prometheus",
            "description": "The Prometheus that scrapes envoy-exporter",
            "type": "datasource",
            "pluginId": "prometheus",
            "pluginName": "Prometheus",
        }
    ]
    return {"__inputs": inputs, "__requires": requires}


def dashboard(uid: str, title: str, panels: list[JSON]) -> JSON:
    links = [
        {
            "title": "Envoy",
            "type": "dashboards",
            "tags": ["envoy"],
            "asDropdown": True,
            "includeVars": True,
            "keepTime": True,
            "icon": "external link",
            "targetBlank": False,
            "tooltip": "",
            "url": "",
        }
    ]
    return {
        **_import_header(panels),
        "uid": uid,
        "title": title,
        "description": "envoy-exporter: Enphase Envoy (IQ Gateway) solar gateways",
        "tags": ["envoy", "enphase", "solar"],
        "editable": True,
        "graphTooltip": 1,
        "timezone": "browser",
        "refresh": "30s",
        "time": {"from": "now-24h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "weekStart": "",
        "links": links,
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "templating": {"list": _variables(panels)},
        "panels": _layout(panels),
    }


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    out = {}
    for stem, (uid, title, build) in DASHBOARDS.items():
        out[f"{stem}.json"] = json.dumps(dashboard(uid, title, build()), indent=2) + "\n"
    return out


def main(argv: list[str]) -> int:
    stale = []
    for name, text in render().items():
        path = HERE / name
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"stale: {', '.join(stale)}; run python dashboards/build.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
