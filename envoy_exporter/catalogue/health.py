"""The gateway as a whole (up, identity, features) and the exporter's own health."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .spec import MetricSpec, Sample, metric

if TYPE_CHECKING:
    from ..collector.snapshot import GatewayInfo, PartStatus

# Each extractor is given the values of the Snapshot attributes its entry names (`snapshot`).


def _up(up: bool) -> Iterator[Sample]:
    yield Sample((), 1.0 if up else 0.0)


def _info(info: GatewayInfo | None) -> Iterator[Sample]:
    if info is not None:
        yield Sample((info.serial, info.firmware, info.part_number, info.model, info.host), 1.0)


def _features(features: tuple[str, ...]) -> Iterator[Sample]:
    for feature in features:
        yield Sample((feature,), 1.0)


def _poor_quality(info: GatewayInfo | None, poor: bool) -> Iterator[Sample]:
    if info is not None:
        yield Sample((), 1.0 if poor else 0.0)


def _interface_info(iface: Any) -> Iterator[Sample]:
    if iface is not None:
        yield Sample(
            (str(iface.interface_type), str(iface.timezone), str(bool(iface.dhcp)).lower()), 1.0
        )


def _software_build(iface: Any) -> Iterator[Sample]:
    epoch = getattr(iface, "software_build_epoch", None)
    if epoch:
        yield Sample((), float(epoch))


def _property(name: str) -> Callable[[Mapping[str, float]], Iterator[Sample]]:
    def extract(properties: Mapping[str, float]) -> Iterator[Sample]:
        if name in properties:
            yield Sample((), float(properties[name]))

    return extract


_LAYOUT = "/ivp/meters and the probe"
_gateway = partial(metric, subsystem="gateway")
GATEWAY: tuple[MetricSpec, ...] = (
    _gateway(
        "enphase_up",
        "1 when the last refresh reached the gateway, its login was accepted and a part has"
        " data to show; 0 otherwise",
        source="every endpoint",
        snapshot=("up",),
        extract=_up,
    ),
    _gateway(
        "enphase_info",
        "Gateway identity and the address it is read at, always 1",
        source="/info and the probe",
        kind="info",
        labels=("serial", "firmware", "part_number", "model", "host"),
        snapshot=("info",),
        extract=_info,
    ),
    _gateway(
        "enphase_supported_feature",
        "1 for each feature the probe found",
        source="the probe",
        labels=("feature",),
        snapshot=("supported_features",),
        extract=_features,
    ),
    _gateway(
        "enphase_poor_data_quality",
        "1 when the gateway's data shows a known firmware fault (all production zero at boot)",
        source="the updaters",
        snapshot=("info", "poor_data_quality"),
        extract=_poor_quality,
    ),
    _gateway(
        "enphase_interface_info",
        "Network interface of the gateway, always 1",
        source="/home",
        kind="info",
        labels=("interface_type", "timezone", "dhcp"),
        snapshot=("interface",),
        extract=_interface_info,
        covers=("EnvoyInterfaceInformation.dhcp",),
    ),
    _gateway(
        "enphase_software_build_timestamp_seconds",
        "Build time of the gateway software (Unix seconds)",
        source="/home",
        unit="seconds",
        snapshot=("interface",),
        extract=_software_build,
        covers=("EnvoyInterfaceInformation.software_build_epoch",),
    ),
    _gateway(
        "enphase_phases",
        "Number of phases configured for the CT meters",
        source=_LAYOUT,
        snapshot=("properties",),
        extract=_property("phase_count"),
        covers=("CommonProperties.phase_count",),
    ),
    _gateway(
        "enphase_active_phases",
        "Number of phases reporting production",
        source=_LAYOUT,
        snapshot=("properties",),
        extract=_property("active_phase_count"),
        covers=("CommonProperties.active_phase_count",),
    ),
    _gateway(
        "enphase_ct_meters",
        "Number of enabled CT meters",
        source=_LAYOUT,
        snapshot=("properties",),
        extract=_property("ct_meter_count"),
        covers=("CommonProperties.ct_meter_count",),
    ),
    _gateway(
        "enphase_acb_reported",
        "Number of AC Batteries in production's storage section",
        source=_LAYOUT,
        snapshot=("properties",),
        extract=_property("acb_batteries_reported"),
        covers=("CommonProperties.acb_batteries_reported",),
    ),
)


#: the order of a mapping's series; its keys are unique, and comparing them alone rather than
#: (key, value) pairs halves the sort, which runs at every render for the health series
_by_key = itemgetter(0)


def _part_values(attr: str) -> Callable[[Mapping[str, PartStatus]], Iterator[Sample]]:
    def extract(parts: Mapping[str, PartStatus]) -> Iterator[Sample]:
        for name, part in sorted(parts.items(), key=_by_key):
            value = getattr(part, attr)
            if value is not None:
                yield Sample((name,), float(value))

    return extract


def _mapping(values: Mapping[str, float] | Mapping[tuple[str, ...], float]) -> Iterator[Sample]:
    for key, value in sorted(values.items(), key=_by_key):
        yield Sample(key if type(key) is tuple else (key,), float(value))


def _scalar(value: float | None) -> Iterator[Sample]:
    if value is not None:
        yield Sample((), float(value))


_T = "the exporter"
_exporter = partial(metric, subsystem="exporter", source=_T)
EXPORTER: tuple[MetricSpec, ...] = (
    _exporter(
        "enphase_exporter_collector_success",
        "1 when the part (client updater) was read at the last refresh",
        labels=("collector",),
        snapshot=("parts",),
        extract=_part_values("ok"),
    ),
    _exporter(
        "enphase_exporter_collector_duration_seconds",
        "Time the part took at the last refresh, answers served from the schedule's store included",
        unit="seconds",
        labels=("collector",),
        snapshot=("parts",),
        extract=_part_values("duration_seconds"),
    ),
    _exporter(
        "enphase_exporter_data_age_seconds",
        "Age of the freshest "
        "gateway answer behind the part's values; past 3 intervals the values are dropped",
        unit="seconds",
        labels=("collector",),
        snapshot=("parts",),
        extract=_part_values("age_seconds"),
    ),
    _exporter(
        "enphase_exporter_data_stale",
        "1 when the part's values are dropped for being older than 3 refresh intervals",
        labels=("collector",),
        snapshot=("parts",),
        extract=_part_values("stale"),
    ),
    _exporter(
        "enphase_exporter_refresh_interval_seconds",
        "Effective refresh interval of the endpoint, after the busy-time budget",
        unit="seconds",
        labels=("endpoint",),
        snapshot=("intervals",),
        extract=_mapping,
    ),
    _exporter(
        "enphase_exporter_endpoint_latency_seconds",
        "Estimated time the gateway takes to answer the endpoint",
        unit="seconds",
        labels=("endpoint",),
        snapshot=("latencies",),
        extract=_mapping,
    ),
    _exporter(
        "enphase_exporter_requests_total",
        'Requests sent to the gateway, by answer status code ("error" when none came)',
        kind="counter",
        labels=("endpoint", "code"),
        snapshot=("requests",),
        extract=_mapping,
    ),
    _exporter(
        "enphase_exporter_request_duration_seconds_total",
        "Time spent waiting for the gateway's answers",
        kind="counter",
        unit="seconds",
        labels=("endpoint",),
        snapshot=("request_seconds",),
        extract=_mapping,
    ),
    _exporter(
        "enphase_exporter_gateway_busy_ratio",
        "Estimated share of the gateway's time spent answering this exporter",
        unit="ratio",
        snapshot=("busy_ratio",),
        extract=_scalar,
    ),
    _exporter(
        "enphase_exporter_busy_budget_exceeded",
        "1 when power and state endpoints alone keep the gateway busier than the busy budget "
        "allows (they are read on time anyway)",
        snapshot=("busy_budget_exceeded",),
        extract=_scalar,
    ),
    _exporter(
        "enphase_exporter_last_refresh_success_timestamp_seconds",
        "Time of the last refresh that read the gateway (Unix seconds)",
        unit="seconds",
        snapshot=("last_success",),
        extract=_scalar,
    ),
    _exporter(
        "enphase_exporter_token_expiry_timestamp_seconds",
        "Expiry of the gateway token in use (Unix seconds)",
        unit="seconds",
        snapshot=("token_expiry",),
        extract=_scalar,
    ),
    _exporter(
        "enphase_exporter_authentication_failed",
        "1 when the credentials fail: the gateway or Enlighten refused them at the last "
        "login, the token expired, no token could be had, or the gateway refused them for "
        "the inverters (readable by every account) at the last probe",
        snapshot=("auth_failed",),
        extract=_scalar,
    ),
    _exporter(
        "enphase_exporter_enlighten_failures_total",
        "Failed attempts to get a token from Enlighten, by reason: refused (the username or "
        "password, or the account has no access to the gateway), unexpected (an answer of "
        "another login flow: Enlighten changed it, or multi-factor authentication), "
        "unreachable",
        kind="counter",
        labels=("reason",),
        snapshot=("enlighten_failures",),
        extract=_mapping,
    ),
    _exporter(
        "enphase_exporter_counter_decreases_total",
        "Times a lifetime energy counter of the gateway went backwards",
        kind="counter",
        snapshot=("counter_decreases",),
        extract=_scalar,
    ),
)


def _written_by_the_output() -> Iterator[Sample]:
    return iter(())


#: written by the Prometheus output, which applies the cap, only while series are left out
SERIES_DROPPED = metric(
    "enphase_exporter_series_dropped",
    "Series of the gateway's data left out of this exposition because the target reached "
    "its cap (max_series, default 20,000); absent below the cap",
    subsystem="exporter",
    source=_T,
    snapshot=(),
    extract=_written_by_the_output,
)

SPECS: tuple[MetricSpec, ...] = (*GATEWAY, *EXPORTER, SERIES_DROPPED)
