"""Reading a gateway part by part: one updater -> its own EnvoyData, its failure classified.

`Envoy.update()` and the exporter both read through `read_part()`; the checks on what a part
read (the firmware 3.x all-zero production) live here and nowhere else.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import requests
from packaging.version import Version

from .exceptions import (
    EnvoyAuthenticationRequired,
    EnvoyCommunicationError,
    EnvoyDataError,
    EnvoyError,
    EnvoyHTTPStatusError,
)
from .models.envoy import EnvoyData
from .updaters.base import SHAPE_ERRORS, EnvoyUpdater


class Failure(enum.Enum):
    """Why a part could not be read."""

    #: the gateway refused the credentials (after one session renewal)
    REFUSED = "refused"
    #: no answer: connection refused or lost, timeout
    UNREACHABLE = "unreachable"
    #: 404: the endpoint vanished (the gateway may have changed)
    NOT_FOUND = "not found"
    #: an answer that cannot be used: another status, a bad body, a size over the limit
    DATA = "data"
    #: a bug in the updater (anything else raised)
    BUG = "bug"


@dataclass
class PartRead:
    """What one updater read: `data` (None when it failed), or the error and its class."""

    name: str
    data: EnvoyData | None
    error: BaseException | None = None
    failure: Failure | None = None
    #: the data shows a known firmware fault (its production was removed from `data`)
    poor_quality: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.data is not None

    @property
    def reason(self) -> str | None:
        """The error as one short line, None when the part was read."""
        err = self.error
        if err is None:
            return None
        return f"{type(err).__name__}: {str(err) or type(err).__name__}"[:300]


class ReadSession:
    """One pass over the parts: answers kept for reuse, the raw answers read so far, and
    whether a 401 already renewed the gateway session (once per pass: a 401 after a renewal
    is the account's lack of access, not an expired session)."""

    def __init__(self) -> None:
        self.raw: dict[str, Any] = {}
        self.renewed = False
        self._answers: dict[str, requests.Response] = {}

    def get(self, endpoint: str) -> requests.Response | None:
        return self._answers.get(endpoint)

    def put(self, endpoint: str, response: requests.Response) -> None:
        self._answers[endpoint] = response


def read_part(updater: EnvoyUpdater, session: ReadSession, firmware: Version) -> PartRead:
    """Run one updater on a new EnvoyData, which starts with the raw answers read before it
    in this session (the inventory reuses the inverters' report)."""
    data = EnvoyData(raw=dict(session.raw))
    read = PartRead(updater.name or type(updater).__name__, None)
    started = time.perf_counter()
    try:
        guarded(updater, updater.update, data)
    except Exception as err:  # classified: one failing part costs only itself
        read.error, read.failure = err, classify(err)
    else:
        session.raw.update(data.raw)
        read.data = data
        read.poor_quality = poor_production(data, firmware)
        if read.poor_quality:
            data.system_production = None  # zeros at boot would wreck the lifetime counters
    read.seconds = time.perf_counter() - started
    return read


def classify(err: BaseException) -> Failure:
    if isinstance(err, EnvoyAuthenticationRequired):
        return Failure.REFUSED
    if isinstance(err, EnvoyCommunicationError):
        return Failure.UNREACHABLE
    if isinstance(err, EnvoyHTTPStatusError) and err.status_code == 404:
        return Failure.NOT_FOUND
    if isinstance(err, EnvoyError):
        return Failure.DATA
    return Failure.BUG


def guarded(updater: EnvoyUpdater, step: Any, *args: Any) -> Any:
    """Run an updater step; an answer of an unexpected shape becomes EnvoyDataError."""
    try:
        return step(*args)
    except SHAPE_ERRORS as err:
        where = ", ".join(updater.endpoints) or updater.name
        raise EnvoyDataError(where, f"unexpected shape ({type(err).__name__}: {err})") from err


def poor_production(data: EnvoyData, firmware: Version) -> str | None:
    """Firmware 3.x answers 200 with all-zero production for minutes after a restart (newer
    firmware answers 503): what is wrong, or None."""
    production = data.system_production
    if firmware.major != 3 or production is None:
        return None
    values = (
        production.watts_now,
        production.watt_hours_today,
        production.watt_hours_last_7_days,
        production.watt_hours_lifetime,
    )
    if any(values):
        return None
    return f"firmware {firmware}: all production values are zero (gateway starting up)"


_FIELDS = frozenset(f.name for f in fields(EnvoyData) if f.name != "raw")

#: the fields one part set, as (name, value) pairs
Values = tuple[tuple[str, Any], ...]


def set_values(part: EnvoyData) -> Values:
    """The fields a part set (raw aside): each part sets a few of the ~40."""
    return tuple((n, v) for n, v in vars(part).items() if v is not None and n in _FIELDS)


def merge(parts: Iterable[EnvoyData]) -> EnvoyData:
    """One EnvoyData from several, in updater order: a later part's value wins, dicts merge."""
    return merge_values(set_values(part) for part in parts)


def merge_values(parts: Iterable[Values]) -> EnvoyData:
    """merge() of the parts' set_values() (a caller keeping them walks each part once)."""
    values: dict[str, Any] = {}
    for part in parts:
        for name, value in part:
            current = values.get(name)
            if isinstance(value, dict):
                if not value and current is not None:
                    continue
                # One part's dict is shared as it is (parts are not changed once read), so
                # the output can tell unchanged data by identity; two parts' dicts merge.
                values[name] = {**current, **value} if current else value
            else:
                values[name] = value
    return EnvoyData(**values)
