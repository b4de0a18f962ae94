"""Phase-balanced grid import and export from the net-consumption CT's counters."""

from __future__ import annotations

from typing import Any

from envoy_exporter.cli.demo import demo_target
from envoy_exporter.collector.grid import PhaseBalancedGrid
from envoy_exporter.collector.target import Target
from envoy_exporter.envoy.models.meters import CtType, EnvoyMeterData

from .test_collector import FakeClock


def meter(
    ts: int, delivered: int, received: int, kind: CtType = CtType.NET_CONSUMPTION
) -> EnvoyMeterData:
    return EnvoyMeterData(
        eid="704643584",
        timestamp=ts,
        energy_delivered=delivered,
        energy_received=received,
        active_power=0,
        power_factor=1.0,
        voltage=230.0,
        current=0.0,
        frequency=50.0,
        state=None,
        measurement_type=kind,
        metering_status=None,
        status_flags=None,
    )


def reading(ts: int, *phases: tuple[int, int]) -> tuple[EnvoyMeterData, dict[str, EnvoyMeterData]]:
    per_phase = {f"L{i + 1}": meter(ts, d, r) for i, (d, r) in enumerate(phases)}
    total = meter(ts, sum(d for d, _ in phases), sum(r for _, r in phases))
    return total, per_phase


def test_one_phase_importing_while_another_exports_counts_the_balance() -> None:
    grid = PhaseBalancedGrid()
    assert grid.observe(*reading(100, (1000, 500), (2000, 800)))
    # L1 imports 30 Wh, L2 exports 50 Wh: per-phase counters say 30 in and 50 out,
    # a phase-balanced meter sees 20 Wh exported.
    grid.observe(*reading(115, (1030, 500), (2000, 850)))
    assert (grid.import_wh, grid.export_wh) == (0.0, 20.0)
    grid.observe(*reading(130, (1100, 500), (2010, 850)))
    assert (grid.import_wh, grid.export_wh) == (80.0, 20.0)


def test_the_same_reading_again_counts_nothing() -> None:
    grid = PhaseBalancedGrid()
    grid.observe(*reading(100, (1000, 0)))
    grid.observe(*reading(115, (1010, 0)))
    grid.observe(*reading(115, (1010, 0)))
    assert (grid.import_wh, grid.export_wh) == (10.0, 0.0)


def test_a_counter_going_backwards_restarts_from_the_new_reading() -> None:
    grid = PhaseBalancedGrid()
    grid.observe(*reading(100, (1000, 10), (1000, 10)))
    grid.observe(*reading(115, (5, 0), (5, 0)))  # a gateway reset its counters
    assert (grid.import_wh, grid.export_wh) == (0.0, 0.0)
    grid.observe(*reading(130, (15, 0), (5, 4)))
    assert (grid.import_wh, grid.export_wh) == (6.0, 0.0)


def test_a_single_phase_site_uses_the_meter_itself() -> None:
    grid = PhaseBalancedGrid()
    grid.observe(meter(100, 1000, 300), None)
    grid.observe(meter(115, 1000, 340), None)
    assert (grid.import_wh, grid.export_wh) == (0.0, 40.0)


def test_a_total_consumption_ct_gives_no_grid_energy() -> None:
    grid = PhaseBalancedGrid()
    assert not grid.observe(meter(100, 1000, 0, CtType.TOTAL_CONSUMPTION), None)
    assert not grid.observe(None, None)


def test_the_exporter_counts_grid_energy_phase_balanced(simulator: Any) -> None:
    """Against the simulator's three-phase site: the balance of import and export equals the
    change of the net energy summed over the phases, never more than the per-phase counters."""
    sim = simulator("metered-3phase")
    clock = FakeClock()
    sim.source.frozen_at = start = clock.now
    target = Target(demo_target(sim), clock=clock)
    first = target.snapshot()
    assert first.up and first.grid_energy_wh == (0.0, 0.0)
    phases = first.data.ctmeter_consumption_phases if first.data else None
    assert phases and len(phases) == 3
    for step in range(1, 41):  # ten minutes of readings, every 15 s
        clock.advance(15)
        sim.source.frozen_at = start + 15 * step
        last = target.snapshot()
    assert last.grid_energy_wh is not None and last.data is not None
    imported, exported = last.grid_energy_wh
    now = last.data.ctmeter_consumption_phases
    assert now is not None
    net = sum(
        (now[p].energy_delivered - phases[p].energy_delivered)
        - (now[p].energy_received - phases[p].energy_received)
        for p in now
    )
    per_phase = sum(
        (now[p].energy_delivered - phases[p].energy_delivered)
        + (now[p].energy_received - phases[p].energy_received)
        for p in now
    )
    assert imported + exported > 0
    assert imported - exported == net
    assert imported + exported <= per_phase
    target.close()
