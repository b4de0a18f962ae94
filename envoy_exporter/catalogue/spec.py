"""The shape of one catalogue entry, and builders that keep the per-subsystem tables declarative.

The catalogue knows no transport: an entry is a name, a kind, a unit, a help text, its label
names and an extractor turning a Snapshot into (label values, value) samples. Outputs
(Prometheus, OTLP) only translate these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from ..collector.snapshot import Snapshot
    from ..envoy.models.envoy import EnvoyData

Kind = Literal["gauge", "counter", "info", "stateset"]

#: unit word (the name's suffix) -> its UCUM symbol, for OpenTelemetry. A symbol in braces
#: is an annotation: the OpenTelemetry-to-Prometheus translators have no word for it, so the
#: word stays in the pushed name.
UNITS = {
    "watts": "W",
    "joules": "J",
    "volts": "V",
    "amperes": "A",
    "hertz": "Hz",
    "celsius": "Cel",
    "seconds": "s",
    "ratio": "1",
    "volt_amperes": "{VA}",
}
#: subsystem -> its title in docs/metrics.md, in the order of the docs and the exposition
SUBSYSTEMS = {
    "gateway": "Gateway",
    "system": "Production and consumption",
    "meters": "Current transformers (CT meters)",
    "inverters": "Microinverters",
    "batteries": "Batteries",
    "ensemble": "System controller, collar, combiner, relays, storage settings, generator",
    "exporter": "Exporter health",
}

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
#: an entry of the snapshot itself: the values of the Snapshot attributes it names, in order
ValuesExtractor = Callable[..., Iterable[Sample]]
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
    #: generations hold (a test runs every updater and checks the tie). None: the entry
    #: reads the snapshot itself (`snapshot_reads`).
    parts: tuple[str, ...] | None = None
    #: the Snapshot attributes an entry of the snapshot itself reads (parts None): its
    #: extractor is given their values and nothing else, so its text is kept while they
    #: compare equal (they are immutable: frozen dataclasses, tuples, read-only maps; texts,
    #: counts and sums of seconds, never -0.0, the one float equal to another but printed
    #: otherwise).
    snapshot_reads: tuple[str, ...] = ()

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


def metric(
    name: str,
    help_text: str,
    *,
    subsystem: str,
    source: str,
    select: DataSelector | None = None,
    model: str = "",
    field: str = "",
    fields: Mapping[str, str] | None = None,
    states: tuple[str, ...] = (),
    state_label: str = "state",
    snapshot: tuple[str, ...] | None = None,
    extract: ValuesExtractor | None = None,
    covers: tuple[str, ...] = (),
    labels: tuple[str, ...] = (),
    unit: str = "",
    scale: float = UNIT,
    kind: Kind = "gauge",
) -> MetricSpec:
    """The one way to declare a catalogue entry.

    What it reads: `select` (the objects of the gateway's data) with `field` (a number, in
    celsius converted from Fahrenheit when the gateway says so), `field` and `states` (a
    state set) or `fields` (an `_info` metric: label -> model field), or its own `extract`
    given the snapshot; or, for the snapshot itself (identity, probe, health), `snapshot`:
    the Snapshot attributes it reads, whose values alone `extract` is given.
    """
    if unit and unit not in UNITS:
        raise ValueError(f"{name}: unknown unit {unit!r} (add it to catalogue.spec.UNITS)")
    if subsystem not in SUBSYSTEMS:
        raise ValueError(f"{name}: unknown subsystem {subsystem!r} (see catalogue.spec)")
    shown: Kind = kind
    where = f"{model}.{field}" if field else model
    if snapshot is not None:
        if select is not None or extract is None:
            raise ValueError(f"{name}: an entry of the snapshot has its extract and no select")
        extract = _given(snapshot, extract)
    elif select is None:
        raise ValueError(f"{name}: reads neither the gateway's data (select) nor the snapshot")
    elif extract is None:
        if fields is not None:
            shown, extract = "info", info_extractor(select, tuple(fields.values()))
            labels, covers = (*labels, *fields), tuple(f"{model}.{f}" for f in fields.values())
            help_text += ", always 1"
        elif states:
            shown, extract = "stateset", state_extractor(select, field, states)
            labels = (*labels, state_label)
            help_text += f"; 1 for the current {state_label}"
        elif unit == "celsius":
            extract = celsius_extractor(select, field)
        else:
            extract = field_extractor(select, field, scale)
    covers = covers or ((f"{model}.{field}",) if field else ())
    return MetricSpec(
        name=name,
        kind=shown,
        unit=unit,
        help=f"{help_text} (source: {source}{', ' + where if where else ''})",
        labels=labels,
        extract=extract,
        source=source,
        covers=covers,
        scale=scale,
        subsystem=subsystem,
        reads=select.reads if select is not None else (),
        parts=select.parts if select is not None else None,
        snapshot_reads=snapshot or (),
    )


def _given(names: tuple[str, ...], extract: ValuesExtractor) -> Extractor:
    """`extract` applied to the values of these Snapshot attributes, and to nothing else."""
    values = snapshot_values(names)
    return lambda snapshot: extract(*values(snapshot))


def snapshot_values(names: tuple[str, ...]) -> Callable[[Snapshot], tuple[Any, ...]]:
    """The values of these Snapshot attributes, as a tuple in their order."""
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda snapshot: (get(snapshot),)
    if not names:
        return lambda snapshot: ()
    getter: Callable[[Snapshot], tuple[Any, ...]] = attrgetter(*names)
    return getter


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
