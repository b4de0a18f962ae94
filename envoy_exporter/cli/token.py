"""`envoy-exporter token` (placeholder until implemented)."""

from __future__ import annotations

import click


@click.command()
def token() -> None:
    """Not implemented yet."""
    raise click.ClickException("token is not implemented yet")
