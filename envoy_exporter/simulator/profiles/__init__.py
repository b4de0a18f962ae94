"""Built-in simulated gateways ("profiles"), written as code: `load_profile(name, **options)`.

- legacy: Envoy-S, firmware D5.0.62, no CTs, 12 inverters (HTTP, digest auth).
- metered-3phase: Envoy-S metered, D7.6.175, production + net-consumption CTs on three
  phases, 30 inverters, an empty ensemble inventory.
- battery: D8.2.127, split phase, production + net-consumption + storage CTs, 20 inverters,
  3 IQ Batteries, 2 AC Batteries, an IQ System Controller with 4 dry contacts, a tariff;
  accepts writes (grid relay, dry contacts and their settings, tariff storage settings).
- large: D8.2.127, three phases, production + net-consumption + storage + backfeed CTs,
  300 inverters, 10 IQ Batteries and a System Controller: the benchmark's site.

Measured values come from `physics.SiteModel`: deterministic in (`now`, seed), with a fixed
UTC offset per site (no daylight saving time).

Options every profile takes: `inverters` (how many microinverters), `seed` (another site
of the same kind: other serials, weather, noise), `serial` (the gateway's serial) and
`frozen_at` (a Unix time: answer every request as of that instant, so two clients reading
the gateway one after the other see the same counters).
"""

from __future__ import annotations

from collections.abc import Callable

from . import battery, large, legacy, metered_3phase
from .base import ProfileSource

_BUILDERS: dict[str, Callable[..., ProfileSource]] = {
    "legacy": legacy.build,
    "metered-3phase": metered_3phase.build,
    "battery": battery.build,
    "large": large.build,
}
PROFILE_NAMES: tuple[str, ...] = tuple(_BUILDERS)
_OPTIONS = ("inverters", "seed", "serial", "frozen_at")


class UnknownProfileError(ValueError):
    """A profile name or option that does not exist."""


def load_profile(name: str, **options: object) -> ProfileSource:
    """The built-in gateway `name` (one of PROFILE_NAMES), configured by `options`."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise UnknownProfileError(
            f"unknown simulator profile {name!r}; known profiles: {', '.join(PROFILE_NAMES)}"
        )
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise UnknownProfileError(
            f"unknown option(s) {', '.join(unknown)} for profile {name!r}; "
            f"known options: {', '.join(_OPTIONS)}"
        )
    frozen_at = options.pop("frozen_at", None)
    if frozen_at is not None and (
        isinstance(frozen_at, bool) or not isinstance(frozen_at, int | float)
    ):
        raise UnknownProfileError(f"frozen_at must be a Unix time in seconds, not {frozen_at!r}")
    source = builder(**options)
    source.frozen_at = None if frozen_at is None else float(frozen_at)
    return source


__all__ = ["PROFILE_NAMES", "ProfileSource", "UnknownProfileError", "load_profile"]
