"""The Grafana dashboards: structure, portability (no datasource UIDs), up to date with their
generator, and every metric they (and the rules) use exists in the catalogue."""

from __future__ import annotations

import json
import re
import runpy
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
RULES = ROOT / "alerts" / "envoy.rules.yml"
DS_REF = {"type": "prometheus", "uid": "${datasource}"}
EXPECTED_TITLES = {
    "Envoy / Overview",
    "Envoy / Phases and CTs",
    "Envoy / Inverters",
    "Envoy / Batteries",
    "Envoy / Exporter health",
}
GRAFANA_VARS = {"$__range": "1h", "$__rate_interval": "1m", "$__interval": "1m"}
#: the grid_metering variable's choices, the first its default: the values of the label
#: `metering` of the grid recording rules
GRID_METERING = ("phase-balanced", "per-phase")
METRIC = re.compile(r"\b(?:[a-z_]+:)?(enphase_[a-z0-9_]+)(?::[a-z0-9_]+)?\b")
PANEL_TYPES = {
    "stat", "gauge", "timeseries", "table", "state-timeline", "status-history", "bargauge",
    "heatmap", "row",
}  # fmt: skip


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _exprs(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard title, panel title, expr) of every panel query of every dashboard."""
    return [
        (_load(path)["title"], panel, expr)
        for path in DASHBOARDS
        for panel, expr in _exprs(_load(path))
    ]


def substitute(
    expr: str, job: str = ".*", instance: str = ".*", grid_metering: str = GRID_METERING[0]
) -> str:
    """A panel query as Grafana would send it, with the template variables filled in."""
    for name, value in GRAFANA_VARS.items():
        expr = expr.replace(name, value)
    expr = expr.replace("$grid_metering", grid_metering)
    return expr.replace("$job", job).replace("$instance", instance)


def _uids(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource" and isinstance(value, dict) and "uid" in value:
                yield str(value["uid"])
            else:
                yield from _uids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _uids(item)


def test_five_dashboards_with_their_titles() -> None:
    assert {_load(p)["title"] for p in DASHBOARDS} == EXPECTED_TITLES
    uids = [_load(p)["uid"] for p in DASHBOARDS]
    assert len(set(uids)) == len(uids)


def test_dashboards_match_their_generator() -> None:
    build = runpy.run_path(str(ROOT / "dashboards" / "build.py"))
    rendered = build["render"]()
    assert sorted(rendered) == [p.name for p in DASHBOARDS]
    for path in DASHBOARDS:
        assert path.read_text() == rendered[path.name], (
            f"{path.name} is stale: run python dashboards/build.py"
        )


def test_a_misspelt_panel_option_fails_loudly() -> None:
    build = runpy.run_path(str(ROOT / "dashboards" / "build.py"))
    with pytest.raises(TypeError, match=r"unknown panel option.*decimal"):
        build["stat"]("Power", [], "watt", decimal=1)
    # the correct spelling reaches the panel
    assert (
        build["stat"]("Power", [], "watt", decimals=1)["fieldConfig"]["defaults"]["decimals"] == 1
    )


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_structure(path: Path) -> None:
    dashboard = _load(path)
    assert dashboard["schemaVersion"] >= 39
    assert "id" not in dashboard or dashboard["id"] is None
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("job", "instance"):
        assert variables[name]["type"] == "query"
        assert variables[name]["datasource"] == DS_REF
        assert variables[name]["includeAll"] and variables[name]["multi"]
    assert "$job" in variables["instance"]["definition"]
    panels = list(_panels(dashboard))
    assert len(panels) >= 5
    ids = [p["id"] for p in panels]
    assert len(set(ids)) == len(ids)
    for panel in panels:
        assert panel["type"] in PANEL_TYPES, panel["title"]
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == DS_REF, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            assert target["datasource"] == DS_REF
            assert 'job=~"$job"' in target["expr"] and 'instance=~"$instance"' in target["expr"], (
                f"{panel['title']}: every selector filters on $job and $instance"
            )


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_no_hard_coded_datasource_uids(path: Path) -> None:
    dashboard = _load(path)
    for uid in _uids(dashboard):
        assert uid in ("${datasource}", "-- Grafana --"), f"hard-coded datasource uid {uid!r}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_import_dialog_offers_the_prometheus_data_source(path: Path) -> None:
    """Grafana's import reads __inputs (asks for a data source) and __requires (plugins)."""
    dashboard = _load(path)
    (source,) = dashboard["__inputs"]
    assert source["type"] == "datasource" and source["pluginId"] == "prometheus"
    # the picked data source becomes the datasource variable's value, which every panel uses
    picked = "${" + source["name"] + "}"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["current"]["value"] == picked
    required = {(r["type"], r["id"]) for r in dashboard["__requires"]}
    assert {("grafana", "grafana"), ("datasource", "prometheus")} <= required
    used = {p["type"] for p in _panels(dashboard) if p["type"] != "row"}
    assert {name for kind, name in required if kind == "panel"} == used


def test_panels_do_not_overlap() -> None:
    for path in DASHBOARDS:
        cells: dict[tuple[int, int], str] = {}
        for panel in _load(path)["panels"]:
            pos = panel["gridPos"]
            for x in range(pos["x"], pos["x"] + pos["w"]):
                for y in range(pos["y"], pos["y"] + pos["h"]):
                    assert (x, y) not in cells, f"{path.name}: {panel['title']} overlaps"
                    cells[(x, y)] = panel["title"]


def test_energy_today_comes_from_lifetime_counters() -> None:
    (overview,) = [_load(p) for p in DASHBOARDS if _load(p)["title"] == "Envoy / Overview"]
    panels = {p["title"]: p for p in _panels(overview)}
    for title in ("Production today", "Consumption today"):
        expr = panels[title]["targets"][0]["expr"]
        assert "increase(" in expr and "_energy_joules_total" in expr
        assert "today" not in expr
        assert panels[title]["timeFrom"] == "now/d"
    assert panels["Production this month"]["timeFrom"] == "now/M"


def test_grid_metering_variable_switches_the_grid_energy_panels() -> None:
    for path in DASHBOARDS:
        dashboard = _load(path)
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        uses = [t for _, t in _exprs(dashboard) if "$grid_metering" in t]
        assert bool(uses) == ("grid_metering" in variables), path.name
        if not uses:
            continue
        choice = variables["grid_metering"]
        assert choice["type"] == "custom" and not choice["multi"] and not choice["includeAll"]
        assert [o["value"] for o in choice["options"]] == list(GRID_METERING)
        assert choice["current"]["value"] == GRID_METERING[0]
    (overview,) = [_load(p) for p in DASHBOARDS if _load(p)["title"] == "Envoy / Overview"]
    panels = {p["title"]: p for p in _panels(overview)}
    for title in (
        "Grid import now",
        "Grid export now",
        "Grid import today",
        "Grid export today",
        "Grid import and export per hour",
        "Energy over the last 24 h",
    ):
        assert any("$grid_metering" in t["expr"] for t in panels[title]["targets"]), title
    # the rules label their two ways with the variable's values
    rules = RULES.read_text()
    for way in GRID_METERING:
        assert rules.count(f'"metering", "{way}"') == 4, way


def _catalogue_names() -> set[str]:
    catalogue = pytest.importorskip("envoy_exporter.catalogue")
    names = {spec.name for spec in catalogue.CATALOGUE}
    if not names:
        pytest.skip("the metric catalogue is still empty")
    return names


def _rule_exprs() -> Iterator[tuple[str, str]]:
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            yield rule.get("alert") or rule["record"], rule["expr"]


def _recorded() -> set[str]:
    return {
        rule["record"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def test_every_metric_used_exists_in_the_catalogue() -> None:
    names = _catalogue_names()
    recorded = _recorded()
    used = [(f"{d}: {p}", e) for d, p, e in dashboard_queries()] + list(_rule_exprs())
    missing = set()
    for where, expr in used:
        for match in METRIC.finditer(expr):
            whole = match.group(0)
            if whole in recorded:
                continue
            if match.group(1) not in names:
                missing.add(f"{where}: {match.group(1)}")
    assert not missing, "metrics not in the catalogue:\n" + "\n".join(sorted(missing))


def test_dashboards_use_recording_rules_that_exist() -> None:
    recorded = _recorded()
    for _, panel, expr in dashboard_queries():
        for name in re.findall(r"\b[a-z_]+:enphase_[a-z0-9_]+:[a-z0-9_]+\b", expr):
            assert name in recorded, f"{panel}: {name} is no recording rule"


@pytest.mark.prometheus
@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not found on PATH")
def test_every_panel_query_parses(tmp_path: Path) -> None:
    # promtool parses rule expressions offline: wrap each query in a recording rule.
    queries = dashboard_queries()
    rules = [
        {"record": f"dashboard:query{i}:check", "expr": substitute(expr)}
        for i, (_, _, expr) in enumerate(queries)
    ]
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
