"""The settings of one gateway: the one model that the command line, the configuration file
and the collector share, checked in one place.

Every check reports all problems at once, each at the place the user wrote it (`--cache-ttl`
on the command line, `modules.gentle.cache_ttl` in the file), and never with a secret's value.
Secrets are hidden one way: fields marked `secret` are left out of repr() and listed by
`TargetConfig.secrets` for the log redactor.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..logs import REDACTOR


class ConfigError(ValueError):
    """One or more problems in the settings; `errors` lists them all, each with its path."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$")
_HOST_FORM = "expected HOST[:PORT] or an http(s)://HOST[:PORT] URL without a path"


def check_host(value: Any) -> str:
    """HOST[:PORT] from what a user gave: a bare address, or a URL pasted from a browser."""
    text = _text(value)
    if "://" in text:
        url = urllib.parse.urlsplit(text)
        if "@" in url.netloc:
            # Never echo it: the part before @ may be a password.
            raise ValueError(
                "a URL with a user or password is not accepted; give credentials apart"
            )
        if url.scheme.lower() not in ("http", "https") or url.path not in ("", "/"):
            raise ValueError(f"{_HOST_FORM}, got {text!r}")
        if url.query or url.fragment:
            raise ValueError(f"{_HOST_FORM}, got {text!r}")
        text = url.netloc
    match = _HOST_RE.match(text)
    if match is None or (match.group(2) is not None and not 0 < int(match.group(2)) < 65536):
        raise ValueError(f"{_HOST_FORM}, got {text!r}")
    return text


def _text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a serial number written without quotes
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _secret(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _url(value: Any) -> str:
    text = _text(value)
    if not text.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return text


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    return Path(_text(value)).expanduser()


def _number(
    low: float, high: float | None = None, *, above: bool = False
) -> Callable[[Any], float]:
    """A check for a number >= low (> low when `above`) and <= high."""
    bound = f"{'greater than' if above else 'at least'} {low:g}"
    bound += f" and at most {high:g}" if high is not None else ""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {type(value).__name__}")
        number = float(value)
        if number < low or (above and number == low) or (high is not None and number > high):
            raise ValueError(f"must be {bound}, got {number:g}")
        return number

    return check


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


#: series of the gateway's data one exposition carries at most (issue 13 item 9: 70,000
#: inverters gave 210,000 series); beyond, they are left out and counted
MAX_SERIES = 20_000


@dataclass(frozen=True)
class Setting:
    """How one setting is checked and what the command line calls it."""

    check: Callable[[Any], Any]
    option: str


#: Every setting of a target, in one table: the file's keys are the names, the command line's
#: options are `option`. The defaults are TargetConfig's.
SETTINGS: dict[str, Setting] = {
    "host": Setting(check_host, "--envoy"),
    "token": Setting(_secret, "--token"),
    "token_file": Setting(_path, "--token-file"),
    "username": Setting(_text, "--username"),
    "password": Setting(_secret, "--password"),
    "serial": Setting(_text, "--serial"),
    "enlighten_login_url": Setting(_url, "--enlighten-login-url"),
    "enlighten_token_url": Setting(_url, "--enlighten-token-url"),
    "cache_ttl": Setting(_number(1.0), "--cache-ttl"),
    "busy_budget": Setting(_number(0.0, 1.0, above=True), "--busy-budget"),
    "timeout": Setting(_number(0.5), "--timeout"),
    "verify_tls": Setting(_flag, "--verify-tls"),
    "state_dir": Setting(_path, "--state.dir"),
    "max_series": Setting(_count, "--max-series"),
}
#: what a module of the configuration file may set: how to collect, not whom
MODULE_SETTINGS = ("cache_ttl", "busy_budget", "timeout", "verify_tls", "max_series")
#: what an auth of the configuration file may set
CREDENTIAL_SETTINGS = ("token", "username", "password", "serial")


def check_settings(
    values: Mapping[str, Any], path: Callable[[str], str]
) -> tuple[dict[str, Any], list[str]]:
    """The checked values (None left out) and every problem found, each as 'PATH: problem'."""
    checked: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in values.items():
        if value is None:
            continue
        try:
            checked[key] = SETTINGS[key].check(value)
        except ValueError as exc:
            errors.append(f"{path(key)}: {exc}")
    if "password" in checked and not values.get("username"):
        # A password alone logs in nowhere: Enlighten and local digest both need a user.
        errors.append(f"{path('password')}: given without a username")
    return checked, errors


def read_secret_file(file: Path) -> str:
    """The stripped content of a secret's file; ValueError naming the file and the cause."""
    try:
        content = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read {file}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise ValueError(f"cannot read {file}: not UTF-8 text") from None
    if not content:
        raise ValueError(f"{file} is empty")
    return content


class _TokenFile:
    """A token file read again when it changes, so a rotated token needs no restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._token: str | None = None

    def read(self, fallback: str | None) -> str | None:
        """The file's token; the last one read (or `fallback`) while it is unreadable."""
        try:
            info = os.stat(self.path)
        except OSError:
            return self._token or fallback
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        with self._lock:
            if stamp != self._stamp:
                # Half-written or emptied: keep the previous token until it is whole.
                with contextlib.suppress(ValueError):
                    self._token = read_secret_file(self.path)
                    REDACTOR.add([self._token])
                self._stamp = stamp
            return self._token or fallback


def _secret_field() -> Any:
    return field(default=None, repr=False, metadata={"secret": True})


@dataclass(frozen=True)
class TargetConfig:
    """How to reach one gateway and how gently to read it. Checked when built."""

    name: str
    host: str
    token: str | None = _secret_field()
    username: str | None = None
    password: str | None = _secret_field()
    serial: str | None = None
    cache_ttl: float = 15.0
    busy_budget: float = 0.05
    verify_tls: bool = False
    enlighten_login_url: str | None = None
    enlighten_token_url: str | None = None
    timeout: float = 10.0
    max_series: int = MAX_SERIES
    #: read again when it changes (`token` is its content at start)
    token_file: Path | None = None
    #: where tokens fetched from Enlighten are kept across restarts (None: not kept)
    state_dir: Path | None = None
    _token_file: _TokenFile | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name in SETTINGS}
        checked, errors = check_settings(values, lambda key: f"target {self.name!r}: {key}")
        if not self.name:
            errors.insert(0, "target name must not be empty")
        if errors:
            raise ConfigError(errors)
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        if self.token_file is not None:
            object.__setattr__(self, "_token_file", _TokenFile(self.token_file))

    @property
    def secrets(self) -> list[str]:
        """The secret values, for the log redactor."""
        found = [getattr(self, f.name) for f in fields(self) if f.metadata.get("secret")]
        return [s for s in found if s]

    def current_token(self) -> str | None:
        """The token to use now: the token file's content when it has one, else `token`."""
        if self._token_file is None:
            return self.token
        return self._token_file.read(self.token)
