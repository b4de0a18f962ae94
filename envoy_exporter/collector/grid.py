"""Grid import and export as a phase-balanced utility meter counts them.

A net-consumption CT counts energy delivered and received on each phase on its own. When
one phase imports while another exports, the per-phase counters grow on both sides, while
many utilities (Germany, the Netherlands, Belgium among others) meter the phases summed:
only the balance crosses the meter. At each new CT reading the change of the net energy
summed over all phases counts as import when positive and as export when negative.

The totals start at zero when the exporter starts (Prometheus's increase() handles that).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..envoy.models.meters import CtType, EnvoyMeterData


@dataclass
class PhaseBalancedGrid:
    """Import and export energy (Wh) since the exporter started, summed over the phases."""

    import_wh: float = 0.0
    export_wh: float = 0.0
    #: the last reading counted: its time and each phase's (delivered, received) counters
    _last: tuple[int, dict[str, tuple[int, int]]] | None = field(default=None, repr=False)

    def observe(
        self, total: EnvoyMeterData | None, phases: Mapping[str, EnvoyMeterData] | None
    ) -> bool:
        """Count a reading of the net-consumption CT; False when it gives no grid energy
        (no such CT: a total-consumption CT measures the house, not the grid)."""
        if total is None or total.measurement_type != CtType.NET_CONSUMPTION:
            return False
        channels = dict(phases) if phases else {"": total}
        counters = {
            name: (meter.energy_delivered, meter.energy_received)
            for name, meter in channels.items()
        }
        last, self._last = self._last, (total.timestamp, counters)
        if last is None or last[0] == total.timestamp or last[1].keys() != counters.keys():
            return True  # the first reading, the same one again, or the phases changed
        if any(
            now[0] < before[0] or now[1] < before[1]
            for now, before in zip(counters.values(), last[1].values(), strict=True)
        ):
            return True  # a counter went backwards (gateway reset): start again from here
        change = sum(d - r for d, r in counters.values()) - sum(d - r for d, r in last[1].values())
        if change > 0:
            self.import_wh += change
        else:
            self.export_wh -= change
        return True
