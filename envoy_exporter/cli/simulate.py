"""`envoy-exporter simulate` (placeholder until implemented)."""

from __future__ import annotations

import click


@click.command()
def simulate() -> None:
    """Not implemented yet."""
    raise click.ClickException("simulate is not implemented yet")
