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
    REDACTOR,
    envoy_options,
    log_options,
    schedule_options,
    setup_logging,
    target_from,
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
@log_options
def push(**params: Any) -> None:
    """Push the metrics of one gateway (or of every --config.file target) to an OpenTelemetry
    collector over OTLP, until stopped. Opens no port.

    The collector is set with --otlp.* or the standard OTEL_EXPORTER_OTLP_* variables.
    """
    setup_logging(params.pop("log_level"), params.pop("log_format"))
    settings = otlp_settings_from(params, enabled=True)
    assert settings is not None
    REDACTOR.add(settings.secrets)
    targets = _targets(params)
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


def _targets(params: dict[str, Any]) -> dict[str, Target]:
    from ..collector.target import Target
    from .serve import load_or_fail, targets_from_config

    config_file: Path | None = params.pop("config_file")
    if config_file is None:
        target = target_from(params)
        return {target.name: Target(target)}
    if params["host"]:
        raise click.UsageError("give either --envoy or --config.file, not both")
    loaded = load_or_fail(config_file)
    REDACTOR.add(loaded.secrets)
    return targets_from_config(loaded)
