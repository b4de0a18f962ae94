"""`envoy-exporter probe` (placeholder until implemented)."""

from __future__ import annotations

import click


@click.command()
def probe() -> None:
    """Not implemented yet."""
    raise click.ClickException("probe is not implemented yet")
