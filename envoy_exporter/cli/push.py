"""`envoy-exporter push`: OTLP push only, no HTTP server, for hosts that accept no connections."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from .options import (
    credentials_from,
    envoy_options,
    log_level_option,
    schedule_options,
    setup_logging,
)
from .otlp_options import otlp_settings_from, otlp_transport_options, start_otlp

if TYPE_CHECKING:
    from ..collector.target import Target

_LOGGER = logging.getLogger(__name__)


@click.command()
@envoy_options
@click.option(
    "--config.file",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ENVOY_EXPORTER_CONFIG",
    help="YAML file of named targets (as for serve): every target is pushed.",
)
@schedule_options
@otlp_transport_options
@log_level_option
def push(**params: Any) -> None:
    """Push the metrics of one gateway (or of every --config.file target) to an OpenTelemetry
    collector over OTLP, until stopped. Opens no port.

    The collector is set with --otlp.* or the standard OTEL_EXPORTER_OTLP_* variables.
    """
    setup_logging(params["log_level"])
    settings = otlp_settings_from(params, enabled=True)
    assert settings is not None
    targets, secrets = _targets(params)
    setup_logging(params["log_level"], [*secrets, *settings.secrets])
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    pushing = start_otlp(targets, settings)
    click.echo(f"envoy-exporter pushing to {settings.endpoint} ({settings.protocol})")
    try:
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop.wait(1.0):
            pass
        _LOGGER.info("stopping")
    finally:
        pushing.stop()
        for target in targets.values():
            target.close()


def _targets(params: dict[str, Any]) -> tuple[dict[str, Target], list[str]]:
    from ..server.config import ConfigError, load_config
    from .serve import config_secrets, target_config, targets_from_config

    config_file: Path | None = params.pop("config_file")
    if config_file is None:
        from ..collector.target import Target

        creds = credentials_from(params)
        name = creds.host or "envoy"
        config = target_config(name, creds, params["cache_ttl"], params["busy_budget"])
        return {name: Target(config)}, creds.secrets
    if params["host"]:
        raise click.UsageError("give either --envoy or --config.file, not both")
    try:
        loaded = load_config(config_file)
    except ConfigError as exc:
        lines = "\n".join(f"  {line}" for line in exc.errors)
        raise click.ClickException(f"{config_file}:\n{lines}") from None
    return targets_from_config(loaded), config_secrets(loaded)
