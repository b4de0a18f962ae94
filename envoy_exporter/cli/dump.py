"""`envoy-exporter dump` (placeholder until implemented)."""

from __future__ import annotations

import click


@click.command()
def dump() -> None:
    """Not implemented yet."""
    raise click.ClickException("dump is not implemented yet")
