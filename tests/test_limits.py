"""Production and export limits, end to end: the simulator's limit endpoints, the exporter's
/metrics over a real socket, and the client's refusal to need them."""

from __future__ import annotations

import requests

from envoy_exporter.envoy import SupportedFeatures
from envoy_exporter.envoy.const import URL_DPEL, URL_PEL_SETTINGS, URL_PV_LIMIT

from .conftest import SimulatorFactory
from .test_server import ServerFactory, exporter, samples  # noqa: F401 (fixture)


def values(text: str, name: str) -> list[float]:
    return [s.value for s in samples(text).get(name, [])]


def test_limits_that_are_on_reach_metrics(
    simulator: SimulatorFactory,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    limited = simulator("metered-3phase")
    assert limited.source.limits is not None
    limited.source.limits.production_enabled = True
    limited.source.limits.production_percent = 60.0
    limited.source.limits.export_enabled = True
    limited.source.limits.export_watts = 3500.0
    server = exporter({"home": limited}, single="home")
    text = requests.get(server.url + "metrics", timeout=60).text
    assert values(text, "enphase_production_limit_enabled") == [1.0]
    assert values(text, "enphase_production_limit_ratio") == [0.6]
    assert values(text, "enphase_export_limit_enabled") == [1.0]
    assert values(text, "enphase_export_limit_watts") == [3500.0]
    # read only: the exporter never writes a limit
    assert {r.method for r in limited.request_log} == {"GET"}
    assert {URL_PV_LIMIT, URL_PEL_SETTINGS, URL_DPEL} <= {r.path for r in limited.request_log}


def test_no_limit_is_no_export_limit_in_watts(
    simulator: SimulatorFactory,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    server = exporter({"home": simulator("battery")}, single="home")
    text = requests.get(server.url + "metrics", timeout=60).text
    assert values(text, "enphase_production_limit_enabled") == [0.0]
    assert values(text, "enphase_production_limit_ratio") == [1.0]
    assert values(text, "enphase_export_limit_enabled") == [0.0]
    # the gateway sends PEL_Limit 0.0 while no limit is on: that is no limit of 0 W
    assert values(text, "enphase_export_limit_watts") == []
    assert values(text, "enphase_dynamic_export_limit_enabled") == [0.0]
    assert values(text, "enphase_dynamic_export_limit_watts") == []
    assert values(text, "enphase_dynamic_production_limit_watts") == []


def test_a_dynamic_limit_reaches_metrics_by_what_it_limits(
    simulator: SimulatorFactory,
    exporter: ServerFactory,  # noqa: F811
) -> None:
    export_limited, production_limited = simulator("metered-3phase"), simulator("battery")
    for sim, on_export, watts in ((export_limited, True, 0.0), (production_limited, False, 1500.0)):
        assert sim.source.limits is not None
        sim.source.limits.dynamic_enabled = True
        sim.source.limits.dynamic_on_export = on_export
        sim.source.limits.dynamic_watts = watts
    server = exporter({"a": export_limited, "b": production_limited})
    exported = requests.get(server.url + "probe?target=a", timeout=60).text
    produced = requests.get(server.url + "probe?target=b", timeout=60).text
    assert values(exported, "enphase_dynamic_export_limit_enabled") == [1.0]
    # zero export is a limit of 0 W, not an absent one
    assert values(exported, "enphase_dynamic_export_limit_watts") == [0.0]
    assert values(exported, "enphase_dynamic_production_limit_watts") == []
    assert values(produced, "enphase_dynamic_export_limit_enabled") == [1.0]
    assert values(produced, "enphase_dynamic_export_limit_watts") == []
    assert values(produced, "enphase_dynamic_production_limit_watts") == [1500.0]


def test_a_gateway_without_limit_endpoints_has_no_limits_part(simulator: SimulatorFactory) -> None:
    from .test_client_envoy import connect

    envoy = connect(simulator("legacy"))
    envoy.probe()
    assert SupportedFeatures.LIMITS not in envoy.supported_features
    assert "limits" not in [u.name for u in envoy.updaters]
    envoy.close()
