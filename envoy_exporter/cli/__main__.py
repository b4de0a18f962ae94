"""`python -m envoy_exporter.cli`."""

from . import main

main()
