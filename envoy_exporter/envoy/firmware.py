"""EnvoyFirmware: the gateway's firmware version, serial and part number, from /info."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from packaging.version import InvalidVersion, Version

from .const import MAX_REQUEST_ATTEMPTS, MAX_REQUEST_DELAY, URL_INFO
from .exceptions import (
    EnvoyCommunicationError,
    EnvoyDataError,
    EnvoyFirmwareCheckError,
    EnvoyFirmwareFatalCheckError,
)
from .retry import DeadlineRetry, retries, retry_policy
from .transport import GatewayHTTP, certificate_refusal

# "D7.6.175", "R3.9.36": a release letter, then the dotted version.
_SOFTWARE = re.compile(r"^\s*[A-Za-z]*\s*(\d+(?:\.\d+)*)")


def parse_firmware_version(software: str) -> Version:
    """The Version of a <software> text, its leading release letter dropped."""
    match = _SOFTWARE.match(software)
    if match is None:
        raise InvalidVersion(software)
    return Version(match.group(1))


class EnvoyFirmware:
    """Reads /info, which every gateway serves without authentication."""

    def __init__(self, _client: GatewayHTTP, host: str) -> None:
        self._client = _client
        self._host = host
        self._version: Version | None = None
        self._serial: str | None = None
        self._part_number: str | None = None
        self._metered = False
        self.url = ""
        #: how /info is retried (Envoy.set_retry_policy changes it)
        self.retry: DeadlineRetry = retry_policy(MAX_REQUEST_ATTEMPTS, MAX_REQUEST_DELAY)

    def setup(self) -> None:
        """Read /info over HTTPS, or over HTTP when HTTPS fails (firmware < 7 has no HTTPS).

        Connection errors are retried (up to 4 tries per scheme, 50 s in all). With
        certificate verification asked for, a refused certificate is reported as such:
        falling back to plain HTTP would defeat the verification and hide the cause.
        """
        # One elapsed-time budget shared by both schemes.
        with retries(self.retry.starting_now()):
            try:
                body = self._get("https")
            except EnvoyCommunicationError as https_err:
                if self._client.verify_ssl and certificate_refusal(https_err) is not None:
                    raise EnvoyFirmwareFatalCheckError(
                        500, f"{https_err}; plain HTTP not tried, as verification was asked for"
                    ) from https_err
                try:
                    body = self._get("http")
                except EnvoyCommunicationError as err:
                    raise EnvoyFirmwareFatalCheckError(500, str(err)) from err
        self._parse(body)

    def _get(self, scheme: str) -> bytes:
        self.url = f"{scheme}://{self._host}{URL_INFO}"
        try:
            response = self._client.send("GET", self.url, URL_INFO)
        except EnvoyDataError as err:
            raise EnvoyFirmwareCheckError(200, str(err)) from err
        if response.status_code != 200:
            raise EnvoyFirmwareCheckError(
                response.status_code, f"{self.url} answered HTTP {response.status_code}"
            )
        return response.content

    def _parse(self, body: bytes) -> None:
        try:
            root = DefusedET.fromstring(body)
        # LookupError: an XML declaration naming an encoding Python does not know.
        except (ParseError, DefusedXmlException, LookupError) as err:
            raise EnvoyFirmwareCheckError(200, f"{URL_INFO} is not valid XML: {err}") from err
        device = root.find("device")
        software = _text(device, "software")
        if software is None:
            raise EnvoyFirmwareCheckError(200, f"{URL_INFO} has no <device><software> version")
        try:
            self._version = parse_firmware_version(software)
        # ValueError: a version number longer than Python converts to int (4300 digits).
        except (InvalidVersion, ValueError) as err:
            raise EnvoyFirmwareCheckError(
                200, f"{URL_INFO} has an unreadable firmware version {software[:40]!r}"
            ) from err
        self._serial = _text(device, "sn")
        self._part_number = _text(device, "pn")
        self._metered = _text(device, "imeter") == "true"

    @property
    def version(self) -> Version | None:
        """The firmware version; None before setup()."""
        return self._version

    @property
    def serial(self) -> str | None:
        """The gateway's serial number; None before setup() or when /info has none."""
        return self._serial

    @property
    def part_number(self) -> str | None:
        """The gateway's part number; None before setup() or when /info has none."""
        return self._part_number

    @property
    def is_metered(self) -> bool:
        """True only when /info says <imeter>true</imeter>."""
        return self._metered


def _text(parent: Element | None, tag: str) -> str | None:
    if parent is None:
        return None
    child = parent.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip()
