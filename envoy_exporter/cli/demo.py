"""`envoy-exporter demo`: a simulated site and the exporter in one process."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from ..collector.config import TargetConfig, check_settings
from .options import REDACTOR, log_options, setting_option, setup_logging
from .serve import build_server, check_listen, run_until_signal

_LOGGER = logging.getLogger(__name__)


def demo_target(sim: Any, cache_ttl: float = 15.0) -> TargetConfig:
    """The simulated gateway with credentials it accepts: a token (firmware >= 7) or a user."""
    if sim.base_url.startswith("https://"):
        return TargetConfig(
            name="demo",
            host=sim.host,
            cache_ttl=cache_ttl,
            token=sim.token,
            username=sim.cloud_username,
            password=sim.cloud_password,
            serial=sim.serial,
            enlighten_login_url=sim.enlighten_login_url,
            enlighten_token_url=sim.enlighten_token_url,
        )
    return TargetConfig(
        name="demo",
        host=sim.host,
        cache_ttl=cache_ttl,
        username="envoy",
        password=sim.local_users["envoy"],
    )


@click.command()
@click.option(
    "--profile",
    default="battery",
    show_default=True,
    help="Simulated site: legacy, metered-3phase, battery or large.",
)
@click.option(
    "--capture",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Serve a capture folder instead of a profile.",
)
@click.option(
    "--web.listen-address",
    "listen",
    default="127.0.0.1:9433",
    callback=check_listen,
    show_default=True,
    help="Where the exporter listens (port 0: any free port).",
)
@setting_option(
    "cache_ttl", type=click.FLOAT, envvar=None, show_envvar=False,
    help="Seconds between refreshes of power values.",
)  # fmt: skip
@log_options
def demo(
    profile: str,
    capture: Path | None,
    listen: str,
    cache_ttl: float,
    log_level: str,
    log_format: str,
) -> None:
    """Run a simulated gateway and the exporter against it, until Ctrl-C.

    Open the printed URL for the landing page; /metrics has the gateway's metrics.
    """
    from ..collector.target import Target
    from ..simulator.server import SimulatedEnvoy
    from .simulate import source_from

    setup_logging(log_level, log_format)
    _, errors = check_settings({"cache_ttl": cache_ttl}, lambda key: "--cache-ttl")
    if errors:
        raise click.UsageError(errors[0])
    sim = SimulatedEnvoy(source_from(profile, capture, "--capture"), listen="127.0.0.1:0")
    sim.start()
    try:
        config = demo_target(sim, cache_ttl)
        REDACTOR.add(config.secrets)
        target = Target(config)
        try:
            server = build_server({"demo": target}, single="demo", listen=listen)
        except (OSError, ValueError) as exc:
            target.close()
            raise click.ClickException(
                f"cannot listen on {listen}: {exc} (try --web.listen-address 127.0.0.1:0)"
            ) from None
        what = f"capture {capture}" if capture else f"profile {profile}"
        click.echo(f"simulated gateway ({what}) at {sim.base_url}", err=True)
        click.echo(f"envoy-exporter demo listening on {server.url}")
        click.echo(f"metrics: {server.url}metrics   (Ctrl-C to stop)", err=True)
        sys.stdout.flush()
        run_until_signal(server)
    finally:
        sim.stop()
