"""CT meters: configuration from /ivp/meters, readings from /ivp/meters/readings."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from packaging.version import Version

from ..const import (
    PHASENAMES,
    URL_METERS,
    URL_METERS_READINGS,
    Endpoint,
    EndpointKind,
    PhaseNames,
    SupportedFeatures,
)
from ..exceptions import EnvoyAuthenticationRequired
from ..models.envoy import EnvoyData
from ..models.meters import (
    CtMeterData,
    CtState,
    CtType,
    EnvoyMeterData,
    EnvoyPhaseMode,
    enum_or_none,
)
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS

_LOGGER = logging.getLogger(__name__)

# From D8.3.6xxx a split-phase storage CT now and then reads all zero on one channel,
# and the aggregate then drops to the other channel's values.
STORAGE_CT_ONE_CHANNEL_VERSION = Version("8.3.6000")


def _statuses_by_eid(statuses: list[CtMeterData]) -> dict[Any, CtMeterData]:
    return {status["eid"]: status for status in statuses}


class EnvoyMetersUpdater(EnvoyUpdater):
    """Reads the enabled CTs; its probe sets the phase and CT common properties."""

    name: ClassVar[str] = "meters"
    declared: ClassVar[tuple[Endpoint, ...]] = (
        # statusFlags and meteringStatus, which a CT alert watches
        Endpoint(URL_METERS, EndpointKind.STATUS),
        Endpoint(URL_METERS_READINGS, EndpointKind.POWER),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phase_count = 0
        self.phase_mode: EnvoyPhaseMode | None = None
        self.ct_meters_count = 0
        #: measurementType of every enabled CT, as given (may hold types we do not know)
        self.meter_types: list[str] = []
        #: eid of every enabled CT -> its measurementType
        self.meter_eids: dict[Any, str] = {}

    def _publish(self) -> None:
        props = self._common_properties
        props.phase_count = self.phase_count
        props.phase_mode = self.phase_mode
        props.ct_meter_count = self.ct_meters_count
        props.production_meter_type = self._installed(CtType.PRODUCTION)
        props.consumption_meter_type = self._installed(
            CtType.NET_CONSUMPTION, CtType.TOTAL_CONSUMPTION
        )
        props.storage_meter_type = self._installed(CtType.STORAGE)

    def _installed(self, *types: CtType) -> CtType | None:
        return next((kind for kind in types if kind in self.meter_types), None)

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """Find the enabled CTs and the phase setup (THREEPHASE/DUALPHASE, CTMETERS)."""
        if SupportedFeatures.CTMETERS in discovered_features:
            return None
        # the totals alone are "one phase"; these defaults stand if we leave early
        self.phase_count = 1
        self.phase_mode = None
        self.ct_meters_count = 0
        self.meter_types = []
        self.meter_eids = {}
        self._publish()
        try:
            meters = self._json_probe_request(URL_METERS)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No CT meters endpoint: %s", err)
            return None
        except EnvoyAuthenticationRequired as err:
            # D3.18.10 answers 401 here even to a user who may read it
            _LOGGER.debug("CT meters endpoint refused: %s", err)
            return None
        # a non-metered gateway answers [], some firmware {"error": "..."} with status 200
        if not meters or (isinstance(meters, dict) and "error" in meters):
            return None
        self._parse(URL_METERS, self._read_configuration, meters)
        self._publish()
        if self.phase_count > 2:
            self._supported_features |= SupportedFeatures.THREEPHASE
        elif self.phase_count > 1:
            self._supported_features |= SupportedFeatures.DUALPHASE
        if self.ct_meters_count:
            self._supported_features |= SupportedFeatures.CTMETERS
        return self._supported_features

    def _read_configuration(self, meters: list[CtMeterData]) -> None:
        for meter in meters:
            if meter["state"] != CtState.ENABLED:
                continue
            kind = meter["measurementType"]
            self.meter_types.append(kind)
            self.meter_eids[meter["eid"]] = kind
            self.ct_meters_count += 1
            self.phase_mode = enum_or_none(EnvoyPhaseMode, meter["phaseMode"])
            phase_count = int(meter["phaseCount"])
            if not 0 <= phase_count <= len(PHASENAMES):
                # A grid has at most three phases; a larger count is a corrupt answer.
                raise ValueError(f"phaseCount {phase_count} outside 0..{len(PHASENAMES)}")
            self.phase_count = max(self.phase_count, phase_count)

    def update(self, envoy_data: EnvoyData) -> None:
        """Store the readings of the CTs enabled at probe time, matched by eid."""
        statuses = self._json_request(URL_METERS)
        readings = self._json_request(URL_METERS_READINGS)
        envoy_data.raw[URL_METERS] = statuses
        envoy_data.raw[URL_METERS_READINGS] = readings
        by_eid = self._parse(URL_METERS, _statuses_by_eid, statuses)
        self._parse(URL_METERS_READINGS, self._store_readings, envoy_data, readings, by_eid)

    def _store_readings(
        self,
        envoy_data: EnvoyData,
        readings: list[dict[str, Any]],
        by_eid: dict[Any, CtMeterData],
    ) -> None:
        phases = self.phase_count if self.phase_count > 1 else 0
        for reading in readings:
            eid = reading["eid"]
            status = by_eid.get(eid)
            # 8.3.5025 lists an all-zero storage CT that /ivp/meters does not know
            if status is None or eid not in self.meter_eids:
                continue
            kind = enum_or_none(CtType, self.meter_eids[eid])
            total = EnvoyMeterData.from_api(reading, status)
            per_phase = {
                PHASENAMES[index]: data
                for index in range(phases)
                if (data := EnvoyMeterData.from_phase(reading, status, index)) is not None
            }
            if kind is CtType.STORAGE and (zero := self._storage_zero_channel(total, per_phase)):
                # D8.3.6xxx: report no total and not the zeroed channel, rather than a drop
                self._assign(envoy_data, kind, None, _without(per_phase, zero))
                continue
            self._assign(envoy_data, kind, total, per_phase)

    def _storage_zero_channel(
        self, total: EnvoyMeterData, per_phase: dict[str, EnvoyMeterData]
    ) -> str | None:
        """The channel a D8.3.6xxx split-phase storage CT zeroed, if it did."""
        if not (
            self._envoy_version >= STORAGE_CT_ONE_CHANNEL_VERSION
            and self.phase_mode == EnvoyPhaseMode.SPLIT
            and self.phase_count == 2
        ):
            return None
        first, second = per_phase.get(PhaseNames.PHASE_1), per_phase.get(PhaseNames.PHASE_2)
        if first is None or second is None:
            return None
        first_zeroed, second_zeroed = _zeroed(first, second, total), _zeroed(second, first, total)
        if first_zeroed == second_zeroed:
            return None
        return PhaseNames.PHASE_1 if first_zeroed else PhaseNames.PHASE_2

    @staticmethod
    def _assign(
        envoy_data: EnvoyData,
        kind: CtType | None,
        total: EnvoyMeterData | None,
        per_phase: dict[str, EnvoyMeterData],
    ) -> None:
        if kind is CtType.PRODUCTION:
            envoy_data.ctmeter_production = total
            if per_phase:
                envoy_data.ctmeter_production_phases = per_phase
        elif kind in (CtType.NET_CONSUMPTION, CtType.TOTAL_CONSUMPTION):
            envoy_data.ctmeter_consumption = total
            if per_phase:
                envoy_data.ctmeter_consumption_phases = per_phase
        elif kind is CtType.STORAGE:
            envoy_data.ctmeter_storage = total
            if per_phase:
                envoy_data.ctmeter_storage_phases = per_phase


def _without(per_phase: dict[str, EnvoyMeterData], phase: str) -> dict[str, EnvoyMeterData]:
    return {name: data for name, data in per_phase.items() if name != phase}


def _zeroed(suspect: EnvoyMeterData, other: EnvoyMeterData, total: EnvoyMeterData) -> bool:
    """True when `suspect` reads zero energy and the total equals the `other` channel."""
    return (
        suspect.energy_delivered == 0
        and suspect.energy_received == 0
        and other.energy_delivered != 0
        and other.energy_received != 0
        and total.energy_delivered == other.energy_delivered
        and total.energy_received == other.energy_received
    )
