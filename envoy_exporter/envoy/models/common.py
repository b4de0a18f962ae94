"""Properties shared between the updaters and with the Envoy's callers."""

from __future__ import annotations

from dataclasses import dataclass, field

from .meters import CtType, EnvoyPhaseMode


@dataclass
class CommonProperties:
    """State the updaters share. Probe properties are reset at every probe."""

    # Probe properties (reset by reset_probe_properties).
    #: production endpoints that may stand in for a metered gateway without CTs
    production_fallback_list: list[str] = field(default_factory=list)
    #: ACB batteries found in production.json's storage section; the ensemble
    #: updater only combines ACB with Encharge when this is non-zero
    acb_batteries_reported: int = 0
    #: the imeter flag of /info: a metered gateway, possibly without CTs installed
    imeter_info: bool = False

    # Owned by the meters updater.
    phase_count: int = 0
    ct_meter_count: int = 0
    phase_mode: EnvoyPhaseMode | None = None
    consumption_meter_type: CtType | None = None
    production_meter_type: CtType | None = None
    storage_meter_type: CtType | None = None
    # Owned by the production updaters.
    active_phase_count: int = 0

    def reset_probe_properties(self, is_metered: bool = False) -> None:
        """Forget what the last probe found, so nothing sticks across probes."""
        self.production_fallback_list = []
        self.acb_batteries_reported = 0
        self.imeter_info = is_metered
