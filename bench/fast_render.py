"""A prototype for the output's owner: the text exposition written straight from the
catalogue's samples, without prometheus_client's Metric/Sample objects and generate_latest.
Used only by `bench.bench_render` to measure what such a writer would save; the
benchmark checks that it yields the same series and values as the real render."""

from __future__ import annotations

import math

from envoy_exporter.catalogue import CATALOGUE
from envoy_exporter.collector.snapshot import Snapshot


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    if value == -math.inf:
        return "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def render_text(snapshot: Snapshot) -> bytes:
    out: list[str] = []
    for spec in CATALOGUE:
        samples = spec.samples(snapshot)
        if not samples:
            continue
        name = spec.name
        if spec.kind == "counter":
            base = name.removesuffix("_total")
            out.append(
                f"# HELP {base}_total {_escape_help(spec.help)}\n# TYPE {base}_total counter\n"
            )
            series = base + "_total"
        elif spec.kind == "info":
            out.append(f"# HELP {name} {_escape_help(spec.help)}\n# TYPE {name} gauge\n")
            series = name
        else:
            out.append(f"# HELP {name} {_escape_help(spec.help)}\n# TYPE {name} gauge\n")
            series = name
        keys = spec.labels
        for sample in samples:
            if keys:
                labels = ",".join(
                    f'{k}="{_escape_label(str(v))}"'
                    for k, v in zip(keys, sample.labels, strict=True)
                )
                value = 1.0 if spec.kind == "info" else sample.value
                out.append(f"{series}{{{labels}}} {_number(value)}\n")
            else:
                out.append(f"{series} {_number(sample.value)}\n")
    return "".join(out).encode()
