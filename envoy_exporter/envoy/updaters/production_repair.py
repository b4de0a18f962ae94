"""Firmware 8.3.5433 and later report net consumption as total consumption: repair it."""

from __future__ import annotations

import logging

from packaging.version import Version

from ..models.envoy import EnvoyData
from ..models.system_consumption import EnvoySystemConsumption
from ..models.system_production import EnvoySystemProduction

_LOGGER = logging.getLogger(__name__)

#: from this firmware a metered gateway with a total-consumption CT overwrites the total
#: consumption's whLifetime and wNow with the net consumption's (capture 8.3.5433_tot_is_net_cons)
TOTAL_IS_NET_VERSION = Version("8.3.5433")


def _same(total: EnvoySystemConsumption, net: EnvoySystemConsumption) -> bool:
    return total.watt_hours_lifetime == net.watt_hours_lifetime and total.watts_now == net.watts_now


def _add_production(total: EnvoySystemConsumption, production: EnvoySystemProduction) -> None:
    # total = net + production (the gateway gave net for total)
    total.watt_hours_lifetime += production.watt_hours_lifetime
    total.watts_now += production.watts_now


def repair_total_consumption(
    envoy_data: EnvoyData, version: Version, metered: bool, phase_count: int
) -> None:
    """Turn a total consumption equal to net consumption back into a total.

    Only lifetime energy and power now are repaired (the gateway gets the others
    wrong too, but with no way back to the true value). Without production data
    (a meter that reported activeCount 0) the total cannot be rebuilt: it is then
    dropped rather than reported with the net consumption's values.
    """
    total = envoy_data.system_consumption
    net = envoy_data.system_net_consumption
    if version < TOTAL_IS_NET_VERSION or not metered or total is None or net is None:
        return
    if not _same(total, net):
        return
    production = envoy_data.system_production
    if production is None:
        _LOGGER.debug("Total consumption equals net and no production to repair it: dropped")
        envoy_data.system_consumption = None
        envoy_data.system_consumption_phases = None
        return
    _add_production(total, production)
    if phase_count > 1:
        _repair_phases(envoy_data)


def _repair_phases(envoy_data: EnvoyData) -> None:
    productions = envoy_data.system_production_phases
    totals = envoy_data.system_consumption_phases
    nets = envoy_data.system_net_consumption_phases
    if productions is None or totals is None or nets is None:
        return
    for phase in set(productions) & set(totals) & set(nets):
        total, net, production = totals[phase], nets[phase], productions[phase]
        if total is not None and net is not None and production is not None and _same(total, net):
            _add_production(total, production)
