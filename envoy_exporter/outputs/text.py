"""The text exposition (format 0.0.4) of one catalogue entry, written straight from its samples.

prometheus_client's generate_latest builds Metric and Sample objects and checks every name on
each call: ~30 us for a family of one series, which made rendering cost more CPU than reading
the gateway (bench/bench_cpu.py). This writer gives the same bytes as generate_latest on the
same families (label names sorted, Go float format, the same escaping): the tests compare the
two on every simulator profile.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.utils import floatToGoString

from ..catalogue import MetricSpec, Sample

#: series names kept per family; labels are bounded, this only guards a runaway label
MAX_KEPT_SERIES = 10_000


def go_float(value: float) -> str:
    """prometheus_client's float format (Go's), so the bytes equal generate_latest's."""
    # Most values print as Python's repr does; only infinities, NaN, exponents and positive
    # values of seven or more integer digits differ. Skipping its checks for the rest saves
    # a third of the writer's time on a refresh's health series.
    text = repr(value)
    dot = text.find(".")
    if 0 < dot <= 6 or (dot > 6 and text[0] == "-"):
        return text
    formatted: str = floatToGoString(value)  # type: ignore[no-untyped-call]
    return formatted


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class FamilyWriter:
    """Writes the samples of one catalogue entry as one exposition family."""

    def __init__(self, spec: MetricSpec) -> None:
        # Counters keep their `_total` and info metrics their `_info` in the catalogue's names,
        # as in the exposition; state sets and info metrics are gauges in format 0.0.4.
        kind = "counter" if spec.kind == "counter" else "gauge"
        self._name = spec.name
        self._header = f"# HELP {spec.name} {_escape_help(spec.help)}\n# TYPE {spec.name} {kind}\n"
        self._info = spec.kind == "info"
        self._order = sorted(range(len(spec.labels)), key=lambda i: spec.labels[i])
        self._label_names = spec.labels
        self._prefixes: dict[tuple[str, ...], str] = {}

    def write(self, samples: Sequence[Sample]) -> bytes:
        """The family with these samples; nothing at all without samples."""
        if not samples:
            return b""
        lines = [self._header]
        prefixes = self._prefixes
        for sample in samples:
            prefix = prefixes.get(sample.labels)
            if prefix is None:
                prefix = self._prefix(sample.labels)
            lines.append(f"{prefix} {go_float(1.0 if self._info else sample.value)}\n")
        return "".join(lines).encode()

    def _prefix(self, values: tuple[str, ...]) -> str:
        """`name{labels}` of one series, kept: the same series come back at every refresh."""
        if not self._order:
            return self._name
        names = self._label_names
        labels = ",".join(f'{names[i]}="{_escape_value(str(values[i]))}"' for i in self._order)
        if len(self._prefixes) >= MAX_KEPT_SERIES:
            self._prefixes.clear()
        prefix = self._prefixes[values] = f"{self._name}{{{labels}}}"
        return prefix
