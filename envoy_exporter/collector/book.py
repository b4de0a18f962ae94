"""The parts of one gateway between refreshes: last good data, freshness, lifetime counters."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, is_not

from ..envoy.models.envoy import EnvoyData
from ..envoy.reading import PartRead, Values, merge_values, set_values
from .parts import COUNTED, lifetime_values
from .schedule import Schedule
from .snapshot import PartStatus

#: a part whose freshest answer is older than this many of its intervals is dropped
STALE_INTERVALS = 3.0


@dataclass
class Outcome:
    """One part read at a refresh, and the answers it used from the response store."""

    read: PartRead
    #: endpoint -> time of the answer used (0.0: asked, no answer kept)
    used: dict[str, float]


@dataclass
class _Part:
    data: EnvoyData | None = None
    #: the fields `data` sets, walked once per read rather than at every merge
    values: Values = ()
    #: the firmware fault the data showed (its production removed), None when none
    poor: str | None = None
    fetched_at: float | None = None
    last_success: float | None = None
    error: str | None = None
    ok: bool = False
    seconds: float = 0.0
    interval: float = 0.0
    generation: int = 0


_UNSEEN = object()
_COUNTED_VALUES = attrgetter(*COUNTED)


@dataclass
class Shown:
    """The parts a snapshot shows."""

    data: EnvoyData
    #: part -> generation of its data (changes exactly when the data does)
    generations: dict[str, int]
    #: a part shown shows a known firmware fault
    poor: bool


class PartBook:
    """Keeps each part's last good data so that one failing part costs only itself."""

    def __init__(self, schedule: Schedule, default_interval: float) -> None:
        self._schedule = schedule
        self._default_interval = default_interval
        self._parts: dict[str, _Part] = {}
        self._order: list[str] = []
        self._endpoints: dict[str, tuple[str, ...]] = {}
        #: parts not run since the probe that chose them
        self._unrun: set[str] = set()
        #: EnvoyData attribute -> (key, counter) -> last value seen
        self._counters: dict[str, dict[tuple[object, str], float]] = {}
        #: the values of COUNTED last counted
        self._counted: tuple[object, ...] = (_UNSEEN,) * len(COUNTED)
        self.decreases = 0
        self._generations = 0

    def set_updaters(self, endpoints: dict[str, tuple[str, ...]]) -> None:
        """The updaters of a new probe, in run order; parts of vanished updaters go."""
        self._order = list(endpoints)
        self._endpoints = dict(endpoints)
        self._parts = {n: p for n, p in self._parts.items() if n in self._endpoints}
        self._unrun = set(endpoints)

    def fail_all(self, error: str, besides: frozenset[str] = frozenset()) -> None:
        for name, part in self._parts.items():
            if name not in besides:
                part.ok, part.error = False, error

    def apply(self, outcomes: list[Outcome], now: float, wall: float) -> None:
        """Record one refresh's reads; `now` is monotonic, `wall` the exported time."""
        for outcome in outcomes:
            result, used = outcome.read, outcome.used
            part = self._parts.setdefault(result.name, _Part())
            self._unrun.discard(result.name)
            part.ok, part.error, part.seconds = result.ok, result.reason, result.seconds
            endpoints = used or dict.fromkeys(self._endpoints.get(result.name, ()), 0.0)
            intervals = [self._schedule.interval(e) for e in endpoints]
            part.interval = min(intervals) if intervals else self._default_interval
            data = result.data
            if data is not None:
                fetched = [t for t in used.values() if t > 0]
                part.poor = result.poor_quality
                if data != part.data:
                    # numbered across parts, so a part that comes back never repeats one
                    self._generations += 1
                    part.data, part.generation = data, self._generations
                    part.values = set_values(data)
                part.fetched_at = max(fetched) if fetched else now
                part.last_success = wall

    def needs(self, name: str) -> bool:
        """Whether a part must run whatever the schedule: it has nothing good to show yet, or
        it did not run since the probe (what it reads on this gateway is not known yet)."""
        part = self._parts.get(name)
        return part is None or part.data is None or not part.ok or name in self._unrun

    def any_good(self, besides: set[str]) -> bool:
        """Whether a part not run at this refresh still holds good data."""
        return any(p.ok and p.data is not None for n, p in self._parts.items() if n not in besides)

    def statuses(self, now: float) -> dict[str, PartStatus]:
        statuses: dict[str, PartStatus] = {}
        for name in [*self._order, *(n for n in self._parts if n not in self._order)]:
            part = self._parts.get(name)
            if part is None:
                continue
            age = None if part.fetched_at is None else max(now - part.fetched_at, 0.0)
            statuses[name] = PartStatus(
                ok=part.ok,
                error=part.error,
                age_seconds=age,
                interval_seconds=part.interval,
                last_success=part.last_success,
                duration_seconds=part.seconds,
                stale=age is not None and age > STALE_INTERVALS * part.interval,
            )
        return statuses

    def shown(self, statuses: dict[str, PartStatus]) -> Shown:
        """What a snapshot shows of the parts in `statuses` (from statuses(), in updater
        order): the fresh parts merged, their generations, whether one shows a known
        firmware fault."""
        values: list[Values] = []
        generations: dict[str, int] = {}
        poor = False
        for name, status in statuses.items():
            part = self._parts[name]
            if part.data is not None and not status.stale:
                values.append(part.values)
                generations[name] = part.generation
                poor = poor or bool(part.poor)
        return Shown(merge_values(values), generations, poor)

    def count_decreases(self, data: EnvoyData) -> int:
        """Note the lifetime counters of `data`; the total of those seen going backwards."""
        values = _COUNTED_VALUES(data)
        # A part not read again hands over the very same objects: nothing new to count
        # (hundreds of inverters would otherwise be walked at every power refresh). The
        # attributes whose object changed are picked without a Python step per attribute.
        changed = compress(zip(COUNTED, values, strict=True), map(is_not, values, self._counted))
        self._counted = values
        for attr, value in changed:
            # Compared in place: CT readings are new objects at every power refresh.
            seen = self._counters.setdefault(attr, {})
            for where, counter in lifetime_values(value):
                before = seen.get(where)
                if before is not None and counter < before:
                    self.decreases += 1
                seen[where] = counter
        return self.decreases
