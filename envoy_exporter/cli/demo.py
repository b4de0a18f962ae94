"""`envoy-exporter demo` (placeholder until implemented)."""

from __future__ import annotations

import click


@click.command()
def demo() -> None:
    """Not implemented yet."""
    raise click.ClickException("demo is not implemented yet")
