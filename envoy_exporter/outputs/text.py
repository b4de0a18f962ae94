"""One catalogue entry as exposition text, in format 0.0.4 or OpenMetrics, written straight
from its samples.

prometheus_client's generate_latest builds Metric and Sample objects and checks every name on
each call: ~30 us for a family of one series, which made rendering cost more CPU than reading
the gateway (bench/bench_cpu.py). This writer gives the same bytes as prometheus_client's two
writers on the same families (label names sorted, Go float format, the same escaping): the
tests compare them on every simulator profile and on the captures.

The two formats differ only in a family's header: OpenMetrics names a counter or an info
metric without its suffix and types them so, escapes `"` in HELP, and writes state sets as
gauges as format 0.0.4 does. Their series lines are the same, so one writer keeps them for both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from prometheus_client.utils import floatToGoString

from ..catalogue import MetricSpec, Sample

#: series names kept per family; labels are bounded, this only guards a runaway label
MAX_KEPT_SERIES = 10_000

#: OpenMetrics types that name their family without their series' suffix
_OPENMETRICS_SUFFIXES = {"counter": "_total", "info": "_info"}

#: the end of an OpenMetrics exposition, after the last family of every source
OPENMETRICS_EOF = b"# EOF\n"


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


def _header(name: str, kind: str, help_text: str) -> str:
    return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"


def _headers(spec: MetricSpec) -> tuple[str, str]:
    """The family's header in format 0.0.4 and in OpenMetrics."""
    # Format 0.0.4 has no info or state-set type; the catalogue's names keep the `_total` of
    # counters and the `_info` of info metrics, as their series do in both formats.
    text = _header(
        spec.name, "counter" if spec.kind == "counter" else "gauge", _escape_help(spec.help)
    )
    suffix = _OPENMETRICS_SUFFIXES.get(spec.kind)
    if suffix is None:
        return text, _header(spec.name, "gauge", _escape_value(spec.help))
    return text, _header(spec.name.removesuffix(suffix), spec.kind, _escape_value(spec.help))


class FamilyWriter:
    """Writes the samples of one catalogue entry as one exposition family."""

    def __init__(self, spec: MetricSpec, *, keep_lines: bool = True) -> None:
        self._name = spec.name
        self._headers = _headers(spec)
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

    def write(self, samples: Sequence[Sample], openmetrics: bool = False) -> bytes:
        """The family with these samples, in OpenMetrics or format 0.0.4; nothing at all
        without samples."""
        if not samples:
            return b""
        out = [self._headers[openmetrics]]
        kept = self._lines
        if kept is None:
            for labels, value in samples:
                out.append(f"{self._prefix(labels)} {go_float(1.0 if self._info else value)}\n")
            return "".join(out).encode()
        info = self._info
        for labels, value in samples:
            if info:
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
