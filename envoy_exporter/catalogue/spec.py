"""The shape of one catalogue entry, and builders that keep the per-subsystem tables declarative.

The catalogue knows no transport: an entry is a name, a kind, a unit, a help text, its label
names and an extractor turning a Snapshot into (label values, value) samples. Outputs
(Prometheus, OTLP) only translate these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..envoy.models.envoy import EnvoyData

Kind = Literal["gauge", "counter", "info", "stateset"]

# Unit scaling, kept as data so that every output applies the same factor.
WH_TO_JOULES = 3600.0
PERCENT_TO_RATIO = 0.01
MILLI = 0.001
UNIT = 1.0


class Sample(NamedTuple):
    """One value of a metric: label values in the order of MetricSpec.labels."""

    labels: tuple[str, ...]
    value: float


Extractor = Callable[["Snapshot"], Iterable[Sample]]
#: yields (label values, model object) pairs from the data of one snapshot
Selector = Callable[["EnvoyData"], Iterable[tuple[tuple[str, ...], Any]]]


@dataclass(frozen=True)
class MetricSpec:
    """One metric family of the exporter.

    `name` is the full exposition name: counters end in `_total`, info metrics in `_info`.
    `covers` lists the model fields ("EnvoyInverter.last_report_watts") the entry exports,
    so a test can prove every numeric field of every model is exported somewhere.
    """

    name: str
    kind: Kind
    unit: str
    help: str
    labels: tuple[str, ...]
    extract: Extractor
    source: str = ""
    covers: tuple[str, ...] = ()
    scale: float = UNIT
    subsystem: str = ""
    #: the EnvoyData attributes the entry reads
    reads: tuple[str, ...] = ()
    #: the parts (updater names) whose data the entry reads: its text is kept while their
    #: generations hold (a test runs every updater and checks the tie). None: the entry reads
    #: the snapshot's health, which changes at every refresh, and is written every time.
    parts: tuple[str, ...] | None = None

    def samples(self, snapshot: Snapshot) -> list[Sample]:
        """All samples of this metric in a snapshot; never raises on missing data."""
        return list(self.extract(snapshot))


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def field_extractor(select: Selector, field: str, scale: float) -> Extractor:
    """Read `field` of every object `select` yields, scaled; None and non-numbers are skipped."""

    def extract(snapshot: Snapshot) -> Iterator[Sample]:
        if snapshot.data is None:
            return
        for labels, obj in select(snapshot.data):
            if obj is None:
                continue
            value = _number(getattr(obj, field, None))
            if value is not None:
                yield Sample(labels, value * scale)

    return extract


def state_extractor(select: Selector, field: str, states: tuple[str, ...]) -> Extractor:
    """A state set: one sample per known state (1 for the current one), plus an unknown current."""

    def extract(snapshot: Snapshot) -> Iterator[Sample]:
        if snapshot.data is None:
            return
        for labels, obj in select(snapshot.data):
            if obj is None:
                continue
            current = getattr(obj, field, None)
            if current is None:
                continue
            current = str(current)
            for state in states:
                yield Sample((*labels, state), 1.0 if state == current else 0.0)
            if current not in states:
                yield Sample((*labels, current), 1.0)

    return extract


def info_extractor(select: Selector, fields: tuple[str, ...]) -> Extractor:
    """An info metric: value 1, the fields' text as labels (missing fields as empty strings)."""

    def extract(snapshot: Snapshot) -> Iterator[Sample]:
        if snapshot.data is None:
            return
        for labels, obj in select(snapshot.data):
            if obj is None:
                continue
            values = tuple(_text(getattr(obj, f, None)) for f in fields)
            yield Sample((*labels, *values), 1.0)

    return extract


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def field_metric(
    name: str,
    help_text: str,
    *,
    model: str,
    field: str,
    select: DataSelector,
    source: str,
    labels: tuple[str, ...] = (),
    unit: str = "",
    scale: float = UNIT,
    kind: Kind = "gauge",
    subsystem: str = "",
) -> MetricSpec:
    """A metric read from one numeric model field."""
    return MetricSpec(
        name=name,
        kind=kind,
        unit=unit,
        help=f"{help_text} (source: {source}, {model}.{field})",
        labels=labels,
        extract=field_extractor(select, field, scale),
        source=source,
        covers=(f"{model}.{field}",),
        scale=scale,
        subsystem=subsystem,
        reads=select.reads,
        parts=select.parts,
    )


def field_builder(subsystem: str) -> Callable[..., MetricSpec]:
    """A short positional form of field_metric for one subsystem's table:
    (name, help, model, field, select, source, **keywords)."""

    def build(
        name: str,
        help_text: str,
        model: str,
        field: str,
        select: DataSelector,
        source: str,
        **kw: Any,
    ) -> MetricSpec:
        return field_metric(
            name,
            help_text,
            model=model,
            field=field,
            select=select,
            source=source,
            subsystem=subsystem,
            **kw,
        )

    return build


def state_metric(
    name: str,
    help_text: str,
    *,
    model: str,
    field: str,
    select: DataSelector,
    source: str,
    states: tuple[str, ...],
    labels: tuple[str, ...] = (),
    state_label: str = "state",
    subsystem: str = "",
) -> MetricSpec:
    """A state set read from one text/enum model field."""
    return MetricSpec(
        name=name,
        kind="stateset",
        unit="",
        help=f"{help_text}; 1 for the current {state_label} (source: {source}, {model}.{field})",
        labels=(*labels, state_label),
        extract=state_extractor(select, field, states),
        source=source,
        covers=(f"{model}.{field}",),
        subsystem=subsystem,
        reads=select.reads,
        parts=select.parts,
    )


def info_metric(
    name: str,
    help_text: str,
    *,
    model: str,
    fields: dict[str, str],
    select: DataSelector,
    source: str,
    labels: tuple[str, ...] = (),
    subsystem: str = "",
) -> MetricSpec:
    """An `_info` metric: `fields` maps label name -> model field."""
    return MetricSpec(
        name=name,
        kind="info",
        unit="",
        help=f"{help_text}, always 1 (source: {source}, {model})",
        labels=(*labels, *fields),
        extract=info_extractor(select, tuple(fields.values())),
        source=source,
        covers=tuple(f"{model}.{f}" for f in fields.values()),
        subsystem=subsystem,
        reads=select.reads,
        parts=select.parts,
    )


# Selectors shared by several subsystems.


#: the updaters that read the site totals; a gateway runs one of them
PRODUCTION_PARTS = (
    "production_json",
    "production",
    "api_v1_production",
    "production_json_fallback",
)


class DataSelector:
    """Yields (label values, model object) pairs from EnvoyData, and says what it reads:
    the attributes (`reads`) and the parts (updater names) that fill them (`parts`)."""

    def __init__(self, reads: tuple[str, ...], parts: tuple[str, ...], select: Selector) -> None:
        self.reads = reads
        self.parts = parts
        self._select = select

    def __call__(self, data: EnvoyData) -> Iterable[tuple[tuple[str, ...], Any]]:
        return self._select(data)


def one(attr: str, parts: tuple[str, ...]) -> DataSelector:
    """The single object in EnvoyData.<attr>, unlabelled."""

    def select(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
        obj = getattr(data, attr, None)
        if obj is not None:
            yield (), obj

    return DataSelector((attr,), parts, select)


def keyed(attr: str, parts: tuple[str, ...]) -> DataSelector:
    """Every value of the dict EnvoyData.<attr>, labelled by its key (serial, phase, relay id)."""

    def select(data: EnvoyData) -> Iterator[tuple[tuple[str, ...], Any]]:
        mapping = getattr(data, attr, None) or {}
        for key in sorted(mapping, key=str):
            if mapping[key] is not None:
                yield (str(key),), mapping[key]

    return DataSelector((attr,), parts, select)


def celsius_extractor(select: Selector, field: str) -> Extractor:
    """A temperature in Celsius; the gateway states the unit beside it (`temperature_unit`)."""

    def extract(snapshot: Snapshot) -> Iterator[Sample]:
        if snapshot.data is None:
            return
        for labels, obj in select(snapshot.data):
            value = _number(getattr(obj, field, None)) if obj is not None else None
            if value is None:
                continue
            if str(getattr(obj, "temperature_unit", "C")).upper().startswith("F"):
                value = (value - 32.0) * 5.0 / 9.0
            yield Sample(labels, value)

    return extract


def celsius_metric(
    name: str,
    help_text: str,
    *,
    model: str,
    field: str,
    select: DataSelector,
    source: str,
    labels: tuple[str, ...] = (),
    subsystem: str = "",
) -> MetricSpec:
    """A temperature field, converted to Celsius when the gateway reports Fahrenheit."""
    return MetricSpec(
        name=name,
        kind="gauge",
        unit="celsius",
        help=f"{help_text} (source: {source}, {model}.{field})",
        labels=labels,
        extract=celsius_extractor(select, field),
        source=source,
        covers=(f"{model}.{field}",),
        subsystem=subsystem,
        reads=select.reads,
        parts=select.parts,
    )
