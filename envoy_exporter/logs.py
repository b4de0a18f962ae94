"""Logging as Prometheus exporters do it: logfmt or JSON on stderr, RFC 3339 times with the
zone, `--log.level` and `--log.format`; and one filter that hides every known secret."""

from __future__ import annotations

import datetime
import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
LOG_LEVELS = ("debug", "info", "warn", "error")
LOG_FORMATS = ("logfmt", "json")
# Python's names for the levels, spelt as Prometheus's exporters spell them.
_LEVEL_NAMES = {"WARNING": "warn", "CRITICAL": "error"}


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


def _fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, str]:
    when = datetime.datetime.fromtimestamp(record.created).astimezone()
    fields = {
        "time": when.isoformat(timespec="milliseconds"),
        "level": _LEVEL_NAMES.get(record.levelname, record.levelname.lower()),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    if record.exc_info:
        fields["exc"] = formatter.formatException(record.exc_info)
    return fields


class LogfmtFormatter(logging.Formatter):
    """`time=... level=info logger=... msg="..."`: one line per event, quoted where needed."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _fields(record, self).items())


def _logfmt_value(value: str) -> str:
    if value and not any(c in value for c in ' ="\\') and value.isprintable():
        return value
    return json.dumps(value, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the same keys as logfmt."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record, self), ensure_ascii=False)


def setup_logging(
    level: str, log_format: str = "logfmt", secrets: Iterable[str | None] = ()
) -> None:
    """One line per event on stderr; tracebacks only at debug level (callers log exc_info there)."""
    REDACTOR.add(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else LogfmtFormatter())
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING if level == "warn" else level.upper())
    if level != "debug":
        # urllib3 reports every retry at WARNING with the full URL and exception chain.
        logging.getLogger("urllib3").setLevel(logging.ERROR)


def log_options(func: F) -> F:
    """--log.level and --log.format, as the Prometheus exporters name them."""
    func = click.option(
        "--log.format", "log_format", type=click.Choice(LOG_FORMATS), default="logfmt",
        show_default=True, envvar="ENVOY_EXPORTER_LOG_FORMAT", help="Log line format.",
    )(func)  # fmt: skip
    return click.option(
        "--log.level", "log_level", type=click.Choice([*LOG_LEVELS, "warning"]), default="info",
        show_default=True, envvar="ENVOY_EXPORTER_LOG_LEVEL", help="Logging threshold.",
    )(func)  # fmt: skip
