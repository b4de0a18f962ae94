"""`envoy-exporter probe`: what a gateway is and what it can report."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import click

from ..envoy.const import URL_PRODUCTION_INVERTERS
from ..envoy.exceptions import EnvoyError
from .options import REDACTOR, envoy_options, log_options, setup_logging, target_from

if TYPE_CHECKING:
    from ..collector.config import TargetConfig
    from ..envoy.envoy import Envoy


def connect(creds: TargetConfig) -> Envoy:
    """An Envoy that went through setup() and authenticate(); errors name what failed."""
    from ..envoy.envoy import Envoy

    kwargs: dict[str, Any] = {}
    if creds.enlighten_login_url:
        kwargs["enlighten_login_url"] = creds.enlighten_login_url
    if creds.enlighten_token_url:
        kwargs["enlighten_token_url"] = creds.enlighten_token_url
    envoy = Envoy(creds.host or "", timeout=creds.timeout, verify_ssl=creds.verify_tls, **kwargs)
    try:
        envoy.setup()
        envoy.authenticate(
            username=creds.username, password=creds.password, token=creds.current_token()
        )
    except EnvoyError as exc:
        envoy.close()
        raise click.ClickException(f"{creds.host}: {exc}") from None
    token = getattr(envoy.auth, "token", None) if envoy.auth is not None else None
    REDACTOR.add([token if isinstance(token, str) else None])
    return envoy


def describe(envoy: Envoy) -> dict[str, Any]:
    """The probe's findings as plain data (no credentials)."""
    features = [f.name for f in type(envoy.supported_features) if f in envoy.supported_features]
    facts: dict[str, Any] = {
        "host": envoy.host,
        "serial": envoy.serial_number,
        "firmware": str(envoy.firmware),
        "part_number": envoy.part_number,
        "model": envoy.envoy_model,
        "metered": envoy.is_metered,
        "phase_count": envoy.phase_count,
        "active_phase_count": envoy.active_phase_count,
        "phase_mode": _plain(envoy.phase_mode),
        "ct_meter_count": envoy.ct_meter_count,
        "production_meter": _plain(envoy.production_meter_type),
        "consumption_meter": _plain(envoy.consumption_meter_type),
        "storage_meter": _plain(envoy.storage_meter_type),
        "acb_count": envoy.acb_count,
        "supported_features": features,
        "updaters": [
            {"name": updater.name, "endpoints": list(updater.endpoints)}
            for updater in envoy.updaters
        ],
    }
    auth = envoy.auth
    expiry = getattr(auth, "expire_timestamp", None) if auth is not None else None
    if expiry is not None:
        facts["token_type"] = getattr(auth, "token_type", None)
        facts["token_expires"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))
    return facts


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _text(facts: dict[str, Any]) -> str:
    lines = []
    for key, value in facts.items():
        if key == "updaters":
            lines.append("updaters:")
            lines.extend(f"  {u['name']}: {', '.join(u['endpoints'])}" for u in value)
        elif isinstance(value, list):
            lines.append(f"{key}: {', '.join(value) or 'none'}")
        else:
            lines.append(f"{key}: {'-' if value is None else value}")
    return "\n".join(lines)


@click.command()
@envoy_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@log_options
def probe(as_json: bool, log_level: str, log_format: str, **params: Any) -> None:
    """Show what a gateway is (serial, firmware, model) and what it can report."""
    setup_logging(log_level, log_format)
    creds = target_from(params)
    envoy = connect(creds)
    refused: set[str] = set()
    envoy.add_request_listener(
        lambda r: refused.add(r.endpoint) if r.status_code in (401, 403) else None
    )
    try:
        envoy.probe()
        facts = describe(envoy)
    except EnvoyError as exc:
        raise click.ClickException(f"{creds.host}: probe failed: {exc}") from None
    finally:
        envoy.close()
    read = {e for u in envoy.updaters for e in u.endpoints}
    if URL_PRODUCTION_INVERTERS in refused - read:
        # Every account may read the inverters (an owner token, the `envoy` user): a refusal
        # there is the credentials' (firmware < 7 serves production without a login).
        check = "--username and --password" if creds.password else "the token"
        raise click.ClickException(
            f"{creds.host}: the gateway refused the credentials "
            f"(for {URL_PRODUCTION_INVERTERS}): check {check}"
        )
    click.echo(json.dumps(facts, indent=2) if as_json else _text(facts))
