"""`envoy-exporter token`: get a gateway token from Enlighten and show when it expires."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..collector.config import read_secret_file
from ..envoy.auth import EnvoyTokenAuth
from ..envoy.const import ENLIGHTEN_LOGIN_URL, ENLIGHTEN_TOKEN_URL
from ..envoy.exceptions import EnvoyError
from .options import REDACTOR, log_options, setup_logging


@click.command()
@click.option(
    "--username",
    envvar="ENVOY_USERNAME",
    show_envvar=True,
    required=True,
    help="Enlighten account (e-mail).",
)
@click.option(
    "--password",
    envvar="ENVOY_PASSWORD",
    show_envvar=True,
    help="Enlighten password (prefer the variable or --password-file; asked for on a "
    "terminal when none is given).",
)
@click.option(
    "--password-file",
    envvar="ENVOY_PASSWORD_FILE",
    show_envvar=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the Enlighten password.",
)
@click.option(
    "--serial",
    envvar="ENVOY_SERIAL",
    show_envvar=True,
    required=True,
    help="The gateway's serial number (on its label, or `envoy-exporter probe`).",
)
@click.option(
    "--enlighten-login-url",
    envvar="ENVOY_ENLIGHTEN_LOGIN_URL",
    default=ENLIGHTEN_LOGIN_URL,
    show_default=True,
    help="Enlighten login endpoint.",
)
@click.option(
    "--enlighten-token-url",
    envvar="ENVOY_ENLIGHTEN_TOKEN_URL",
    default=ENLIGHTEN_TOKEN_URL,
    show_default=True,
    help="Enlighten token endpoint.",
)
@log_options
def token(
    username: str,
    password: str | None,
    password_file: Path | None,
    serial: str,
    enlighten_login_url: str,
    enlighten_token_url: str,
    log_level: str,
    log_format: str,
) -> None:
    """Get a token for a gateway (firmware >= 7) from Enlighten.

    The token goes to standard output alone, for piping into a file
    (`envoy-exporter token ... > envoy.token`); its type and expiry go to standard error.
    """
    setup_logging(log_level, log_format)
    password = _password(password, password_file)
    REDACTOR.add([password])
    auth = EnvoyTokenAuth(
        "",
        cloud_username=username,
        cloud_password=password,
        envoy_serial=serial,
        login_url=enlighten_login_url,
        token_url=enlighten_token_url,
    )
    try:
        auth.refresh()
        REDACTOR.add([auth.token])
        expiry = auth.expire_timestamp
        kind = auth.token_type
    except EnvoyError as exc:
        raise click.ClickException(f"no token: {exc}") from None
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expiry))
    days = (expiry - time.time()) / 86400
    click.echo(f"{kind} token for gateway {serial}, expires {when} (in {days:.1f} days)", err=True)
    click.echo(auth.token)


def _password(given: str | None, file: Path | None) -> str:
    """The password from the option, its file, or (on a terminal) typed with hidden input."""
    if file is not None:
        if given:
            raise click.UsageError("give --password or --password-file, not both")
        try:
            return read_secret_file(file)
        except ValueError as exc:
            raise click.UsageError(f"--password-file: {exc}") from None
    if given:
        return given
    if not sys.stdin.isatty():
        raise click.UsageError("give the Enlighten password (--password, ENVOY_PASSWORD or a file)")
    typed: str = click.prompt("Enlighten password", hide_input=True, err=True)
    if not typed.strip():
        raise click.UsageError("no password typed")
    return typed.strip()
