"""Options shared by the commands that talk to a gateway; they build the one TargetConfig.

The options convert types only: bounds, host forms and cross-checks are the model's
(collector/config.py), so the command line and the configuration file accept the same values
and every problem is reported at once, each under its option's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, TypeVar

import click

from ..collector.config import SETTINGS, TargetConfig, check_settings, read_secret_file
from ..logs import REDACTOR, log_options, setup_logging

__all__ = [
    "REDACTOR",
    "envoy_options",
    "log_options",
    "schedule_options",
    "setting_option",
    "setup_logging",
    "target_from",
]

F = TypeVar("F", bound=Callable[..., Any])
_DEFAULTS = {f.name: f.default for f in fields(TargetConfig) if f.default is not MISSING}


def setting_option(name: str, *decls: str, **kwargs: Any) -> Callable[[F], F]:
    """An option named as in SETTINGS, with the model's default and its ENVOY_ variable."""
    flag = SETTINGS[name].option
    default = _DEFAULTS.get(name)
    if default is not None:
        kwargs.setdefault("default", default)
        kwargs.setdefault("show_default", True)
    kwargs.setdefault("envvar", f"ENVOY_{flag[2:].replace('-', '_').upper()}")
    kwargs.setdefault("show_envvar", True)
    return click.option(flag, *decls, name, **kwargs)


def envoy_options(func: F) -> F:
    """Decorate a command with --envoy, credentials, Enlighten overrides and --timeout."""
    file_type = click.Path(dir_okay=False, path_type=Path)
    options = [
        setting_option("host", envvar="ENVOY_HOST", metavar="HOST[:PORT]",
             help="The gateway's address (IP or name, optional port; an http(s):// URL "
                  "without a path is accepted)."),
        setting_option("token", help="Enlighten token for firmware >= 7 (prefer --token-file "
                       "or the variable: a command-line value is visible to other local users)."),
        setting_option("token_file", type=file_type,
             help="File holding the token; read again when it changes."),
        setting_option("username",
             help="Enlighten user (firmware >= 7) or local user envoy/installer (older)."),
        setting_option("password", help="Password of --username."),
        click.option("--password-file", envvar="ENVOY_PASSWORD_FILE", show_envvar=True,
                     type=file_type, help="File holding the password."),
        setting_option("serial",
             help="Gateway serial for Enlighten tokens (read from /info when omitted)."),
        click.option("--verify-tls/--no-verify-tls", "verify_tls", envvar="ENVOY_VERIFY_TLS",
                     default=False,
                     help="Verify the gateway's certificate (self-signed on every Envoy: off)."),
        setting_option("timeout", type=click.FLOAT, envvar=None, show_envvar=False,
             help="Seconds to wait for each gateway answer."),
        setting_option("enlighten_login_url", hidden=True),
        setting_option("enlighten_token_url", hidden=True),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def schedule_options(func: F) -> F:
    """--cache-ttl and --busy-budget: how fresh power values are, how hard the gateway works;
    --state.dir: where tokens from Enlighten outlive a restart;
    --max-series: how large one exposition may grow."""
    func = setting_option(
        "state_dir", type=click.Path(file_okay=False, path_type=Path),
        envvar="ENVOY_EXPORTER_STATE_DIR",
        help="Directory keeping tokens fetched from Enlighten across restarts (mode 0600), "
             "so that a restart does not log in again.",
    )(func)  # fmt: skip
    func = setting_option(
        "max_series", type=click.INT, show_envvar=False,
        help="Most series of the gateway's data on one page; the rest are left out and "
        "counted in enphase_exporter_series_dropped.",
    )(func)  # fmt: skip
    func = setting_option(
        "busy_budget", type=click.FLOAT, show_envvar=False,
        help="Largest share of the gateway's time our requests may keep it busy.",
    )(func)  # fmt: skip
    return setting_option(
        "cache_ttl", type=click.FLOAT, show_envvar=False,
        help="Seconds between refreshes of power values.",
    )(func)  # fmt: skip


def target_from(params: dict[str, Any], *, name: str | None = None) -> TargetConfig:
    """The TargetConfig the options describe (their parameters are consumed from `params`).

    Every problem is reported at once, each under its option's name.
    """
    values = {key: params.pop(key) for key in list(params) if key in SETTINGS}
    password_file: Path | None = params.pop("password_file", None)
    errors: list[str] = []
    for key, file, flag in (
        ("token", values.get("token_file"), "--token-file"),
        ("password", password_file, "--password-file"),
    ):
        if file is None:
            continue
        if values.get(key):
            errors.append(f"give {SETTINGS[key].option} or {flag}, not both")
            continue
        try:
            values[key] = read_secret_file(file)
        except ValueError as exc:
            errors.append(f"{flag}: {exc}")
    if not values.get("host"):
        errors.append("give the gateway address with --envoy HOST or ENVOY_HOST")
    checked, problems = check_settings(values, lambda key: SETTINGS[key].option)
    errors.extend(problems)
    if errors:
        raise click.UsageError("\n".join(errors))
    target = TargetConfig(name=name or checked["host"], **checked)
    REDACTOR.add(target.secrets)
    return target
