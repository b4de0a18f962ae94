"""`envoy-exporter serve`: the Prometheus exporter for one gateway or many."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from ..server.config import ConfigError, ExporterConfig, load_config
from ..server.webconfig import WebConfig, load_web_config
from .options import (
    REDACTOR,
    envoy_options,
    log_options,
    schedule_options,
    setup_logging,
    target_from,
)
from .otlp_options import otlp_options, otlp_settings_from, start_otlp

if TYPE_CHECKING:
    from ..collector.target import Target
    from ..server.app import ExporterServer

_LOGGER = logging.getLogger(__name__)
# 9433: the Prometheus wiki's "Default port allocations" list has run out of free ports in
# its 9100-9999 range (every number there is claimed by some exporter), so any choice
# collides on paper. 9433 is far from the exporters usually found beside a solar gateway
# (node 9100, blackbox 9115, snmp 9116) and is easy to change with --web.listen-address.
DEFAULT_LISTEN = ":9433"


def check_listen(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Click callback: refuse a malformed listen address before anything starts."""
    from ..server.httpd import parse_listen_address

    try:
        parse_listen_address(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def targets_from_config(config: ExporterConfig) -> dict[str, Target]:
    """One Target per configured gateway; none contacts its gateway before the first scrape."""
    from ..collector.target import Target

    return {name: Target(target) for name, target in config.targets.items()}


def build_server(
    targets: dict[str, Target],
    *,
    single: str | None,
    listen: str,
    web: WebConfig | None = None,
    workers: int = 8,
) -> ExporterServer:
    """The exporter's HTTP server around ready-made targets (also used by `demo` and tests)."""
    from ..server.app import ExporterApp, ExporterServer

    app = ExporterApp(targets, single=single, web=web)
    try:
        return ExporterServer(app, listen, workers=workers)
    except BaseException:
        app.close()
        raise


def run_until_signal(server: ExporterServer, before_stop: Callable[[], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM (a container stop), then close every target."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _LOGGER.info("stopping")
    finally:
        if before_stop is not None:
            before_stop()  # e.g. the OTLP push, which reads the targets about to be closed
        server.stop()


@click.command()
@envoy_options
@click.option(
    "--web.listen-address",
    "listen",
    default=DEFAULT_LISTEN,
    callback=check_listen,
    show_default=True,
    envvar="ENVOY_EXPORTER_LISTEN_ADDRESS",
    show_envvar=True,
    help="[HOST]:PORT to serve on. 9433: the Prometheus port list's 9100-9999 range "
    "is fully allocated, and 9433 avoids the exporters usually run beside this "
    "one (node 9100, blackbox 9115, snmp 9116).",
)
@click.option(
    "--web.config.file",
    "web_config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ENVOY_EXPORTER_WEB_CONFIG",
    help="exporter-toolkit web config: TLS, basic auth.",
)
@click.option(
    "--web.max-threads",
    "workers",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Requests answered at once (worker threads).",
)
@click.option(
    "--config.file",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ENVOY_EXPORTER_CONFIG",
    help="YAML file of named targets, for /probe?target=NAME.",
)
@click.option(
    "--config.check",
    "config_check",
    is_flag=True,
    help="Validate --config.file (and --web.config.file), print a summary, exit.",
)
@schedule_options
@otlp_options
@log_options
def serve(**params: Any) -> None:
    """Serve Prometheus metrics of one gateway on /metrics, or of many on /probe?target=NAME.

    One gateway: --envoy HOST with a token (firmware >= 7), Enlighten credentials (a token is
    fetched and renewed), or a local user (older firmware). Many: --config.file.
    """
    setup_logging(params.pop("log_level"), params.pop("log_format"))
    from ..collector.target import Target

    config_file: Path | None = params.pop("config_file")
    web = _load_web(params.pop("web_config_file"))
    if params.pop("config_check"):
        _check(config_file, web)
        return
    otlp = otlp_settings_from(params)
    if otlp is not None:
        REDACTOR.add(otlp.secrets)
    if config_file is not None:
        if params["host"]:
            raise click.UsageError("give either --envoy or --config.file, not both")
        if params.get("state_dir"):
            # A reload reads the file again: the file alone says where state is kept.
            raise click.UsageError("with --config.file, set state_dir in the file, not --state.dir")
        config = load_or_fail(config_file)
        REDACTOR.add(config.secrets)
        targets, single = targets_from_config(config), None
    else:
        one = target_from(params)
        targets, single = {one.name: Target(one)}, one.name
    try:
        server = build_server(
            targets, single=single, listen=params["listen"], web=web, workers=params["workers"]
        )
    except (OSError, ValueError) as exc:
        for target in targets.values():
            target.close()
        raise click.ClickException(f"cannot listen on {params['listen']}: {exc}") from None
    if config_file is not None and otlp is None:
        # Not with OTLP: the push keeps the targets it started with, which a reload closes.
        _reload_on_sighup(server, config_file)
    _LOGGER.info("listening on %s", server.url)
    click.echo(f"envoy-exporter listening on {server.url}", err=False)
    sys.stdout.flush()
    if otlp is None:
        run_until_signal(server)
        return
    pushing = start_otlp(targets, otlp)
    server.app.register_own(pushing.collector)  # export failures on /metrics
    run_until_signal(server, before_stop=pushing.stop)


def _reload_on_sighup(server: ExporterServer, config_file: Path) -> None:
    """SIGHUP and POST /-/reload read the configuration file again."""
    from ..server.reload import Reloader

    reloader = server.app.reloader = Reloader(server.app, config_file)

    def on_hup(signum: int, frame: FrameType | None) -> None:
        # Off the signal handler: a reload closes targets and may wait on their locks.
        threading.Thread(target=reloader.reload, name="reload", daemon=True).start()

    signal.signal(signal.SIGHUP, on_hup)


def load_or_fail(path: Path) -> ExporterConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.ClickException(_errors_text(path, exc)) from None


def _load_web(path: Path | None) -> WebConfig | None:
    if path is None:
        return None
    try:
        return load_web_config(path)
    except ConfigError as exc:
        raise click.ClickException(_errors_text(path, exc)) from None


def _errors_text(path: Path, exc: ConfigError) -> str:
    count = len(exc.errors)
    if count == 1 and exc.errors[0].startswith(f"{path}: "):
        return exc.errors[0]  # the file as a whole is unreadable: one line
    lines = "\n".join(f"  {line}" for line in exc.errors)
    return f"{path}: {count} error{'s' if count != 1 else ''}:\n{lines}"


def _check(config_file: Path | None, web: WebConfig | None) -> None:
    if config_file is None and web is None:
        raise click.UsageError("--config.check needs --config.file and/or --web.config.file")
    if config_file is not None:
        click.echo(load_or_fail(config_file).summary())
    if web is not None:
        tls = "TLS on" if web.ssl_context is not None else "TLS off"
        click.echo(f"web config: {tls}, {len(web.users)} basic auth user(s)")
    click.echo("configuration OK")
