"""Data models of the Envoy client: one module per domain, built by `from_<source>` constructors."""
