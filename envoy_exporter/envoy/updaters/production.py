"""Production, consumption and ACB totals from /production.json, /production (JSON or 3.x HTML)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from packaging.version import Version

from ..const import (
    PHASENAMES,
    URL_PRODUCTION,
    URL_PRODUCTION_JSON,
    URL_PRODUCTION_V1,
    Endpoint,
    EndpointKind,
    SupportedFeatures,
)
from ..exceptions import EnvoyAuthenticationRequired, EnvoyDataError, EnvoyHTTPStatusError
from ..models.acb import EnvoyACBPower
from ..models.envoy import EnvoyData
from ..models.meters import CtType
from ..models.system_consumption import EnvoySystemConsumption
from ..models.system_production import EnvoySystemProduction
from .base import EnvoyUpdater
from .probe_errors import ENDPOINT_PROBE_ERRORS
from .production_repair import repair_total_consumption

_LOGGER = logging.getLogger(__name__)

#: firmware before this has no JSON production answer at all (only the HTML page)
FIRST_JSON_FIRMWARE = Version("4")
TOTAL = SupportedFeatures.TOTAL_CONSUMPTION
NET = SupportedFeatures.NET_CONSUMPTION
PRODUCTION = SupportedFeatures.PRODUCTION
PRODUCTION_PAGE = Endpoint(URL_PRODUCTION, EndpointKind.POWER)
#: 2-5 s on a real gateway: once CT readings give power it only adds their energies
PRODUCTION_JSON = Endpoint(URL_PRODUCTION_JSON, EndpointKind.POWER, EndpointKind.ENERGY)


def consumption_type(meter: dict[str, Any]) -> str | None:
    """The measurementType of a consumption entry.

    Firmware 4.2.x leaves it out: its consumption section holds one `eim` entry, the total
    consumption meter.
    """
    kind = meter.get("measurementType")
    if kind is None and meter.get("type") == "eim":
        return CtType.TOTAL_CONSUMPTION
    return kind if isinstance(kind, str) else None


def active_phases(lines: list[dict[str, Any]]) -> int:
    """Phases with any non-zero value: recent firmware always lists 3, unused ones all zero."""
    return sum(1 for line in lines if any(line.values()))


class EnvoyProductionUpdater(EnvoyUpdater):
    """Reads /production: metered production, consumption and ACB power."""

    name: ClassVar[str] = "production"
    declared: ClassVar[tuple[Endpoint, ...]] = (PRODUCTION_PAGE,)
    end_point: str = URL_PRODUCTION
    #: accept the inverter entry when the meter is inactive (the fallback updater)
    allow_inverters_fallback: ClassVar[bool] = False

    @property
    def _has_production_ct(self) -> bool:
        return self._common_properties.production_meter_type == CtType.PRODUCTION

    def probe(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """Find production, total/net consumption and ACB data not already discovered."""
        if discovered_features & (TOTAL | NET | PRODUCTION) == TOTAL | NET | PRODUCTION:
            return None
        self._supported_features = SupportedFeatures(0)
        working = self._common_properties.production_fallback_list
        if self.allow_inverters_fallback and working:
            self.end_point = working[0]
        try:
            answer = self._json_probe_request(self.end_point)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No production data at %s: %s", self.end_point, err)
            return self._probe_other(discovered_features)
        except EnvoyAuthenticationRequired as err:
            # some gateways answer 401 on these to users who may read them; without
            # real access the v1 endpoint probed later raises
            if self.end_point in (URL_PRODUCTION, URL_PRODUCTION_JSON):
                _LOGGER.debug("Production endpoint %s refused: %s", self.end_point, err)
                return None
            raise
        if self.end_point not in working and not self.allow_inverters_fallback:
            working.append(self.end_point)
        try:
            self._parse(self.end_point, self._probe_answer, answer, discovered_features)
        except EnvoyDataError as err:
            _LOGGER.debug("Production data at %s not understood: %s", self.end_point, err)
            self._supported_features = SupportedFeatures(0)
            return None
        self._common_properties.production_fallback_list = working
        return self._supported_features

    def _probe_other(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        """What to try when the JSON endpoint is not there (a subclass may try more)."""
        return None

    def _probe_answer(self, answer: dict[str, Any], discovered: SupportedFeatures) -> None:
        phases = 0
        if PRODUCTION not in discovered:
            phases = self._probe_production(answer.get("production") or [])
        for meter in answer.get("consumption") or []:
            if not meter.get("activeCount"):
                continue
            kind = consumption_type(meter)
            if kind == CtType.TOTAL_CONSUMPTION and TOTAL not in discovered:
                self._supported_features |= TOTAL
            if kind == CtType.NET_CONSUMPTION and NET not in discovered:
                self._supported_features |= NET
            if lines := meter.get("lines"):
                phases = max(phases, active_phases(lines))
        storage = answer.get("storage")
        # an ACB entry without percentFull has been seen on gateways with no working ACB
        if (
            storage
            and SupportedFeatures.ACB not in discovered
            and (count := storage[0].get("activeCount"))
            and "percentFull" in storage[0]
        ):
            self._supported_features |= SupportedFeatures.ACB
            self._common_properties.acb_batteries_reported = count
        self._common_properties.active_phase_count = phases
        expected = self._common_properties.phase_count
        if expected > 1 and phases != expected:
            _LOGGER.debug("Production report has %s of %s phases", phases, expected)

    def _probe_production(self, segments: list[dict[str, Any]]) -> int:
        """Set PRODUCTION (and METERING) from the production section; the phases seen."""
        for segment in segments:
            # fw 5.3.5528 and later: a gateway with a production CT now and then reports
            # its meter with activeCount 0; keep the meter rather than the inverter totals
            if segment["type"] == "eim" and (segment["activeCount"] or self._has_production_ct):
                self._supported_features |= SupportedFeatures.METERING | PRODUCTION
                return active_phases(segment["lines"]) if segment.get("lines") else 0
            if (
                self.allow_inverters_fallback
                and segment["type"] == "inverters"
                and segment["activeCount"]
            ):
                self._supported_features |= PRODUCTION
                return 0
        return 0

    def update(self, envoy_data: EnvoyData) -> None:
        """Store production, consumption, net consumption (and phases) and ACB power."""
        answer = self._json_request(self.end_point)
        envoy_data.raw[self.end_point] = answer
        self._parse(self.end_point, self._store, envoy_data, answer)

    def _phases(self) -> range:
        count = self._common_properties.phase_count
        return range(count if count > 1 else 0)

    def _store(self, envoy_data: EnvoyData, answer: dict[str, Any]) -> None:
        features = self._supported_features
        if PRODUCTION in features:
            self._store_production(envoy_data, answer)
        if features & (NET | TOTAL):
            self._store_consumption(envoy_data, answer)
        if SupportedFeatures.ACB in features:
            envoy_data.acb_power = EnvoyACBPower.from_production(answer)
        repair_total_consumption(
            envoy_data,
            self._envoy_version,
            SupportedFeatures.METERING in features,
            self._common_properties.phase_count,
        )

    def _store_production(self, envoy_data: EnvoyData, answer: dict[str, Any]) -> None:
        # Beyond the reference: once the probe found the meter active (METERING), a
        # meter that later reports activeCount 0 (fw 5.3.5528 and later do, now and
        # then) gives no value rather than a jump to the inverter entry's totals.
        meter_required = (
            self._has_production_ct or SupportedFeatures.METERING in self._supported_features
        )
        envoy_data.system_production = EnvoySystemProduction.from_production(answer, meter_required)
        phases: dict[str, EnvoySystemProduction | None] = {
            PHASENAMES[index]: data
            for index in self._phases()
            if (data := EnvoySystemProduction.from_production_phase(answer, index, meter_required))
        }
        if phases:
            envoy_data.system_production_phases = phases

    def _store_consumption(self, envoy_data: EnvoyData, answer: dict[str, Any]) -> None:
        envoy_data.system_consumption = EnvoySystemConsumption.from_production(answer)
        # Firmware 4.2.x lists the total consumption meter alone, with no net entry.
        has_net = len(answer["consumption"]) > 1
        if has_net:
            envoy_data.system_net_consumption = EnvoySystemConsumption.from_production(answer, 1)
        total: dict[str, EnvoySystemConsumption | None] = {}
        net: dict[str, EnvoySystemConsumption | None] = {}
        for index in self._phases():
            if data := EnvoySystemConsumption.from_production_phase(answer, index):
                total[PHASENAMES[index]] = data
            if has_net and (data := EnvoySystemConsumption.from_production_phase(answer, index, 1)):
                net[PHASENAMES[index]] = data
        if total:
            envoy_data.system_consumption_phases = total
        if net:
            envoy_data.system_net_consumption_phases = net


class EnvoyProductionJsonUpdater(EnvoyProductionUpdater):
    """Reads /production.json?details=1 (preferred: it has the phase lines)."""

    name: ClassVar[str] = "production_json"
    declared: ClassVar[tuple[Endpoint, ...]] = (PRODUCTION_JSON,)
    end_point: str = URL_PRODUCTION_JSON


class EnvoyProductionJsonFallbackUpdater(EnvoyProductionJsonUpdater):
    """Last resort for production: the inverter entry of the first production endpoint
    that answered, or (beyond the reference) the HTML /production page of firmware 3.x."""

    name: ClassVar[str] = "production_json_fallback"
    declared: ClassVar[tuple[Endpoint, ...]] = (PRODUCTION_JSON, PRODUCTION_PAGE)
    allow_inverters_fallback: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._html = False

    def _probe_other(self, discovered_features: SupportedFeatures) -> SupportedFeatures | None:
        # Firmware 3.x without /api/v1/production (D3.7.0) has only the HTML page; the
        # reference library gives up there (EnvoyProbeFailed).
        if PRODUCTION in discovered_features or self._envoy_version >= FIRST_JSON_FIRMWARE:
            return None
        try:
            # the page's rounded values only when the v1 endpoint is really absent, not
            # when its probe merely failed (a dropped connection)
            if 200 <= self._probe_request(URL_PRODUCTION_V1).status_code < 300:
                return None
            response = self._probe_request(URL_PRODUCTION)
        except ENDPOINT_PROBE_ERRORS as err:
            _LOGGER.debug("No production page at %s: %s", URL_PRODUCTION, err)
            return None
        if not 200 <= response.status_code < 300:
            return None
        try:
            EnvoySystemProduction.from_production_html(response.text)
        except ValueError as err:
            _LOGGER.debug("Production page at %s not understood: %s", URL_PRODUCTION, err)
            return None
        self._html = True
        self.end_point = URL_PRODUCTION
        self._supported_features = PRODUCTION
        return self._supported_features

    def update(self, envoy_data: EnvoyData) -> None:
        """Store production from the JSON endpoint, or from the 3.x HTML page."""
        if not self._html:
            super().update(envoy_data)
            return
        response = self._request(URL_PRODUCTION)
        if not 200 <= response.status_code < 300:
            raise EnvoyHTTPStatusError(response.status_code, response.url)
        page = response.text
        envoy_data.raw[URL_PRODUCTION] = page
        envoy_data.system_production = self._parse(
            URL_PRODUCTION, EnvoySystemProduction.from_production_html, page
        )
