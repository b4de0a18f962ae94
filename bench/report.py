"""The tables of bench/README.md, made from bench/results/*.json (between the markers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import RESULTS

README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _ok(good: bool) -> str:
    return "met" if good else "**missed**"


def load_table(r: dict[str, Any]) -> list[str]:
    rows = [
        f"Steady-state hour after a {r['warmup_hours']:g} h warm-up, one scrape / update() "
        f"every {r['poll_seconds']:g} s (sim. clock).",
        "",
        "| site | poller | requests/h | busy s/h | busy vs ref (goal <= 0.10) "
        "| requests vs ref (goal <= 0.50) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    labels = {
        "reference": "pyenphase update()",
        "exporter": "exporter (tree)",
        "exporter_first_hour": "exporter, first hour (connect incl.)",
        "exporter_loopback_schedule": "exporter, schedule sees loopback times",
    }
    for profile, runs in r["profiles"].items():
        for key, label in labels.items():
            x = runs[key]
            busy, req = x["busy_ratio"], x["requests_ratio"]
            rows.append(
                f"| {profile} | {label} | {x['requests_per_hour']:.0f} | "
                f"{x['busy_seconds_per_hour']:.1f} | {busy:.3f}"
                f"{'' if key == 'reference' else ' ' + _ok(busy <= 0.1)} | {req:.3f}"
                f"{'' if key == 'reference' else ' ' + _ok(req <= 0.5)} |"
            )
    return rows


def cpu_table(r: dict[str, Any]) -> list[str]:
    rows = [
        f"CPU (time.process_time) per call, the gateway in another process: {r['iterations']} "
        f"calls per contender in {r.get('rounds', 1)} alternating rounds, median of the rounds "
        "(the figures drift with the shared machine; the range of the per-round ratio is "
        "given). Refresh = `Target.snapshot()` with the clock 15 s on (only due endpoints "
        "read); render = the exposition of that snapshot. Captures replay the same values at "
        "every read, so the render writes again only the exporter's own health there. "
        "Requests alone = the GETs every refresh must send (the power endpoints), without the "
        "exporter: through the client (requests, urllib3), and over a bare kept http.client "
        "connection (the least a Python client on the standard library pays).",
        "",
        "| capture | our client update() | exporter refresh | render | pyenphase update() "
        "| refresh + render vs ref (goal <= 0.5) | per-round range "
        "| requests alone vs ref: client | http.client |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, x in r.items():
        if not isinstance(x, dict) or "ratio_refresh_render" not in x:
            continue
        ratio = x["ratio_refresh_render"]
        low, high = x.get("ratio_refresh_render_range", (ratio, ratio))
        alone = x.get("ratio_requests_alone")
        stdlib = x.get("ratio_requests_alone_stdlib")
        rows.append(
            f"| {name} | {x['client_update'] * 1e3:.2f} ms | {x['exporter_refresh'] * 1e3:.2f} ms"
            f" | {x.get('exporter_render', 0.0) * 1e3:.2f} ms | "
            f"{x['reference_update'] * 1e3:.2f} ms | {ratio:.2f} {_ok(ratio <= 0.5)} | "
            f"{low:.2f}-{high:.2f} | {_num(alone)} | {_num(stdlib)} |"
        )
    return rows


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def instructions_table(r: dict[str, Any]) -> list[str]:
    rows = [
        f"User-space instructions per call under valgrind (callgrind), ({r['polls']} calls - 0 "
        "calls) in a child process, hash seed fixed: the same from run to run. Poll = refresh "
        "+ render as in table 2; request = one GET of the power endpoint through the client; "
        "the kernel's side of the requests is not counted.",
        "",
        "| capture | exporter poll | refresh | one request | pyenphase update() "
        "| poll vs ref | refresh vs ref |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, x in r.items():
        if not isinstance(x, dict) or "poll" not in x:
            continue
        rows.append(
            f"| {name} | {x['poll'] / 1e6:.2f} M | {x['refresh'] / 1e6:.2f} M | "
            f"{x['request'] / 1e6:.2f} M | {x['reference'] / 1e6:.2f} M | "
            f"{x['ratio_poll']:.2f} | {x['ratio_refresh']:.2f} |"
        )
    return rows


def scrape_table(r: dict[str, Any], title: str) -> list[str]:
    rows = [
        f"{title}: {r['metrics_bytes']} bytes, {r['metrics_series']} series.",
        "",
        "| request | scrapers | ok | errors | p50 | p99 | per s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in (
        ("healthy", "/-/healthy"),
        ("metrics", "/metrics (gzip, as Prometheus)"),
        ("metrics_identity", "/metrics (identity)"),
        ("heavy", f"/metrics, {r['heavy']['scrapers']} scrapers for {r['heavy']['seconds']:g} s"),
    ):
        x = r[key]
        kinds = ", ".join(f"{k} {v}" for k, v in x.get("error_kinds", {}).items())
        rows.append(
            f"| {label} | {x['scrapers']} | {x['requests']} | {x['errors']}"
            f"{f' ({kinds})' if kinds else ''} | "
            f"{x['p50_ms']:.1f} ms | {x['p99_ms']:.1f} ms | {x['per_second']:.0f} |"
        )
    rows += [
        "",
        f"Cached scrape / healthy: p50 x{r['ratio_p50']:.2f} {_ok(r['ratio_p50'] <= 2)}, "
        f"p99 x{r['ratio_p99']:.2f} {_ok(r['ratio_p99'] <= 2)} (goal <= 2). Gateway reads of "
        f"/ivp/meters/readings during the {r['heavy']['seconds']:g} s of "
        f"{r['heavy']['scrapers']} scrapers: {r['heavy']['meters_readings_requests']:.0f}.",
    ]
    return rows


def fleet_table(r: dict[str, Any], title: str) -> list[str]:
    rows = [
        f"{title}: {r['gateways']} gateways ({r['profile']} profile), each probed every "
        f"{r['period']:g} s (round 0: first connection, spread over {r.get('ramp', r['period']):g}"
        f" s), scrape timeout {r['scrape_timeout']:g} s, --web.max-threads "
        f"{r.get('workers', 8)}.",
        "",
        "| round | probes | failed | over timeout | p50 | p99 | max | exporter CPU (cores) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for x in r["rounds_detail"]:
        over = x.get("over_timeout", 0 if x["max_ms"] <= 10000 else "?")
        rows.append(
            f"| {x['round']}{' (connect)' if x['round'] == 0 else ''} | {x['probes']} | "
            f"{x['failed']} | {over} | {x['p50_ms']:.0f} ms | {x['p99_ms']:.0f} ms | "
            f"{x['max_ms']:.0f} ms | {x['cpu_share']:.2f} |"
        )
    rows += [
        "",
        f"RSS max {r['max_rss_mb']:.0f} MB (idle {r['idle_rss_mb']:.0f} MB) "
        f"{_ok(r['max_rss_mb'] < 400)} (goal < 400 MB); threads max {r['max_threads']}, "
        f"sockets max {r['max_sockets']}, fds max {r['max_fds']}"
        + (
            f"; simulator process CPU {r['simulator_cpu_share']:.2f} core."
            if "simulator_cpu_share" in r
            else "."
        ),
    ]
    return rows


def memory_table(r: dict[str, Any]) -> list[str]:
    rows = [
        "| profile | exporter RSS | pyenphase poller RSS | ratio (goal <= 1) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for profile, x in r.items():
        if isinstance(x, dict) and "ratio" in x:
            rows.append(
                f"| {profile} | {x['exporter_rss_mb']:.1f} MB | {x['reference_rss_mb']:.1f} MB |"
                f" {x['ratio']:.2f} {_ok(x['ratio'] <= 1)} |"
            )
    return rows


def growth_table(r: dict[str, Any]) -> list[str]:
    rows = [
        "| inverters | refresh (CPU) | refresh + render (CPU) | render | pyenphase update() "
        "| cached scrape p50 | p99 | exposition |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for x in r["rows"]:
        rows.append(
            f"| {x['inverters']} | {x['exporter_refresh_ms']:.1f} ms | "
            f"{x['exporter_refresh_render_ms']:.1f} ms | {x['render_ms']:.1f} ms | "
            f"{x['reference_update_ms']:.1f} ms | {x['scrape_p50_ms']:.1f} ms | "
            f"{x['scrape_p99_ms']:.1f} ms | {x['exposition_bytes'] / 1024:.0f} KiB |"
        )
    rows += ["", "![cost growth](plot/growth.png)"]
    return rows


def render_table(r: dict[str, Any]) -> list[str]:
    rows = [
        f"Large profile, CPU mean over {r['iterations']} calls. prometheus_client = "
        "`generate_latest` over the whole catalogue (`render_snapshot`, what the output did "
        "before); writer = the output's own text writer writing every entry (a first "
        "render); at a refresh = `SnapshotRenderer` on the next snapshot, 15 s on, which "
        "writes again only the entries whose parts changed (and the health). Same bytes: "
        "the three texts compared byte for byte. Each format has its row: OpenMetrics (which "
        "Prometheus asks for first) went through prometheus_client until it shared the renderer.",
        "",
        "| inverters | series | format | same bytes | prometheus_client | writer | at a refresh |",
        "| ---: | ---: | --- | --- | ---: | ---: | ---: |",
    ]
    for x in r["rows"]:
        formats = x.get("formats", {"text": x})
        for name in sorted(formats, reverse=True):  # text, then openmetrics
            f = formats[name]
            rows.append(
                f"| {x['inverters']} | {x['series']} | {name} | "
                f"{'yes' if f['same_bytes'] else 'NO'} | {f['prometheus_client_ms']:.2f} ms | "
                f"{f['writer_all_ms']:.2f} ms | {f['refresh_render_ms']:.2f} ms |"
            )
    return rows


def tables() -> str:
    out: list[str] = []
    sections = [
        ("load", "1. Gateway load at equal freshness", load_table),
        ("cpu", "2. CPU per refresh", cpu_table),
        ("render", "2b. Render of the exposition", render_table),
        ("instructions", "2c. Instructions per refresh", instructions_table),
        ("memory", "5. Memory", memory_table),
        ("growth", "6. Cost growth", growth_table),
    ]
    for name, title, make in sections:
        data = _load(name)
        if data is not None:
            out += [f"### {title}", "", *make(data), ""]
        if name == "instructions":
            data = _load("scrape")
            if data is not None:
                out += ["### 3. Scrape cost", "", *scrape_table(data, "large profile"), ""]
            for path in sorted(RESULTS.glob("fleet_*.json")):
                data = json.loads(path.read_text())
                out += [
                    f"### 4. Fleet, {data['gateways']} gateways",
                    "",
                    *fleet_table(data, path.stem),
                    "",
                ]
    machine = _load("load") or {}
    info = machine.get("machine", {})
    out.append(
        f"Machine: {info.get('cpus')} CPUs, Python {info.get('python')}, "
        f"{info.get('platform')}; last run {info.get('date')}."
    )
    return "\n".join(out)


def update_readme(path: Path = README) -> None:
    text = path.read_text() if path.is_file() else f"{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{tables()}\n{END}{tail}")


if __name__ == "__main__":
    update_readme()
