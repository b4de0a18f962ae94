"""Options shared by the commands that talk to a gateway, and logging that hides secrets."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Credentials:
    """What the user gave to reach one gateway; repr never shows the secrets."""

    host: str | None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    serial: str | None = None
    enlighten_login_url: str | None = None
    enlighten_token_url: str | None = None
    verify_tls: bool = False
    timeout: float = 10.0

    def __repr__(self) -> str:
        return f"Credentials(host={self.host!r}, username={self.username!r})"

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.password) if s]


def envoy_options(func: F) -> F:
    """Decorate a command with --envoy, credentials, Enlighten overrides and --timeout."""
    options = [
        click.option("--envoy", "host", envvar="ENVOY_HOST", show_envvar=True,
                     metavar="HOST[:PORT]",
                     help="The gateway's address (IP or name, optional port)."),
        click.option("--token", envvar="ENVOY_TOKEN", show_envvar=True,
                     help="Enlighten token for firmware >= 7 (prefer --token-file or the variable: "
                          "a command-line value is visible to other local users)."),
        click.option("--token-file", envvar="ENVOY_TOKEN_FILE", show_envvar=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="File holding the token."),
        click.option("--username", envvar="ENVOY_USERNAME", show_envvar=True,
                     help="Enlighten user (firmware >= 7) or local user envoy/installer (older)."),
        click.option("--password", envvar="ENVOY_PASSWORD", show_envvar=True,
                     help="Password of --username."),
        click.option("--password-file", envvar="ENVOY_PASSWORD_FILE", show_envvar=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="File holding the password."),
        click.option("--serial", envvar="ENVOY_SERIAL", show_envvar=True,
                     help="Gateway serial for Enlighten tokens (read from /info when omitted)."),
        click.option("--verify-tls/--no-verify-tls", envvar="ENVOY_VERIFY_TLS", default=False,
                     help="Verify the gateway's certificate (self-signed on every Envoy: off)."),
        click.option("--timeout", type=click.FloatRange(min=0.5), default=10.0, show_default=True,
                     help="Seconds to wait for each gateway answer."),
        click.option("--enlighten-login-url", envvar="ENVOY_ENLIGHTEN_LOGIN_URL", hidden=True),
        click.option("--enlighten-token-url", envvar="ENVOY_ENLIGHTEN_TOKEN_URL", hidden=True),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _read_secret(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise click.UsageError(f"cannot read {what} file {path}: {reason}") from None
    if not value:
        raise click.UsageError(f"{what} file {path} is empty")
    return value


def credentials_from(params: dict[str, Any], *, need_host: bool = True) -> Credentials:
    """Build Credentials from the envoy_options parameters (consumed from `params`)."""
    token, token_file = params.pop("token"), params.pop("token_file")
    password, password_file = params.pop("password"), params.pop("password_file")
    if token and token_file:
        raise click.UsageError("give --token or --token-file, not both")
    if password and password_file:
        raise click.UsageError("give --password or --password-file, not both")
    host = params.pop("host")
    if need_host and not host:
        raise click.UsageError("give the gateway address with --envoy HOST or ENVOY_HOST")
    return Credentials(
        host=host,
        token=token or _read_secret(token_file, "token"),
        username=params.pop("username"),
        password=password or _read_secret(password_file, "password"),
        serial=params.pop("serial"),
        enlighten_login_url=params.pop("enlighten_login_url"),
        enlighten_token_url=params.pop("enlighten_token_url"),
        verify_tls=params.pop("verify_tls"),
        timeout=params.pop("timeout"),
    )


class RedactingFilter(logging.Filter):
    """Replaces known secrets in every log line, whichever module wrote it."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secrets: Iterable[str | None]) -> None:
        self.secrets.update(s for s in secrets if s and len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "<redacted>")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


REDACTOR = RedactingFilter()


def setup_logging(level: str, secrets: Iterable[str | None] = ()) -> None:
    """One line per event on stderr; tracebacks only at debug level (callers log exc_info there)."""
    REDACTOR.add(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    if level != "debug":
        # urllib3 reports every retry at WARNING with the full URL and exception chain.
        logging.getLogger("urllib3").setLevel(logging.ERROR)


def log_level_option(func: F) -> F:
    return click.option(
        "--log.level", "log_level", type=click.Choice(LOG_LEVELS), default="info",
        show_default=True, envvar="ENVOY_EXPORTER_LOG_LEVEL", help="Logging threshold.",
    )(func)  # fmt: skip


def schedule_options(func: F) -> F:
    """--cache-ttl and --busy-budget: how fresh power values are, how hard the gateway works."""
    func = click.option(
        "--busy-budget",
        type=click.FloatRange(0.0, 1.0, min_open=True),
        default=0.05,
        show_default=True,
        envvar="ENVOY_BUSY_BUDGET",
        help="Largest share of the gateway's time our requests may keep it busy.",
    )(func)
    return click.option(
        "--cache-ttl",
        type=click.FloatRange(min=1.0),
        default=15.0,
        show_default=True,
        envvar="ENVOY_CACHE_TTL",
        help="Seconds between refreshes of power values.",
    )(func)
