"""Prometheus and OpenTelemetry exporter for Enphase Envoy (IQ Gateway) solar gateways."""

__version__ = "0.1.0"
