"""OTLP push options for `serve` and `push`, defaulting from the standard OpenTelemetry variables.

Precedence: a command-line flag, then the metrics-specific variable
(OTEL_EXPORTER_OTLP_METRICS_*), then the general one (OTEL_EXPORTER_OTLP_*), then the
specification's default. As the specification says, the variables give times in
milliseconds; the flags take seconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

import click

if TYPE_CHECKING:
    from ..collector.target import Target
    from ..outputs.otlp import OtlpSettings
    from ..outputs.otlp_push import OtlpPush

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_ENDPOINTS = {"http/protobuf": "http://localhost:4318", "grpc": "http://localhost:4317"}
HTTP_METRICS_PATH = "/v1/metrics"
DEFAULT_TIMEOUT = 10.0
DEFAULT_INTERVAL = 60.0
_PARAMS = ("otlp_endpoint", "otlp_protocol", "otlp_headers", "otlp_timeout", "otlp_interval")


def otlp_transport_options(func: F) -> F:
    """Endpoint, protocol, headers, timeout and interval of the OTLP push."""
    options = [
        click.option("--otlp.endpoint", "otlp_endpoint", metavar="URL",
                     help="Collector URL, e.g. http://collector:4318 (http/protobuf: /v1/metrics "
                          "is appended unless given) or http://collector:4317 (grpc). Default: "
                          "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (used as is), else "
                          "OTEL_EXPORTER_OTLP_ENDPOINT, else localhost."),
        click.option("--otlp.protocol", "otlp_protocol",
                     type=click.Choice(["grpc", "http/protobuf"]),
                     help="Default: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else "
                          "OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf."),
        click.option("--otlp.headers", "otlp_headers", metavar="K=V,...",
                     help="Headers sent with each export (URL-encoded values). Default: "
                          "OTEL_EXPORTER_OTLP_METRICS_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS "
                          "(prefer the variables for API keys: arguments are visible to "
                          "other local users)."),
        click.option("--otlp.timeout", "otlp_timeout", type=click.FloatRange(min=0.1),
                     metavar="SECONDS",
                     help="Seconds one export may take. Default: OTEL_EXPORTER_OTLP_METRICS_"
                          "TIMEOUT or OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds), else 10."),
        click.option("--otlp.interval", "otlp_interval", type=click.FloatRange(min=0.1),
                     metavar="SECONDS",
                     help="Seconds between exports. Default: OTEL_METRIC_EXPORT_INTERVAL "
                          "(milliseconds), else 60."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def otlp_options(func: F) -> F:
    """--otlp/--no-otlp plus the transport options: push as well as serve /metrics."""
    func = otlp_transport_options(func)
    return click.option(
        "--otlp/--no-otlp", "otlp", default=False, envvar="ENVOY_EXPORTER_OTLP",
        show_envvar=True,
        help="Also push the metrics to an OpenTelemetry collector over OTLP.",
    )(func)  # fmt: skip


def otlp_settings_from(
    params: dict[str, Any], env: Mapping[str, str] | None = None, *, enabled: bool | None = None
) -> OtlpSettings | None:
    """OtlpSettings from the options (consumed from `params`), or None when --no-otlp.

    `enabled` overrides --otlp (the push command always pushes). Bad values raise
    click.UsageError naming the flag or variable.
    """
    env = os.environ if env is None else env
    on = params.pop("otlp", False) if enabled is None else enabled
    flags = {name: params.pop(name, None) for name in _PARAMS}
    if not on:
        return None
    from ..outputs.otlp import OtlpSettings

    protocol = flags["otlp_protocol"] or _env(
        env, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    protocol = (protocol or "http/protobuf").strip()
    if protocol not in DEFAULT_ENDPOINTS:
        raise click.UsageError(
            f"OTLP protocol must be grpc or http/protobuf, got {protocol!r} "
            "(from OTEL_EXPORTER_OTLP_*PROTOCOL)"
        )
    try:
        return OtlpSettings(
            endpoint=resolve_endpoint(flags["otlp_endpoint"], protocol, env),
            protocol=protocol,  # type: ignore[arg-type]
            headers=resolve_headers(flags["otlp_headers"], env),
            timeout=_seconds(flags["otlp_timeout"], env, _TIMEOUT_VARS, DEFAULT_TIMEOUT),
            interval=_seconds(flags["otlp_interval"], env, _INTERVAL_VARS, DEFAULT_INTERVAL),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


_TIMEOUT_VARS = ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")
_INTERVAL_VARS = ("OTEL_METRIC_EXPORT_INTERVAL",)


def _env(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _env_name(env: Mapping[str, str], names: Iterable[str]) -> str:
    return next((n for n in names if env.get(n, "").strip()), "")


def resolve_endpoint(flag: str | None, protocol: str, env: Mapping[str, str]) -> str:
    """The URL the exporter is given: for http/protobuf the full URL of the metrics path."""
    signal = None if flag else _env(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
    if signal:
        _check_url(signal, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
        return signal  # the specification: a signal-specific endpoint is used as is
    base = flag or _env(env, "OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_ENDPOINTS[protocol]
    _check_url(base, "--otlp.endpoint" if flag else "OTEL_EXPORTER_OTLP_ENDPOINT")
    if protocol == "grpc":
        return base
    path = urlsplit(base).path.rstrip("/")
    if path.endswith(HTTP_METRICS_PATH):
        return base
    return base.rstrip("/") + HTTP_METRICS_PATH


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: {url!r} is not an http:// or https:// URL with a host")


def resolve_headers(flag: str | None, env: Mapping[str, str]) -> dict[str, str]:
    """Parse "k1=v1,k2=v2" (values URL-encoded, as in OTEL_EXPORTER_OTLP_HEADERS)."""
    names = ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")
    raw = flag if flag is not None else _env(env, *names)
    where = "--otlp.headers" if flag is not None else _env_name(env, names)
    headers: dict[str, str] = {}
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = unquote(key).strip()
        if not sep or not key or any(c.isspace() for c in key):
            # the value is not shown: headers often carry an API key
            raise ValueError(f"{where}: entry {key or '(empty)'!r} is not KEY=VALUE")
        headers[key] = unquote(value).strip()
    return headers


def _seconds(
    flag: float | None, env: Mapping[str, str], names: tuple[str, ...], default: float
) -> float:
    if flag is not None:
        return float(flag)
    raw = _env(env, *names)
    if raw is None:
        return default
    name = _env_name(env, names)
    try:
        millis = float(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a number of milliseconds") from None
    if millis <= 0:
        raise ValueError(f"{name}: must be > 0 milliseconds, got {raw!r}")
    return millis / 1000.0


def start_otlp(
    targets: Mapping[str, Target] | Iterable[Target], settings: OtlpSettings
) -> OtlpPush:
    """Start pushing every target; call .stop() on the result before closing the targets.

    Register `result.collector` in the server's own registry to show export failures on
    /metrics (enphase_exporter_otlp_export_failures_total).
    """
    from ..outputs.otlp_push import OtlpPush

    return OtlpPush(targets, settings).start()
