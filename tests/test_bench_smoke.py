"""The benchmarks still run: each harness once with the smallest sizes (no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pyenphase")

from bench import bench_cpu, bench_fleet, bench_growth, bench_load, bench_render, bench_scrape
from bench.latency import CAPTURES, LatencyModel, capture_name


def test_latency_model_prefers_captured_figures_then_issue_figures(tmp_path: Path) -> None:
    folder = tmp_path / "gw"
    folder.mkdir()
    (folder / "production.json_details_1_log.json").write_text('{"duration_seconds": 2.5}')
    (folder / "inventory_log.json").write_text('{"code": 200}')
    model = LatencyModel(tmp_path)
    assert capture_name("/production.json?details=1") == "production.json_details_1"
    assert model("/production.json?details=1") == 2.5
    assert model("/inventory.json") == 4.0  # no duration recorded: issue 7's figure
    assert model("/home") == 6.0
    assert model("/ivp/meters/readings") == 0.05


def test_load_counts_both_pollers_from_the_gateway_side() -> None:
    result = bench_load.run(hours=4 * 15 / 3600, profiles=("legacy",), warmup_hours=0)
    runs = result["profiles"]["legacy"]
    assert runs["reference"]["requests_per_hour"] > 0
    assert runs["exporter"]["requests_per_hour"] > 0
    assert runs["exporter"]["up_ratio"] == 1.0
    assert "/api/v1/production" in runs["reference"]["endpoints"]


@pytest.mark.skipif(not (CAPTURES / "5.0.62").is_dir(), reason="real captures not found")
def test_cpu_per_refresh_runs_on_a_capture() -> None:
    result = bench_cpu.run(iterations=1, names=("5.0.62",))
    assert result["5.0.62"]["reference_update"] > 0


def test_scrape_runs_against_the_exporter_process() -> None:
    result = bench_scrape.run(scrapers=2, seconds=0.3, heavy=3, heavy_seconds=0.3)
    assert result["metrics"]["requests"] > 0
    assert result["metrics_series"] > 100


def test_growth_writes_a_plot(tmp_path: Path) -> None:
    result = bench_growth.run(sizes=(2,), iterations=1, scrapes=2)
    path = bench_growth.plot(result["rows"], tmp_path / "growth.png")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_fleet_probes_every_target() -> None:
    result = bench_fleet.run(count=2, period=1.0, rounds=1)
    assert result["rounds_detail"][0]["probes"] == 2
    assert result["rounds_detail"][0]["failed"] == 0


def test_render_bench_checks_the_bytes() -> None:
    result = bench_render.run(sizes=(2,), iterations=2)
    row = result["rows"][0]
    assert row["same_bytes"]
    assert row["formats"]["openmetrics"]["same_bytes"]
    assert row["series"] > 100
