"""Benchmarks of envoy-exporter against the reference library (pyenphase 4.2.0)."""
