"""The landing page at `/`: first what the panels and the house do now, in plain words, for
the person who owns them; then the technical details, in words rather than internal names.

Every figure is read through the metric catalogue, so the page shows exactly what /metrics
says; each figure cell carries the metric name and the exact value (`data-metric`,
`data-value`) for tests and scripts.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable
from html import escape
from importlib import metadata
from typing import TYPE_CHECKING, Any

from ..catalogue import CATALOGUE

if TYPE_CHECKING:
    from ..collector.snapshot import PartStatus, Snapshot

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:62em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.25em .8em;text-align:left;
border-bottom:1px solid #ddd}.ok{color:#080}.bad{color:#b00}code{background:#f4f4f4;padding:0 .2em}
.now td{font-size:1.25em}.now td.age,.now th{font-size:1em;color:#666;font-weight:normal}
h2{margin-top:1.5em}abbr{text-decoration:none}
details{margin:.5em 0 1.5em}summary{cursor:pointer;font-weight:bold}
"""
_SPECS = {spec.name: spec for spec in CATALOGUE}

#: the gateway's parts ("updaters") in words; the internal name stays in a tooltip
PART_WORDS = {
    "meters": "CT meter readings (power now)",
    "production": "production and consumption totals",
    "production_json": "production and consumption totals",
    "production_json_fallback": "production and consumption totals (fallback)",
    "api_v1_production": "solar production",
    "inverters": "microinverter reports",
    "device_data_inverters": "microinverter details",
    "ensemble": "IQ Batteries and System Controller",
    "inventory": "AC Batteries",
    "generator": "generator",
    "tariff": "tariff and battery settings",
}
FEATURE_WORDS = {
    "PRODUCTION": "solar production",
    "INVERTERS": "microinverters",
    "DETAILED_INVERTERS": "microinverter details",
    "METERING": "CT meters",
    "CTMETERS": "CT meter readings",
    "TOTAL_CONSUMPTION": "house consumption",
    "NET_CONSUMPTION": "grid import and export",
    "DUALPHASE": "split phase",
    "THREEPHASE": "three phases",
    "ENCHARGE": "IQ Batteries",
    "ENPOWER": "IQ System Controller",
    "ACB": "AC Batteries",
    "TARIFF": "tariff and battery settings",
    "GENERATOR": "generator",
    "GENERATOR_SCHEDULE": "generator schedule",
    "LIMITS": "production and export limits",
    "COLLAR": "IQ Meter Collar",
    "C6CC": "IQ Combiner 6C",
}
# Where each figure comes from, freshest first: its age is that of the freshest part read.
_POWER_PARTS = ("meters", "production", "production_json", "api_v1_production")
_ENERGY_PARTS = ("production_json", "production", "api_v1_production", "production_json_fallback")
_BATTERY_PARTS = ("ensemble", "production_json", "production")
_BATTERY_POWER = ("enphase_encharge_power_watts", "enphase_acb_power_watts")


def feature_names(features: Any) -> list[str]:
    """Names of the set flags of a SupportedFeatures value (or of any iterable of names)."""
    if features is None:
        return []
    if isinstance(features, enum.Flag):
        members = type(features).__members__.values()
        return [m.name for m in members if m.name and m.value and m in features]
    try:
        return sorted(str(getattr(f, "name", f)) for f in features)
    except TypeError:
        return [str(features)]


def metric_value(snap: Snapshot, names: Iterable[str]) -> float | None:
    """The sum of every sample of the named metrics (one battery or many); None when absent."""
    values = [s.value for name in names for s in _SPECS[name].samples(snap)]
    return sum(values) if values else None


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _age(snap: Snapshot, parts: tuple[str, ...], now: float) -> float | None:
    """How old the freshest answer behind a figure is now (its age at the refresh, plus since)."""
    since = max(now - snap.refreshed_at, 0.0)
    ages = [
        p.age_seconds
        for name in parts
        if (p := snap.parts.get(name)) is not None and p.age_seconds is not None and not p.stale
    ]
    return min(ages) + since if ages else None


def _kw(watts: float) -> str:
    return f"{abs(watts) / 1000:.2f} kW"


def _cell(names: tuple[str, ...], value: float | None, text: str) -> str:
    if value is None:
        return '<td class="missing">not measured by this gateway</td>'
    return f'<td data-metric="{"+".join(names)}" data-value="{value!r}">{escape(text)}</td>'


def _row(label: str, cell: str, age: str) -> str:
    return f'<tr><th>{label}</th>{cell}<td class="age">{age}</td></tr>'


def _grid_words(watts: float) -> str:
    if watts > 0:
        return f"importing {_kw(watts)} from the grid"
    if watts < 0:
        return f"exporting {_kw(watts)} to the grid"
    return "neither importing nor exporting"


def _kwh(joules: float) -> str:
    return f"{joules / 3.6e6:.2f} kWh"


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.0f} %"


def _battery_words(watts: float) -> str:
    if watts == 0:
        return "idle"
    return f"{'discharging' if watts > 0 else 'charging'} at {_kw(watts)}"


# (label, metrics summed, words, parts behind it, shown only when the gateway reports it)
_FIGURES: tuple[tuple[str, tuple[str, ...], Callable[[float], str], tuple[str, ...], bool], ...] = (
    ("Producing now", ("enphase_production_power_watts",), _kw, _POWER_PARTS, False),
    ("Using now", ("enphase_consumption_power_watts",), _kw, _POWER_PARTS, False),
    ("Grid now", ("enphase_net_consumption_power_watts",), _grid_words, _POWER_PARTS, False),
    ("Battery charge", ("enphase_battery_state_of_charge_ratio",), _percent, _BATTERY_PARTS, True),
    ("Battery is", _BATTERY_POWER, _battery_words, _BATTERY_PARTS, True),
    ("Produced today", ("enphase_production_energy_today_joules",), _kwh, _ENERGY_PARTS, False),
    ("Used today", ("enphase_consumption_energy_today_joules",), _kwh, _ENERGY_PARTS, False),
)


def _now_table(snap: Snapshot, now: float) -> str:
    """Producing, using, grid, battery and today's energy, each with its age."""
    rows = []
    for label, names, words, parts, optional in _FIGURES:
        value = metric_value(snap, names)
        if value is None and optional:
            continue
        text = "" if value is None else words(value)
        age = "" if value is None else _ago(_age(snap, parts, now))
        rows.append(_row(label, _cell(names, value, text), age))
    return f'<table class="now">{"".join(rows)}</table>'


def state_words(snap: Snapshot) -> tuple[str, bool]:
    """The gateway's state in words, and whether it is good."""
    if snap.auth_failed:
        return "authentication failed: the gateway refuses the token or password", False
    if not snap.up:
        return "unreachable: the gateway does not answer", False
    return "up", True


def _words(names: Iterable[str], table: dict[str, str]) -> str:
    shown = [
        f'<abbr title="{escape(n)}">{escape(table.get(n, n.replace("_", " ").lower()))}</abbr>'
        for n in names
    ]
    return ", ".join(shown) or "none"


def _details(snap: Snapshot, now: float) -> str:
    info = snap.info

    def known(value: Any) -> str:
        return escape(str(value or "unknown"))

    rows = [
        ("Model", known(getattr(info, "model", None))),
        ("Firmware", known(getattr(info, "firmware", None))),
        ("Part number", known(getattr(info, "part_number", None))),
        ("Serial", known(getattr(info, "serial", None))),
        ("Can read", _words(feature_names(snap.supported_features), FEATURE_WORDS)),
        ("Last refresh", f"{_when(snap.refreshed_at)} ({_ago(now - snap.refreshed_at)})"),
        ("Gateway busy", f"{snap.busy_ratio:.1%} of its time answering this exporter"),
    ]
    if snap.error:
        rows.append(("Error", f'<span class="bad">{escape(snap.error)}</span>'))
    if snap.token_expiry:
        rows.append(("Token expires", _when(snap.token_expiry)))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    parts = "".join(_part_row(name, part) for name, part in sorted(snap.parts.items()))
    parts_table = (
        "<table><tr><th>What is read</th><th>Status</th><th>Age</th><th>Read every</th>"
        f"<th>Last success</th></tr>{parts}</table>"
        if parts
        else "<p>Nothing read yet.</p>"
    )
    return (
        f"<details open><summary>Technical details</summary><table>{table}</table>"
        f"{parts_table}</details>"
    )


def _part_row(name: str, part: PartStatus) -> str:
    if part.stale:
        status = (
            f'<span class="bad">too old, hidden: {escape(part.error or "no fresh data")}</span>'
        )
    elif part.ok:
        status = '<span class="ok">ok</span>'
    else:
        status = f'<span class="bad">{escape(part.error or "failed")}</span>'
    cells = (
        _words([name], PART_WORDS),
        status,
        "-" if part.age_seconds is None else f"{part.age_seconds:.0f} s",
        f"{part.interval_seconds:.0f} s",
        escape(_when(part.last_success)),
    )
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _target_section(name: str, snap: Snapshot | None, single: bool, now: float) -> str:
    link = "/metrics" if single else f"/probe?target={escape(name)}"
    head = f'<h2>{escape(name)} <small><a href="{link}">metrics</a></small></h2>'
    if snap is None:
        return head + "<p>Not read yet: no scrape has reached this gateway so far.</p>"
    words, good = state_words(snap)
    state = f'<p>Gateway: <span class="{"ok" if good else "bad"}" id="state">{words}</span></p>'
    now_table = _now_table(snap, now) if snap.data is not None else ""
    return head + state + now_table + _details(snap, now)


def _links() -> str:
    """The docs and dashboards: linked where the package names its source, else as paths."""
    try:
        urls = metadata.metadata("envoy-exporter").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        urls = []
    source = next((u.split(",", 1)[1].strip() for u in urls if "," in u), None)
    docs = (
        ("README.md", "how to run it"),
        ("docs/metrics.md", "every metric"),
        ("docs/runbook.md", "what each alert means and what to do"),
        ("alerts/envoy.rules.yml", "alerts, and the recording rules the dashboards use"),
        ("dashboards/README.md", "Grafana dashboards: Dashboards, New, Import"),
    )
    items = "".join(
        f'<li><a href="{escape(source.rstrip("/"))}/{path}">{path}</a>: {what}</li>'
        if source
        else f"<li><code>{path}</code> in the envoy-exporter source: {what}</li>"
        for path, what in docs
    )
    return f"<h2>Documentation and dashboards</h2><ul>{items}</ul>"


def render_landing(
    snaps: dict[str, Snapshot | None],
    *,
    single: str | None,
    version: str,
    auth: bool,
    tls: bool,
) -> str:
    """The whole page. Everything shown comes from snapshots, which hold no credentials."""
    now = time.time()
    if single is not None:
        usage = '<p>Prometheus scrapes <a href="/metrics"><code>/metrics</code></a>.</p>'
    else:
        usage = (
            "<p>Prometheus scrapes <code>/probe?target=NAME</code> for each configured target "
            "(one job with <code>relabel_configs</code>, as for the blackbox exporter). "
            "The exporter's own process metrics are on "
            '<a href="/metrics"><code>/metrics</code></a>.</p>'
        )
    sections = "".join(
        _target_section(name, snap, single is not None, now) for name, snap in snaps.items()
    )
    security = f"TLS {'on' if tls else 'off'}, basic auth {'on' if auth else 'off'}"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Enphase Envoy exporter</title>'
        f"<style>{_STYLE}</style></head><body><h1>Enphase Envoy exporter</h1>{sections}"
        f"{_links()}<h2>This exporter</h2>{usage}"
        f'<p>Version {escape(version)}; {security}. Health: <a href="/-/healthy">/-/healthy</a>, '
        f'<a href="/-/ready">/-/ready</a>.</p></body></html>'
    )
