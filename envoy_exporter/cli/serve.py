"""`envoy-exporter serve` (placeholder until implemented)."""

from __future__ import annotations

import click


@click.command()
def serve() -> None:
    """Not implemented yet."""
    raise click.ClickException("serve is not implemented yet")
