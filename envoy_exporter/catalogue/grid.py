"""Grid import and export as a phase-balanced utility meter counts them (collector/grid.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from .spec import WH_TO_JOULES, MetricSpec, Sample, metric

_SOURCE = "/ivp/meters/readings actEnergyDlvd and actEnergyRcvd of the net-consumption CT"


def _side(index: int) -> Callable[[tuple[float, float] | None], Iterator[Sample]]:
    def extract(grid_energy_wh: tuple[float, float] | None) -> Iterator[Sample]:
        if grid_energy_wh is not None:
            yield Sample((), grid_energy_wh[index] * WH_TO_JOULES)

    return extract


# scale names the conversion from the gateway's Wh; the extractor applies it
_grid = partial(
    metric,
    subsystem="system",
    source=_SOURCE,
    unit="joules",
    scale=WH_TO_JOULES,
    kind="counter",
    snapshot=("grid_energy_wh",),
)
_HOW = (
    ", phase-balanced: at each CT reading the change of the net energy summed over all phases "
    "counts as import when positive, export when negative (as utilities that meter the phases "
    "summed bill it). Starts at zero when the exporter starts; use increase()"
)

SPECS: tuple[MetricSpec, ...] = (
    _grid("enphase_grid_import_energy_joules_total", "Energy imported from the grid" + _HOW,
          extract=_side(0)),
    _grid("enphase_grid_export_energy_joules_total", "Energy exported to the grid" + _HOW,
          extract=_side(1)),
)  # fmt: skip
