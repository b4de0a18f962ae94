"""The landing page at `/`: what each gateway is and how fresh each part of its data is."""

from __future__ import annotations

import enum
import time
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.2em .8em;text-align:left;
border-bottom:1px solid #ddd}.ok{color:#080}.bad{color:#b00}code{background:#f4f4f4;padding:0 .2em}
"""


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


def _when(timestamp: float | None, now: float) -> str:
    if not timestamp:
        return "never"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
    return f"{stamp} ({now - timestamp:.0f} s ago)"


def _target_section(name: str, snap: Snapshot | None, single: bool, now: float) -> str:
    link = "/metrics" if single else f"/probe?target={escape(name)}"
    head = f'<h2>{escape(name)} <small><a href="{link}">metrics</a></small></h2>'
    if snap is None:
        return head + "<p>Not read yet: no scrape has reached this gateway so far.</p>"
    info = snap.info
    state = '<span class="ok">up</span>' if snap.up else '<span class="bad">unreachable</span>'
    rows = [
        ("State", state),
        ("Model", escape(str(getattr(info, "model", None) or "unknown"))),
        ("Firmware", escape(str(getattr(info, "firmware", None) or "unknown"))),
        ("Part number", escape(str(getattr(info, "part_number", None) or "unknown"))),
        ("Serial", escape(str(getattr(info, "serial", None) or "unknown"))),
        ("Supported features", escape(", ".join(feature_names(snap.supported_features)) or "none")),
        ("Last refresh", escape(_when(snap.refreshed_at, now))),
    ]
    if snap.error:
        rows.append(("Error", f'<span class="bad">{escape(snap.error)}</span>'))
    rows.append(("Gateway busy", f"{snap.busy_ratio:.1%} of its time answering this exporter"))
    if snap.token_expiry:
        rows.append(("Token expires", escape(_when(snap.token_expiry, now).split(" (")[0])))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    parts = "".join(_part_row(part_name, part) for part_name, part in sorted(snap.parts.items()))
    parts_table = (
        "<table><tr><th>Part</th><th>Status</th><th>Age</th><th>Interval</th>"
        f"<th>Last success</th></tr>{parts}</table>"
        if parts
        else "<p>No parts read yet.</p>"
    )
    return f"{head}<table>{table}</table><h3>Parts</h3>{parts_table}"


def _part_row(name: str, part: Any) -> str:
    ok = getattr(part, "ok", False)
    error = getattr(part, "error", None)
    if getattr(part, "stale", False):
        status = f'<span class="bad">stale: {escape(str(error or "no fresh data"))}</span>'
    elif ok:
        status = '<span class="ok">ok</span>'
    else:
        status = f'<span class="bad">{escape(str(error or "failed"))}</span>'

    age = getattr(part, "age_seconds", None)
    interval = getattr(part, "interval_seconds", None)
    last = getattr(part, "last_success", None)
    cells = (
        escape(name),
        status,
        "-" if age is None else f"{age:.0f} s",
        "-" if interval is None else f"{interval:.0f} s",
        escape(_when(last, time.time()).split(" (")[0]),
    )
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


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
        usage = '<p>Scrape <a href="/metrics"><code>/metrics</code></a>.</p>'
    else:
        usage = (
            "<p>Scrape <code>/probe?target=NAME</code> for each configured target "
            "(one Prometheus job with <code>relabel_configs</code>, as for the blackbox exporter). "
            "The exporter's own process metrics are on "
            '<a href="/metrics"><code>/metrics</code></a>.</p>'
        )
    sections = "".join(
        _target_section(name, snap, single is not None, now) for name, snap in snaps.items()
    )
    security = f"TLS {'on' if tls else 'off'}, basic auth {'on' if auth else 'off'}"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Enphase Envoy exporter</title>'
        f"<style>{_STYLE}</style></head><body><h1>Enphase Envoy exporter</h1>"
        f'<p>Version {escape(version)}; {security}. Health: <a href="/-/healthy">/-/healthy</a>, '
        f'<a href="/-/ready">/-/ready</a>.</p>{usage}{sections}</body></html>'
    )
