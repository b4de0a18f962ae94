"""The text exposition (format 0.0.4) of one catalogue entry, written straight from its samples.

prometheus_client's generate_latest builds Metric and Sample objects and checks every name on
each call: ~30 us for a family of one series, which made rendering cost more CPU than reading
the gateway (bench/bench_cpu.py). This writer gives the same bytes as generate_latest on the
same families (label names sorted, Go float format, the same escaping): the tests compare the
two on every simulator profile.
"""

from __future__ import annotations

import math
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


def _same_sign(a: float, b: float) -> bool:
    # 0.0 == -0.0, but they print differently
    return math.copysign(1.0, a) == math.copysign(1.0, b)


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class FamilyWriter:
    """Writes the samples of one catalogue entry as one exposition family."""

    def __init__(self, spec: MetricSpec, *, keep_lines: bool = True) -> None:
        # Counters keep their `_total` and info metrics their `_info` in the catalogue's names,
        # as in the exposition; state sets and info metrics are gauges in format 0.0.4.
        kind = "counter" if spec.kind == "counter" else "gauge"
        self._name = spec.name
        self._header = f"# HELP {spec.name} {_escape_help(spec.help)}\n# TYPE {spec.name} {kind}\n"
        self._info = spec.kind == "info"
        self._order = sorted(range(len(spec.labels)), key=lambda i: spec.labels[i])
        self._label_names = spec.labels
        # label values -> (`name{labels}`, last value, its line): the same series come back
        # at every refresh, and most hold still between two (formatting is the writer's cost).
        # Without (keep_lines=False, a fleet's /probe) the writer holds nothing of a target and
        # is shared by all: the lines cost ~500 B a series, 240 KB a battery gateway, to save
        # ~0.6 ms of a render that runs once a refresh.
        self._lines: dict[tuple[str, ...], tuple[str, float, str]] | None = (
            {} if keep_lines else None
        )

    def write(self, samples: Sequence[Sample]) -> bytes:
        """The family with these samples; nothing at all without samples."""
        if not samples:
            return b""
        out = [self._header]
        kept = self._lines
        if kept is None:
            for labels, value in samples:
                out.append(f"{self._prefix(labels)} {go_float(1.0 if self._info else value)}\n")
            return "".join(out).encode()
        for labels, value in samples:
            if self._info:
                value = 1.0
            entry = kept.get(labels)
            if entry is not None and entry[1] == value and (value or _same_sign(value, entry[1])):
                out.append(entry[2])
                continue
            prefix = entry[0] if entry is not None else self._prefix(labels)
            line = f"{prefix} {go_float(value)}\n"
            if len(kept) >= MAX_KEPT_SERIES:
                kept.clear()
            kept[labels] = (prefix, value, line)
            out.append(line)
        return "".join(out).encode()

    def _prefix(self, values: tuple[str, ...]) -> str:
        """`name{labels}` of one series."""
        if not self._order:
            return self._name
        names = self._label_names
        labels = ",".join(f'{names[i]}="{_escape_value(str(values[i]))}"' for i in self._order)
        return f"{self._name}{{{labels}}}"
