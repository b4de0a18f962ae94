"""`envoy-exporter dump`: record every known endpoint of a gateway into a capture folder.

The folder follows the shared captures layout: one file per endpoint, named after its path
(`/ivp/meters/readings` -> `ivp_meters_readings`, a query appended as `_details_1`), and
`<name>_log.json` with the answer's headers and `code`. Endpoints the gateway does not have
(404) get no file. Credentials never reach the folder: Authorization and cookies are not
recorded, and any body that quotes the token or password has it replaced.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import click

from ..envoy.exceptions import EnvoyError
from .options import REDACTOR, envoy_options, log_options, setup_logging, target_from
from .probe import connect

if TYPE_CHECKING:
    import requests

    from ..envoy.envoy import Envoy

_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
REDACTED = b"<redacted>"


def known_endpoints() -> list[str]:
    """Every endpoint the client declares: its own, the updaters', and those only recorded."""
    from ..envoy.updaters import ENDPOINTS

    return list(ENDPOINTS)


def capture_name(endpoint: str) -> str:
    """`/production.json?details=1` -> `production.json_details_1` (the captures' naming)."""
    parts = urlsplit(endpoint)
    name = parts.path.lstrip("/").replace("/", "_")
    if parts.query:
        query = "_".join(f"{k}_{v}" if v else k for k, v in parse_qsl(parts.query, True))
        name = f"{name}_{query}"
    return name


def _scrub(body: bytes, secrets: list[str]) -> bytes:
    for secret in secrets:
        body = body.replace(secret.encode(), REDACTED)
    return body


def record(out: Path, endpoint: str, response: requests.Response, secrets: list[str]) -> bool:
    """Write one answer; False (nothing written) when the gateway has no such endpoint."""
    if response.status_code == 404:
        return False
    name = capture_name(endpoint)
    headers = {
        k.lower(): _scrub(v.encode(), secrets).decode()
        for k, v in response.headers.items()
        if k.lower() not in _SECRET_HEADERS
    }
    (out / name).write_bytes(_scrub(response.content, secrets))
    log = {"headers": headers, "code": response.status_code}
    (out / f"{name}_log.json").write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    return True


def _gateway_secrets(envoy: Envoy, given: list[str]) -> list[str]:
    token = getattr(envoy.auth, "token", None) if envoy.auth is not None else None
    return [s for s in [*given, token] if isinstance(s, str) and len(s) >= 4]


@click.command()
@envoy_options
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (created if missing).",
)
@log_options
def dump(out: Path, log_level: str, log_format: str, **params: Any) -> None:
    """Record every known endpoint of a gateway into a capture folder (for bug reports)."""
    setup_logging(log_level, log_format)
    creds = target_from(params)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"cannot create {out}: {exc.strerror or exc}") from None
    envoy = connect(creds)
    secrets = _gateway_secrets(envoy, creds.secrets)
    REDACTOR.add(secrets)
    written: list[str] = []
    missing: list[str] = []
    failed: list[str] = []
    try:
        endpoints = known_endpoints()
        with click.progressbar(
            endpoints, label="Recording", item_show_func=lambda e: e or "", file=sys.stderr
        ) as bar:
            for endpoint in bar:
                try:
                    response = envoy.request(endpoint)
                except EnvoyError as exc:
                    status = getattr(exc, "status_code", None)
                    (missing if status == 404 else failed).append(f"{endpoint} ({exc})")
                    continue
                if record(out, endpoint, response, secrets):
                    written.append(endpoint)
                else:
                    missing.append(endpoint)
    finally:
        envoy.close()
    click.echo(f"recorded {len(written)} endpoints into {out}")
    if missing:
        click.echo(f"not on this gateway ({len(missing)}): {', '.join(missing)}")
    if failed:
        click.echo(f"failed ({len(failed)}): {'; '.join(failed)}", err=True)
