"""The gateway as a whole (up, identity, features) and the exporter's own health."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .spec import Kind, MetricSpec, Sample

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot


def _spec(
    name: str,
    kind: Kind,
    unit: str,
    help_text: str,
    labels: tuple[str, ...],
    extract: Callable[[Snapshot], Iterator[Sample]],
    source: str,
    covers: tuple[str, ...] = (),
) -> MetricSpec:
    subsystem = "exporter" if name.startswith("enphase_exporter_") else "gateway"
    return MetricSpec(
        name=name,
        kind=kind,
        unit=unit,
        help=f"{help_text} (source: {source})",
        labels=labels,
        extract=extract,
        source=source,
        covers=covers,
        subsystem=subsystem,
    )


def _up(s: Snapshot) -> Iterator[Sample]:
    yield Sample((), 1.0 if s.up else 0.0)


def _info(s: Snapshot) -> Iterator[Sample]:
    if s.info is not None:
        info = s.info
        yield Sample((info.serial, info.firmware, info.part_number, info.model, info.host), 1.0)


def _features(s: Snapshot) -> Iterator[Sample]:
    for feature in s.supported_features:
        yield Sample((feature,), 1.0)


def _poor_quality(s: Snapshot) -> Iterator[Sample]:
    if s.info is not None:
        yield Sample((), 1.0 if s.poor_data_quality else 0.0)


def _interface_info(s: Snapshot) -> Iterator[Sample]:
    iface = s.interface
    if iface is not None:
        yield Sample(
            (str(iface.interface_type), str(iface.timezone), str(bool(iface.dhcp)).lower()), 1.0
        )


def _software_build(s: Snapshot) -> Iterator[Sample]:
    epoch = getattr(s.interface, "software_build_epoch", None)
    if epoch:
        yield Sample((), float(epoch))


def _property(name: str) -> Callable[[Snapshot], Iterator[Sample]]:
    def extract(s: Snapshot) -> Iterator[Sample]:
        if name in s.properties:
            yield Sample((), float(s.properties[name]))

    return extract


_PROPERTIES = (
    ("enphase_phases", "phase_count", "Number of phases configured for the CT meters"),
    ("enphase_active_phases", "active_phase_count", "Number of phases reporting production"),
    ("enphase_ct_meters", "ct_meter_count", "Number of enabled CT meters"),
    (
        "enphase_acb_reported",
        "acb_batteries_reported",
        "Number of AC Batteries in production's storage section",
    ),
)

GATEWAY: tuple[MetricSpec, ...] = (
    _spec(
        "enphase_up",
        "gauge",
        "",
        "1 when the last refresh reached the gateway, its login was accepted and a part has"
        " data to show; 0 otherwise",
        (),
        _up,
        "every endpoint",
    ),
    _spec(
        "enphase_info",
        "info",
        "",
        "Gateway identity and the address it is read at, always 1",
        ("serial", "firmware", "part_number", "model", "host"),
        _info,
        "/info and the probe",
    ),
    _spec(
        "enphase_supported_feature",
        "gauge",
        "",
        "1 for each feature the probe found",
        ("feature",),
        _features,
        "the probe",
    ),
    _spec(
        "enphase_poor_data_quality",
        "gauge",
        "",
        "1 when the gateway's data shows a known firmware fault (all production zero at boot)",
        (),
        _poor_quality,
        "the updaters",
    ),
    _spec(
        "enphase_interface_info",
        "info",
        "",
        "Network interface of the gateway, always 1",
        ("interface_type", "timezone", "dhcp"),
        _interface_info,
        "/home",
        covers=("EnvoyInterfaceInformation.dhcp",),
    ),
    _spec(
        "enphase_software_build_timestamp_seconds",
        "gauge",
        "seconds",
        "Build time of the gateway software (Unix seconds)",
        (),
        _software_build,
        "/home",
        covers=("EnvoyInterfaceInformation.software_build_epoch",),
    ),
    *(
        _spec(
            name,
            "gauge",
            "",
            text,
            (),
            _property(attr),
            "/ivp/meters and the probe",
            covers=(f"CommonProperties.{attr}",),
        )
        for name, attr, text in _PROPERTIES
    ),
)


def _part_values(attr: str) -> Callable[[Snapshot], Iterator[Sample]]:
    def extract(s: Snapshot) -> Iterator[Sample]:
        for name, part in sorted(s.parts.items()):
            value = getattr(part, attr)
            if value is not None:
                yield Sample((name,), float(value))

    return extract


def _mapping(attr: str) -> Callable[[Snapshot], Iterator[Sample]]:
    def extract(s: Snapshot) -> Iterator[Sample]:
        values = getattr(s, attr)
        for key, value in sorted(values.items()):
            yield Sample(tuple(map(str, key)) if type(key) is tuple else (str(key),), float(value))

    return extract


def _scalar(attr: str) -> Callable[[Snapshot], Iterator[Sample]]:
    def extract(s: Snapshot) -> Iterator[Sample]:
        value = getattr(s, attr)
        if value is not None:
            yield Sample((), float(value))

    return extract


_T = "the exporter"
EXPORTER: tuple[MetricSpec, ...] = (
    _spec(
        "enphase_exporter_collector_success",
        "gauge",
        "",
        "1 when the part (client updater) was read at the last refresh",
        ("collector",),
        _part_values("ok"),
        _T,
    ),
    _spec(
        "enphase_exporter_collector_duration_seconds",
        "gauge",
        "seconds",
        "Time the part took at the last refresh, answers served from the schedule's store included",
        ("collector",),
        _part_values("duration_seconds"),
        _T,
    ),
    _spec(
        "enphase_exporter_data_age_seconds",
        "gauge",
        "seconds",
        "Age of the freshest "
        "gateway answer behind the part's values; past 3 intervals the values are dropped",
        ("collector",),
        _part_values("age_seconds"),
        _T,
    ),
    _spec(
        "enphase_exporter_data_stale",
        "gauge",
        "",
        "1 when the part's values are dropped for being older than 3 refresh intervals",
        ("collector",),
        _part_values("stale"),
        _T,
    ),
    _spec(
        "enphase_exporter_refresh_interval_seconds",
        "gauge",
        "seconds",
        "Effective refresh interval of the endpoint, after the busy-time budget",
        ("endpoint",),
        _mapping("intervals"),
        _T,
    ),
    _spec(
        "enphase_exporter_endpoint_latency_seconds",
        "gauge",
        "seconds",
        "Estimated time the gateway takes to answer the endpoint",
        ("endpoint",),
        _mapping("latencies"),
        _T,
    ),
    _spec(
        "enphase_exporter_requests_total",
        "counter",
        "",
        'Requests sent to the gateway, by answer status code ("error" when none came)',
        ("endpoint", "code"),
        _mapping("requests"),
        _T,
    ),
    _spec(
        "enphase_exporter_request_duration_seconds_total",
        "counter",
        "seconds",
        "Time spent waiting for the gateway's answers",
        ("endpoint",),
        _mapping("request_seconds"),
        _T,
    ),
    _spec(
        "enphase_exporter_gateway_busy_ratio",
        "gauge",
        "ratio",
        "Estimated share of the gateway's time spent answering this exporter",
        (),
        _scalar("busy_ratio"),
        _T,
    ),
    _spec(
        "enphase_exporter_last_refresh_success_timestamp_seconds",
        "gauge",
        "seconds",
        "Time of the last refresh that read the gateway (Unix seconds)",
        (),
        _scalar("last_success"),
        _T,
    ),
    _spec(
        "enphase_exporter_token_expiry_timestamp_seconds",
        "gauge",
        "seconds",
        "Expiry of the gateway token in use (Unix seconds)",
        (),
        _scalar("token_expiry"),
        _T,
    ),
    _spec(
        "enphase_exporter_authentication_failed",
        "gauge",
        "",
        "1 when the credentials fail: the gateway or Enlighten refused them at the last "
        "login, the token expired, no token could be had, or the gateway refused them for "
        "the inverters (readable by every account) at the last probe",
        (),
        _scalar("auth_failed"),
        _T,
    ),
    _spec(
        "enphase_exporter_counter_decreases_total",
        "counter",
        "",
        "Times a lifetime energy counter of the gateway went backwards",
        (),
        _scalar("counter_decreases"),
        _T,
    ),
)

SPECS: tuple[MetricSpec, ...] = (*GATEWAY, *EXPORTER)
