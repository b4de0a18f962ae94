"""Exceptions raised by the Envoy client. Only these escape it."""

from __future__ import annotations

from typing import ClassVar


class EnvoyError(Exception):
    """Base class for Envoy exceptions."""


class EnvoyFirmwareCheckError(EnvoyError):
    """The firmware version could not be read (HTTP error or a status other than 200)."""

    def __init__(self, status_code: int, status: str) -> None:
        super().__init__(status)
        self.status_code = status_code
        self.status = status


class EnvoyFirmwareFatalCheckError(EnvoyError):
    """The firmware version could not be read and retrying will not help."""

    def __init__(self, status_code: int, status: str) -> None:
        super().__init__(status)
        self.status_code = status_code
        self.status = status


class EnvoyAuthenticationError(EnvoyError):
    """Authentication with the gateway or with Enlighten failed."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class EnlightenError(EnvoyAuthenticationError):
    """Getting a token from Enlighten failed; `reason` says how (a bounded label value)."""

    reason: ClassVar[str] = "unexpected"


class EnlightenCredentialsRefused(EnlightenError):
    """Enlighten refused the username or password, or a token for this gateway."""

    reason: ClassVar[str] = "refused"


class EnlightenUnexpectedAnswer(EnlightenError):
    """Enlighten answered something this client does not understand (its login flow changes
    from time to time, and multi-factor authentication gives another answer)."""

    reason: ClassVar[str] = "unexpected"


class EnlightenUnreachable(EnlightenError):
    """Enlighten could not be reached (network, DNS, TLS, timeout)."""

    reason: ClassVar[str] = "unreachable"


#: every EnlightenError.reason
ENLIGHTEN_REASONS = ("refused", "unexpected", "unreachable")


class EnvoyAuthenticationRequired(EnvoyError):
    """A request was made without (valid) authentication."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class EnvoyHTTPStatusError(EnvoyError):
    """The gateway answered with a status outside the 2xx range."""

    def __init__(self, status_code: int, url: str) -> None:
        super().__init__(f"HTTP status {status_code} from {url}")
        self.status_code = status_code
        self.url = url


class EnvoyProbeFailed(EnvoyError):
    """No solar production data could be found on the gateway."""


class EnvoyCommunicationError(EnvoyError):
    """A network error or timeout talking to the gateway."""


class EnvoyFeatureNotAvailable(EnvoyError):
    """The requested action needs a feature the gateway does not have."""


class EnvoyPoorDataQuality(EnvoyError):
    """The data shows a known gateway fault (firmware 3.x: all production zero at boot)."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class EnvoyDataError(EnvoyError):
    """An answer could not be read: not JSON, truncated, too large or of an unexpected shape.

    Not in the reference library: it replaces the bare KeyError/ValueError/JSONDecodeError
    that a malformed answer would otherwise raise from deep inside a model.
    """

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"{endpoint}: {reason}")
        self.endpoint = endpoint
        self.reason = reason


class EnvoyAnswerTooLarge(EnvoyDataError):
    """An answer over the size limit (envoy/const.py MAX_RESPONSE_BYTES)."""
