"""The `envoy-exporter` command line: one module per command."""

from __future__ import annotations

import importlib

import click

from .. import __version__

#: the commands, each in its module of the same name; imported when the command runs (or
#: `--help` lists it), so that `serve` does not carry the simulator, the OTLP SDK or the
#: capture dumper in its memory.
COMMANDS = ("serve", "push", "probe", "dump", "token", "simulate", "demo")


class LazyGroup(click.Group):
    """click's lazily loading group (the pattern of click's documentation)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{cmd_name}")
        command: click.Command = getattr(module, cmd_name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="envoy-exporter")
def main() -> None:
    """Prometheus and OpenTelemetry exporter for Enphase Envoy (IQ Gateway) solar gateways."""
