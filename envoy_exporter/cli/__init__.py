"""The `envoy-exporter` command line: one module per command."""

from __future__ import annotations

import click

from .. import __version__
from .demo import demo
from .dump import dump
from .probe import probe
from .push import push
from .serve import serve
from .simulate import simulate
from .token import token


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="envoy-exporter")
def main() -> None:
    """Prometheus and OpenTelemetry exporter for Enphase Envoy (IQ Gateway) solar gateways."""


for _command in (serve, push, probe, dump, token, simulate, demo):
    main.add_command(_command)
