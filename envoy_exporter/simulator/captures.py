"""A gateway replaying a folder of real captures (the layout of ../shared/envoy-captures).

One file per endpoint, named after its URL path ("/ivp/meters/readings" -> "ivp_meters_readings"),
with an optional "<name>_log.json" holding the recorded status `code` and `headers`.
Files are read where they are, at every request; nothing is copied.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from defusedxml import ElementTree

from .source import Answer

# Endpoints a capture folder stores under another name than their own path.
ALIASES = {"inventory.json": "inventory"}

# Recorded headers that describe the recorded connection, not the answer.
_DROPPED_HEADERS = {
    "connection",
    "content-length",
    "date",
    "keep-alive",
    "server",
    "transfer-encoding",
    "www-authenticate",
}


class CaptureError(ValueError):
    """A capture folder that cannot be served."""


class CaptureSource:
    """The answers of one captured gateway; writes are accepted and remembered, not applied."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise CaptureError(f"capture folder {self.path} does not exist")
        info = self.path / "info"
        if not info.is_file():
            raise CaptureError(f"capture folder {self.path} has no 'info' file")
        self.firmware, self.serial = _read_info(info)
        self.writes: list[tuple[str, str, bytes]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CaptureSource({str(self.path)!r})"

    def answer(self, path: str, now: float) -> Answer | None:
        """The recorded answer to GET `path`; None (404) when that endpoint was not captured."""
        file = self.find(path)
        if file is None:
            return None
        return _load(file)

    def write(self, method: str, path: str, body: bytes, now: float) -> Answer | None:
        """Remember the write; answer with the endpoint's capture, as a gateway echoes settings."""
        file = self.find(path)
        if file is None:
            return None
        with self._lock:
            self.writes.append((method, path, body))
        return _load(file)

    def find(self, path: str) -> Path | None:
        """The capture file answering `path` (with its query), or None."""
        for name in candidate_names(path):
            file = self.path / name
            if file.is_file() and not name.endswith("_log.json"):
                return file
        return None


def candidate_names(path: str) -> list[str]:
    """File names that may hold the answer to `path`, most specific first."""
    parts = urlsplit(path)
    base = parts.path.lstrip("/").replace("/", "_")
    names: list[str] = []
    if parts.query:
        # "/production.json?details=1" -> "production.json_details_1" (a few folders add ".json")
        query = "_".join(f"{k}_{v}" if v else k for k, v in parse_qsl(parts.query, True))
        names += [f"{base}_{query}", f"{base}_{query}.json"]
    names.append(base)
    if base in ALIASES:
        names.append(ALIASES[base])
    return [name for name in names if name and not name.startswith(".")]


def _read_info(file: Path) -> tuple[str, str]:
    try:
        root = ElementTree.fromstring(file.read_bytes())
    except ElementTree.ParseError as err:
        raise CaptureError(f"{file} is not valid XML: {err}") from err
    firmware = root.findtext("device/software")
    serial = root.findtext("device/sn")
    if not firmware or not serial:
        raise CaptureError(f"{file} lacks <device><software> or <device><sn>")
    return firmware.strip(), serial.strip()


def _load(file: Path) -> Answer:
    body = file.read_bytes()
    log = _read_log(file.with_name(file.name + "_log.json"))
    headers = {
        str(k).lower(): str(v)
        for k, v in (log.get("headers") or {}).items()
        if str(k).lower() not in _DROPPED_HEADERS
    }
    content_type = headers.pop("content-type", None) or _guess_type(body)
    if "json" in content_type and _guess_type(body) == "text/html":
        # Some firmware sends an HTML error page labelled as JSON; label it as what it is.
        content_type = "text/html"
    status = log.get("code")
    if not isinstance(status, int):
        status = 200
    if status == 200 and _is_401_body(body):
        status = 401
    return Answer(status=status, body=body, content_type=content_type, headers=headers)


def _read_log(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        log = json.loads(file.read_bytes())
    except ValueError as err:
        raise CaptureError(f"{file} is not valid JSON: {err}") from err
    return log if isinstance(log, dict) else {}


def _is_401_body(body: bytes) -> bool:
    if not body.lstrip().startswith(b"{"):
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("status") == 401


def _guess_type(body: bytes) -> str:
    start = body.lstrip()[:64]
    if start.startswith((b"{", b"[")):
        return "application/json"
    if start.startswith(b"<?xml"):
        return "text/xml"
    if start.startswith(b"<"):
        return "text/html"
    return "application/json"
