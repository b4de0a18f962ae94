"""What a simulated gateway answers: the contract between the server and its sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Answer:
    """One HTTP answer of the simulated gateway."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class Source(Protocol):
    """A source of gateway answers: a built-in profile or a capture folder."""

    #: the <software> of /info, e.g. "D7.6.175"; >= 7 means HTTPS + token auth
    firmware: str
    #: the gateway's serial number
    serial: str

    def answer(self, path: str, now: float) -> Answer | None:
        """The answer to GET `path` (with its query string) at time `now`; None for 404."""
        ...

    def write(self, method: str, path: str, body: bytes, now: float) -> Answer | None:
        """The answer to a POST/PUT of `body` to `path`; None for 404."""
        ...
