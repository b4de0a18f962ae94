"""Fault modes of the simulated gateway, each selectable by name (`simulate --fault NAME[:ARG]`).

A fault wraps every answer of a SimulatedEnvoy (see `server.Fault`). Each one acts only while
`enabled` and only on paths starting with one of its `paths` (`NAME[:ARG]@PREFIX` narrows it
from the command line). Faults that depend on time read `clock` (injectable: tests drive
a five-minute outage without waiting five minutes). Faults that hold a request (hang, delay)
let it go on `close()`, which SimulatedEnvoy.stop() calls.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from ..envoy.const import (
    URL_DEVICE_DATA,
    URL_INFO,
    URL_INVENTORY_PLAIN,
    URL_METERS,
    URL_METERS_READINGS,
    URL_PRODUCTION_INVERTERS,
)
from .server import DropConnection, Request
from .source import Answer

Clock = Callable[[], float]
NextAnswer = Callable[[], Answer]

INFO = URL_INFO
READINGS = URL_METERS_READINGS
INVERTERS = URL_PRODUCTION_INVERTERS
INVENTORY = URL_INVENTORY_PLAIN
#: the real gateway's login page, which some firmware serves instead of JSON after a reboot
LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Envoy</title></head>"
    b"<body><form action='/home' method='post'>Please log in</form></body></html>"
)
BAD_XML = b"<?xml version='1.0'?><envoy_info><device><sn>1</sn><software>D7"
#: "billion laughs": ten levels of ten references, a gigabyte once expanded
XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + b"".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.encode() for i in range(1, 10))
    + b"]><envoy_info><device><software>&lol9;</software></device></envoy_info>"
)


class Fault:
    """Base of the fault modes: an on/off switch, a path scope, a request count."""

    #: paths (prefixes) the fault acts on by default; () means every path
    DEFAULT_PATHS: tuple[str, ...] = ()
    #: paths it never touches by default (so a data fault does not break /info first)
    SPARED: tuple[str, ...] = ()

    def __init__(self, paths: Iterable[str] = (), clock: Clock = time.time) -> None:
        self.paths = tuple(paths) or self.DEFAULT_PATHS
        self.spared = () if tuple(paths) else self.SPARED
        self.clock = clock
        self.enabled = True
        self.hits = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def concerns(self, request: Request) -> bool:
        path = urlsplit(request.path).path
        if any(path.startswith(p) for p in self.spared):
            return False
        return not self.paths or any(path.startswith(p) for p in self.paths)

    def apply(self, request: Request, answer: NextAnswer) -> Answer:
        if not self.enabled or not self.concerns(request):
            return answer()
        with self._lock:
            self.hits += 1
        return self.act(request, answer)

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        raise NotImplementedError

    def close(self) -> None:
        """Let go of every held request (called when the simulator stops)."""
        self._closed.set()

    def reopen(self) -> None:
        """Hold requests again (the simulator started again)."""
        self._closed.clear()


class Refused(Fault):
    """Connection refused: the gateway is switched off.

    Not a per-request fault (a refused connection never reaches a handler): `simulate`
    stops listening for `seconds` (None: until Ctrl-C); tests stop the simulator instead.
    """

    def __init__(self, seconds: float | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.seconds = seconds

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        raise DropConnection(reset=True)


class Hang(Fault):
    """Accepts the connection and never answers, until close(); then drops it."""

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        self._closed.wait()
        raise DropConnection()


class Delay(Fault):
    """Answers after `seconds` (cut short by close())."""

    def __init__(self, seconds: float = 5.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.seconds = seconds

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        if self._closed.wait(self.seconds):
            raise DropConnection()
        return answer()


class Status(Fault):
    """Answers an HTTP error status (500, 503...) instead of the data."""

    def __init__(self, status: int = 500, **kw: Any) -> None:
        super().__init__(**kw)
        if not 400 <= status <= 599:
            raise ValueError(f"fault status must be 400-599, got {status}")
        self.status = status

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        body = json.dumps({"error": f"{self.status} - injected fault"}).encode()
        return Answer(self.status, body)


class Revoked(Fault):
    """The owner revokes the token after `after` requests: every credential seen so far is
    refused with 401 (a new token from Enlighten works). /info never needs a token."""

    SPARED = (INFO,)

    def __init__(self, after: int = 10, **kw: Any) -> None:
        super().__init__(**kw)
        self.after = after
        self._seen: set[str] = set()
        self._revoked: set[str] = set()

    def apply(self, request: Request, answer: NextAnswer) -> Answer:
        # Credentials are noted even while disabled: switching the fault on revokes them.
        if not self.concerns(request):
            return answer()
        credential = _credential(request)
        with self._lock:
            if self.enabled:
                self.hits += 1
                if self.hits > self.after and not self._revoked:
                    self._revoked = set(self._seen)
                if credential in self._revoked:
                    return _unauthorized()
            self._seen.add(credential)
        return answer()


class Unauthorized(Fault):
    """401 on one endpoint only (by default the CT readings), whatever the credentials."""

    DEFAULT_PATHS = (READINGS,)

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        return _unauthorized()


class Truncated(Fault):
    """Sends the headers (the full Content-Length) and `fraction` of the body, then closes."""

    SPARED = (INFO,)

    def __init__(self, fraction: float = 0.5, **kw: Any) -> None:
        super().__init__(**kw)
        self.fraction = fraction

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        full = answer()
        raise DropConnection(full, int(len(full.body) * self.fraction))


class Reset(Truncated):
    """Like Truncated, but the connection ends with a TCP reset mid-body."""

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        full = answer()
        raise DropConnection(full, int(len(full.body) * self.fraction), reset=True)


class Html(Fault):
    """A 200 HTML page where JSON is expected (the login page of a confused gateway)."""

    SPARED = (INFO,)

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        return Answer(200, LOGIN_PAGE, "text/html")


class BadXml(Fault):
    """/info answers XML cut short."""

    DEFAULT_PATHS = (INFO,)

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        return Answer(200, BAD_XML, "text/xml")


class XmlBomb(Fault):
    """/info answers a billion-laughs entity bomb."""

    DEFAULT_PATHS = (INFO,)

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        return Answer(200, XML_BOMB, "text/xml")


class Huge(Fault):
    """A JSON body of `megabytes` MB (built once, shared by every request)."""

    SPARED = (INFO,)

    def __init__(self, megabytes: float = 50.0, **kw: Any) -> None:
        super().__init__(**kw)
        size = int(megabytes * 1024 * 1024)
        self.body = b'{"pad": "' + b"x" * max(size - 11, 0) + b'"}'

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        return Answer(200, self.body)


class Reboot(Fault):
    """The gateway reboots into firmware `firmware`: no answers for `down` seconds, then
    /info tells the new version. Armed at construction or by `arm()`."""

    def __init__(self, firmware: str = "D8.2.4382", down: float = 0.0, **kw: Any) -> None:
        super().__init__(**kw)
        if not re.fullmatch(r"[A-Za-z]?\d+(\.\d+)*", firmware):
            raise ValueError(f"firmware must look like D8.2.4382, got {firmware!r}")
        self.firmware = firmware
        self.down = down
        self.armed_at = self.clock()

    def arm(self) -> None:
        self.armed_at = self.clock()
        self.enabled = True

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        if self.clock() < self.armed_at + self.down:
            raise DropConnection()
        result = answer()
        if urlsplit(request.path).path != INFO:
            return result
        body = re.sub(
            rb"<software>[^<]*</software>",
            f"<software>{self.firmware}</software>".encode(),
            result.body,
        )
        return replace(result, body=body)


class Outage(Fault):
    """The nightly outage: every connection dropped for `seconds` from `start` (clock time;
    None: from construction or `arm()`), then normal answers."""

    def __init__(self, seconds: float = 300.0, start: float | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.seconds = seconds
        self.start = self.clock() if start is None else start

    def arm(self) -> None:
        self.start = self.clock()
        self.enabled = True

    def active(self) -> bool:
        return self.start <= self.clock() < self.start + self.seconds

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        if self.active():
            raise DropConnection()
        return answer()


class _Rewrite(Fault):
    """A fault that changes the JSON of a successful answer."""

    def act(self, request: Request, answer: NextAnswer) -> Answer:
        result = answer()
        if result.status != 200:
            return result
        return replace(result, body=json.dumps(self.rewrite(json.loads(result.body))).encode())

    def rewrite(self, doc: Any) -> Any:
        raise NotImplementedError


class Backwards(_Rewrite):
    """CT lifetime counters step back by `watt_hours` (a meter swapped or reset)."""

    DEFAULT_PATHS = (READINGS,)

    def __init__(self, watt_hours: float = 1000.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.watt_hours = watt_hours

    def rewrite(self, doc: Any) -> Any:
        for meter in doc if isinstance(doc, list) else []:
            for item in [meter, *meter.get("channels", [])]:
                for key in ("actEnergyDlvd", "actEnergyRcvd"):
                    if isinstance(item.get(key), int | float):
                        item[key] = max(item[key] - self.watt_hours, 0.0)
        return doc


class CtStatus(_Rewrite):
    """Every CT raises `flag` and reports metering status `status` (a CT wired wrong)."""

    DEFAULT_PATHS = (URL_METERS,)
    #: the readings share the prefix; only /ivp/meters carries the status
    SPARED = (READINGS,)

    def __init__(
        self, flag: str = "production-imbalance", status: str = "check-wiring", **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.flag = flag
        self.status = status

    def rewrite(self, doc: Any) -> Any:
        for meter in doc if isinstance(doc, list) else []:
            if isinstance(meter, dict):
                meter["statusFlags"] = [self.flag]
                meter["meteringStatus"] = self.status
        return doc


class InverterGone(_Rewrite):
    """One inverter (`serial`, or the first listed) disappears from every inverter list."""

    DEFAULT_PATHS = (INVERTERS, INVENTORY, URL_DEVICE_DATA)

    def __init__(self, serial: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.serial = serial

    def rewrite(self, doc: Any) -> Any:
        if self.serial is None:
            self.serial = _first_serial(doc)
        return _without(doc, self.serial)


def _first_serial(doc: Any) -> str | None:
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        if "serialNumber" in doc[0]:
            return str(doc[0]["serialNumber"])
        for item in doc:
            if isinstance(item, dict) and item.get("type") == "PCU" and item.get("devices"):
                return str(item["devices"][0].get("serial_num"))
    return None


def _without(doc: Any, serial: str | None) -> Any:
    """`doc` with every object naming `serial` removed, at any depth."""
    if isinstance(doc, list):
        return [_without(item, serial) for item in doc if not _names(item, serial)]
    if isinstance(doc, dict):
        return {k: _without(v, serial) for k, v in doc.items() if not _names(v, serial)}
    return doc


def _names(item: Any, serial: str | None) -> bool:
    if not isinstance(item, dict) or serial is None:
        return False
    return serial in (
        str(item.get("serialNumber")),
        str(item.get("serial_num")),
        str(item.get("sn")),
    )


class Chain:
    """Several faults, the first listed outermost."""

    def __init__(self, faults: Iterable[Fault]) -> None:
        self.faults = list(faults)

    def apply(self, request: Request, answer: NextAnswer) -> Answer:
        def through(index: int) -> Answer:
            if index == len(self.faults):
                return answer()
            return self.faults[index].apply(request, lambda: through(index + 1))

        return through(0)

    def close(self) -> None:
        for fault in self.faults:
            fault.close()

    def reopen(self) -> None:
        for fault in self.faults:
            fault.reopen()


def _credential(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "bearer:" + token.strip()
    cookie = request.headers.get("cookie", "")
    return "cookie:" + cookie if cookie else "none"


def _unauthorized() -> Answer:
    return Answer(401, b"<html><body><h2>401 Unauthorized</h2></body></html>", "text/html")


def _optional_float(arg: str | None) -> float | None:
    return None if arg is None else float(arg)


#: name -> (factory from the optional ARG, what it does)
FAULTS: dict[str, tuple[Callable[[str | None], Fault], str]] = {
    "refused": (lambda a: Refused(_optional_float(a)), "refused[:SECONDS] gateway switched off"),
    "hang": (lambda a: Hang(), "hang: accepts, never answers"),
    "delay": (lambda a: Delay(float(a or 5)), "delay[:SECONDS] answers late (5 s)"),
    "status": (lambda a: Status(int(a or 500)), "status[:CODE] HTTP error (500)"),
    "revoke": (lambda a: Revoked(int(a or 10)), "revoke[:N] token revoked after N requests"),
    "unauthorized": (lambda a: Unauthorized(), "unauthorized 401 on one endpoint"),
    "truncate": (lambda a: Truncated(float(a or 0.5)), "truncate[:FRACTION] body cut"),
    "reset": (lambda a: Reset(float(a or 0.5)), "reset[:FRACTION] TCP reset mid-body"),
    "html": (lambda a: Html(), "html: HTML where JSON is expected"),
    "bad-xml": (lambda a: BadXml(), "bad-xml: /info is invalid XML"),
    "xml-bomb": (lambda a: XmlBomb(), "xml-bomb: /info is an entity bomb"),
    "huge": (lambda a: Huge(float(a or 50)), "huge[:MB] a 50 MB body"),
    "reboot": (lambda a: Reboot(a or "D8.2.4382", 30.0), "reboot[:FIRMWARE] new firmware"),
    "outage": (lambda a: Outage(float(a or 300)), "outage[:SECONDS] no answers (300 s)"),
    "backwards": (lambda a: Backwards(float(a or 1000)), "backwards[:WH] CT counters step back"),
    "inverter-gone": (lambda a: InverterGone(a), "inverter-gone[:SERIAL] inverter vanishes"),
    "wiring": (lambda a: CtStatus(a or "production-imbalance"), "wiring[:FLAG] CTs raise FLAG"),
}


def parse_fault(spec: str) -> Fault:
    """The fault described by "NAME[:ARG][@PATH]", e.g. "status:503@/ivp/meters/readings"."""
    head, at, path = spec.partition("@")
    name, _, arg = head.partition(":")
    known = FAULTS.get(name.strip())
    if known is None:
        raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(FAULTS)}")
    if at and not path.startswith("/"):
        raise ValueError(f"fault {spec!r}: the path after @ must start with '/'")
    try:
        fault = known[0](arg.strip() or None)
    except ValueError as err:
        raise ValueError(f"fault {spec!r}: bad argument {arg!r} ({err})") from None
    if path:
        fault.paths, fault.spared = (path,), ()
    return fault


__all__ = ["FAULTS", "Chain", "Fault", "parse_fault"]
