"""The simulated site: sun, house load, battery and grid, as pure functions of time.

Every value is a deterministic function of `now` and the seed, so two calls at the same
`now` agree and every lifetime counter only grows. Power is held constant over 5-minute
slots; that makes every energy counter an exact sum, so net = consumption - production
and import - export = net hold to the last Wh, per phase and in total.

A day is summarised by its "day type" (weather, load level, noise rotation): each type's
per-slot values and running sums are computed once, so any counter at any time costs a
few look-ups, however long ago the site was installed.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

SLOT_SECONDS = 300
SLOTS_PER_DAY = 86400 // SLOT_SECONDS
_SLOT_HOURS = SLOT_SECONDS / 3600.0
_MASK64 = (1 << 64) - 1

# sunrise and sunset, local hours; the sun curve is a half sine between them
_SUNRISE, _SUNSET = 6.5, 19.5
# battery: charge from 09:00 to 16:00, discharge the other 17 hours
_CHARGE_START, _CHARGE_END = 9 * 12, 16 * 12
_CHARGE_HOURS, _DISCHARGE_HOURS = 7.0, 17.0
SOC_LOW = 25.0

# indices of the energy vector kept per slot
P, C, CHG, DIS = 0, 1, 2, 3
IMP = (4, 5, 6)
EXP = (7, 8, 9)
_WIDTH = 10


def mix(*values: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): cheap, stable across runs."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & _MASK64)) & _MASK64
        x = (x + 0x9E3779B97F4A7C15) & _MASK64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
        x ^= x >> 31
    return x


def unit(*values: int) -> float:
    """A deterministic number in [0, 1) from integers."""
    return mix(*values) / 2.0**64


def sun(hour: float) -> float:
    """Relative irradiance (0..1) at a local hour of the day."""
    if not _SUNRISE < hour < _SUNSET:
        return 0.0
    return math.sin(math.pi * (hour - _SUNRISE) / (_SUNSET - _SUNRISE))


def _bump(hour: float, centre: float, half_width: float) -> float:
    d = (hour - centre) / half_width
    return math.cos(d * math.pi / 2) ** 2 if -1.0 < d < 1.0 else 0.0


def load_shape(hour: float) -> float:
    """Relative house load (>= 1): a breakfast, a lunch and an evening peak."""
    return (
        1.0
        + 0.8 * _bump(hour, 7.5, 1.5)
        + 0.3 * _bump(hour, 13.0, 3.0)
        + 1.5 * _bump(hour, 19.5, 2.5)
    )


@dataclass(frozen=True)
class SiteParams:
    """What is installed where."""

    seed: int = 1
    inverters: int = 30
    inverter_watts: float = 300.0
    #: fraction of production and of consumption on each line (1, 2 or 3 lines)
    production_split: tuple[float, ...] = (1.0,)
    consumption_split: tuple[float, ...] = (1.0,)
    base_load_w: float = 600.0
    batteries: int = 0
    battery_wh: float = 5000.0
    #: AC Batteries (the older kind), beside or instead of the IQ Batteries
    acbs: int = 0
    acb_wh: float = 1200.0
    utc_offset: int = 0
    install_time: float = 1_640_995_200.0  # 2022-01-01 UTC

    @property
    def peak_w(self) -> float:
        return self.inverters * self.inverter_watts * 0.85

    @property
    def encharge_capacity_wh(self) -> float:
        return self.batteries * self.battery_wh

    @property
    def acb_capacity_wh(self) -> float:
        return self.acbs * self.acb_wh

    @property
    def capacity_wh(self) -> float:
        """Every battery's capacity, IQ and AC."""
        return self.encharge_capacity_wh + self.acb_capacity_wh


@dataclass(frozen=True)
class Flows:
    """Power in W at one instant; battery > 0 discharges, net > 0 imports."""

    production: tuple[float, ...]
    consumption: tuple[float, ...]
    battery: float

    @property
    def net(self) -> tuple[float, ...]:
        return tuple(c - p for c, p in zip(self.consumption, self.production, strict=True))


@dataclass(frozen=True)
class Energy:
    """Cumulative Wh since installation: every field only grows, except net."""

    production: tuple[float, ...]
    consumption: tuple[float, ...]
    imported: tuple[float, ...]
    exported: tuple[float, ...]
    charged: float
    discharged: float

    @property
    def net(self) -> tuple[float, ...]:
        return tuple(i - e for i, e in zip(self.imported, self.exported, strict=True))


@dataclass
class _DayTable:
    power: list[tuple[float, float, float]]  # per slot: production, load, battery (W)
    energy: list[list[float]]  # per slot: Wh vector added during that slot
    before: list[list[float]]  # running sum of `energy` before each slot (length + 1)


@dataclass
class SiteModel:
    """The site: ask it for power, energy or state of charge at any time."""

    params: SiteParams
    _tables: dict[tuple[int, int, int], _DayTable] = field(default_factory=dict, repr=False)
    _day_sums: list[list[float]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _shape_cache: tuple[list[tuple[float, float]], list[float], list[float]] | None = field(
        default=None, repr=False
    )

    @property
    def lines(self) -> int:
        return len(self.params.production_split)

    @property
    def acb_share(self) -> float:
        """The AC Batteries' share of the site's battery power (by capacity)."""
        total = self.params.capacity_wh
        return self.params.acb_capacity_wh / total if total else 0.0

    @property
    def install_day(self) -> int:
        return self.local_day(self.params.install_time)

    def local_day(self, now: float) -> int:
        return math.floor((now + self.params.utc_offset) / 86400)

    def local_midnight(self, now: float) -> float:
        return self.local_day(now) * 86400.0 - self.params.utc_offset

    def _locate(self, now: float) -> tuple[int, int, float]:
        local = now + self.params.utc_offset
        day = math.floor(local / 86400)
        into = local - day * 86400
        slot = min(int(into // SLOT_SECONDS), SLOTS_PER_DAY - 1)
        return day, slot, (into - slot * SLOT_SECONDS) / SLOT_SECONDS

    def _day_type(self, day: int) -> tuple[int, int, int]:
        h = mix(self.params.seed, day, 77)
        return h % 6, (h >> 8) % 3, (h >> 16) % 2

    # battery powers are sized so that discharging never exceeds half the lowest load
    def _battery_power(self) -> tuple[float, float]:
        if not self.params.capacity_wh:
            return 0.0, 0.0
        min_load = self.params.base_load_w * 0.85 * 0.85
        swing = min(self.params.capacity_wh * 0.6, 0.5 * min_load * _DISCHARGE_HOURS)
        return swing / _CHARGE_HOURS, swing / _DISCHARGE_HOURS

    def _table(self, kind: tuple[int, int, int]) -> _DayTable:
        table = self._tables.get(kind)
        if table is None:
            table = self._build_table(kind)
            self._tables[kind] = table
        return table

    def _shapes(self) -> tuple[list[tuple[float, float]], list[float], list[float]]:
        """Per slot of the day: (sun, load shape); per noise index: cloud and load noise."""
        if self._shape_cache is None:
            seed = self.params.seed
            hours = [(slot + 0.5) * _SLOT_HOURS for slot in range(SLOTS_PER_DAY)]
            self._shape_cache = (
                [(sun(h), load_shape(h)) for h in hours],
                [1.0 + 0.1 * (2 * unit(seed, k, 1) - 1) for k in range(SLOTS_PER_DAY)],
                [1.0 + 0.15 * (2 * unit(seed, k, 2) - 1) for k in range(SLOTS_PER_DAY)],
            )
        return self._shape_cache

    def _build_table(self, kind: tuple[int, int, int]) -> _DayTable:
        weather, level, rotation = kind
        p = self.params
        w = 0.35 + 0.65 * weather / 5
        load_level = 0.85 + 0.15 * level
        charge_w, discharge_w = self._battery_power()
        shapes, clouds, noises = self._shapes()
        power, energy, before = [], [], [[0.0] * _WIDTH]
        for slot in range(SLOTS_PER_DAY):
            k = (slot + 131 * rotation) % SLOTS_PER_DAY
            prod = p.peak_w * w * shapes[slot][0] * clouds[k]
            load = p.base_load_w * load_level * shapes[slot][1] * noises[k]
            charging = _CHARGE_START <= slot < _CHARGE_END
            battery = -charge_w if charging else discharge_w
            power.append((prod, load, battery))
            energy.append(self._slot_energy(prod, load - battery, battery))
            before.append([a + b for a, b in zip(before[-1], energy[-1], strict=True)])
        return _DayTable(power, energy, before)

    def _slot_energy(self, prod: float, cons: float, battery: float) -> list[float]:
        vec = [0.0] * _WIDTH
        vec[P], vec[C] = prod * _SLOT_HOURS, cons * _SLOT_HOURS
        vec[CHG] = max(-battery, 0.0) * _SLOT_HOURS
        vec[DIS] = max(battery, 0.0) * _SLOT_HOURS
        for k, (fp, fc) in enumerate(
            zip(self.params.production_split, self.params.consumption_split, strict=True)
        ):
            net = cons * fc - prod * fp
            vec[IMP[k]] = max(net, 0.0) * _SLOT_HOURS
            vec[EXP[k]] = max(-net, 0.0) * _SLOT_HOURS
        return vec

    def _before_day(self, day: int) -> list[float]:
        """The energy vector summed over whole days from installation to `day`."""
        index = day - self.install_day
        if index <= 0:
            return [0.0] * _WIDTH
        while len(self._day_sums) < index:
            done = len(self._day_sums)
            last = self._day_sums[-1] if done else [0.0] * _WIDTH
            total = self._table(self._day_type(self.install_day + done)).before[-1]
            self._day_sums.append([a + b for a, b in zip(last, total, strict=True)])
        return self._day_sums[index - 1]

    def _vector(self, now: float) -> list[float]:
        day, slot, frac = self._locate(now)
        if day < self.install_day:
            return [0.0] * _WIDTH
        with self._lock:
            table = self._table(self._day_type(day))
            base = self._before_day(day)
        return [
            a + b + frac * c
            for a, b, c in zip(base, table.before[slot], table.energy[slot], strict=True)
        ]

    def flows(self, now: float) -> Flows:
        """Power at `now`, per line."""
        day, slot, _ = self._locate(now)
        with self._lock:
            prod, load, battery = self._table(self._day_type(day)).power[slot]
        cons = load - battery
        return Flows(
            production=tuple(prod * f for f in self.params.production_split),
            consumption=tuple(cons * f for f in self.params.consumption_split),
            battery=battery,
        )

    def energy(self, now: float) -> Energy:
        """Wh counted from installation to `now`, per line."""
        v = self._vector(now)
        lines = range(self.lines)
        return Energy(
            production=tuple(v[P] * f for f in self.params.production_split),
            consumption=tuple(v[C] * f for f in self.params.consumption_split),
            imported=tuple(v[IMP[k]] for k in lines),
            exported=tuple(v[EXP[k]] for k in lines),
            charged=v[CHG],
            discharged=v[DIS],
        )

    def soc(self, now: float) -> float:
        """The batteries' state of charge in % (0..100); 0 without batteries."""
        if not self.params.capacity_wh:
            return 0.0
        charge_w, discharge_w = self._battery_power()
        _, slot, frac = self._locate(now)
        hours = (slot + frac) * _SLOT_HOURS
        start, end = _CHARGE_START * _SLOT_HOURS, _CHARGE_END * _SLOT_HOURS
        # `stored` is the energy above the 09:00 low point, when charging starts
        swing = charge_w * (end - start)
        if hours < start:
            stored = swing - discharge_w * (hours + 24.0 - end)
        elif hours < end:
            stored = charge_w * (hours - start)
        else:
            stored = swing - discharge_w * (hours - end)
        soc = SOC_LOW + 100.0 * stored / self.params.capacity_wh
        return max(0.0, min(100.0, soc))

    def produced_between(self, start: float, end: float) -> float:
        """Wh produced (all lines) between two instants."""
        return self._vector(end)[P] - self._vector(start)[P]
