"""The multi-target configuration file (`--config.file`).

Three sections: `modules` (how to collect), `auths` (credentials, from the file itself,
from files or from the environment) and `targets` (name -> host, module, auth). Loading is
strict: unknown keys, wrong types and dangling references are all reported at once, each
with its path (`targets.home.auth: unknown auth "x"`), and never with a secret's value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_MODULE = "default"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HOST_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$")
_SECRET_FIELDS = ("token", "password")
_CREDENTIAL_FIELDS = ("token", "username", "password", "serial")


class ConfigError(Exception):
    """One or more problems in a configuration file; `errors` lists them all."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Module:
    """What to collect and how gently: the knobs of one gateway's Target."""

    cache_ttl: float = 15.0
    busy_budget: float = 0.05
    timeout: float = 10.0
    verify_tls: bool = False


@dataclass(frozen=True)
class Auth:
    """Resolved credentials; `sources` says where each came from (no values)."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    serial: str | None = None
    enlighten_login_url: str | None = None
    enlighten_token_url: str | None = None
    sources: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Dataclass repr would print the secrets; a traceback or a debug log must not.
        return f"Auth(sources={self.sources!r})"


@dataclass(frozen=True)
class TargetEntry:
    """One configured gateway."""

    name: str
    host: str
    module: str = DEFAULT_MODULE
    auth: str | None = None


@dataclass(frozen=True)
class ExporterConfig:
    """A validated configuration file."""

    modules: dict[str, Module]
    auths: dict[str, Auth]
    targets: dict[str, TargetEntry]
    path: str = ""

    def summary(self) -> str:
        """A human summary for `--config.check`: names, hosts, sources; never secrets."""
        lines = [f"{self.path or 'config'}: {len(self.targets)} target(s)"]
        for entry in self.targets.values():
            auth = self.auths.get(entry.auth) if entry.auth else None
            creds = ", ".join(auth.sources) if auth and auth.sources else "no credentials"
            lines.append(
                f"  {entry.name}: host {entry.host}, module {entry.module}, "
                f"auth {entry.auth or '-'} ({creds})"
            )
        for name, module in self.modules.items():
            lines.append(
                f"  module {name}: cache_ttl {module.cache_ttl:g}s, busy_budget "
                f"{module.busy_budget:g}, timeout {module.timeout:g}s, verify_tls "
                f"{str(module.verify_tls).lower()}"
            )
        return "\n".join(lines)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of keeping the last one."""


def _strict_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen.add(key)
    return dict(loader.construct_pairs(node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)


def load_config(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> ExporterConfig:
    """Read and validate a configuration file; raise ConfigError listing every problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read: {exc.strerror or exc}"]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError([f"{file}: {_yaml_problem(exc)}"]) from None
    config = parse_config(data, base_dir=file.parent, environ=environ)
    return ExporterConfig(config.modules, config.auths, config.targets, str(file))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    # str(exc) quotes the offending line, which may hold a password: keep only the position.
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return "invalid YAML"


def parse_config(
    data: Any, base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> ExporterConfig:
    """Validate already-parsed YAML data; raise ConfigError listing every problem."""
    ctx = _Context(base_dir or Path.cwd(), os.environ if environ is None else environ)
    if not isinstance(data, dict):
        raise ConfigError(["config: expected a mapping with modules, auths and targets"])
    ctx.unknown_keys("", data, ("modules", "auths", "targets"))
    modules = {DEFAULT_MODULE: Module()}
    for name, raw in ctx.section(data, "modules").items():
        modules[name] = ctx.module(f"modules.{name}", raw)
    auths = {
        name: ctx.auth(f"auths.{name}", raw) for name, raw in ctx.section(data, "auths").items()
    }
    targets: dict[str, TargetEntry] = {}
    raw_targets = ctx.section(data, "targets")
    if not raw_targets and "targets" not in ctx.bad_sections:
        ctx.error("targets", "at least one target is required")
    for name, raw in raw_targets.items():
        entry = ctx.target(f"targets.{name}", name, raw, modules, auths)
        if entry is not None:
            targets[name] = entry
    if ctx.errors:
        raise ConfigError(ctx.errors)
    return ExporterConfig(modules, auths, targets)


class _Context:
    """Collects errors while walking the document, so that all are reported together."""

    def __init__(self, base_dir: Path, environ: Mapping[str, str]) -> None:
        self.base_dir = base_dir
        self.environ = environ
        self.errors: list[str] = []
        self.bad_sections: set[str] = set()

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def unknown_keys(self, path: str, raw: dict[Any, Any], allowed: tuple[str, ...]) -> None:
        for key in raw:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.error(where, f"unknown key (expected one of: {', '.join(allowed)})")

    def section(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        raw = data.get(key)
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.bad_sections.add(key)
            self.error(key, "expected a mapping of name -> settings")
            return {}
        result: dict[str, Any] = {}
        for name, value in raw.items():
            if not isinstance(name, str) or not _NAME_RE.match(name):
                self.error(f"{key}.{name}", "invalid name (letters, digits, '_', '.', '-')")
            else:
                result[name] = value
        return result

    def mapping(self, path: str, raw: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.error(path, "expected a mapping")
            return {}
        self.unknown_keys(path, raw, allowed)
        return {k: v for k, v in raw.items() if k in allowed}

    def number(self, path: str, value: Any, low: float, high: float | None) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, f"expected a number, got {type(value).__name__}")
            return None
        if value <= low or (high is not None and value > high):
            bound = f"greater than {low:g}" + (f" and at most {high:g}" if high else "")
            self.error(path, f"must be {bound}, got {value:g}")
            return None
        return float(value)

    def module(self, path: str, raw: Any) -> Module:
        values = self.mapping(path, raw, ("cache_ttl", "busy_budget", "timeout", "verify_tls"))
        kwargs: dict[str, Any] = {}
        limits = {"cache_ttl": (0.0, None), "busy_budget": (0.0, 1.0), "timeout": (0.0, None)}
        for key, (low, high) in limits.items():
            if key in values:
                number = self.number(f"{path}.{key}", values[key], low, high)
                if number is not None:
                    kwargs[key] = number
        if "verify_tls" in values:
            if isinstance(values["verify_tls"], bool):
                kwargs["verify_tls"] = values["verify_tls"]
            else:
                self.error(f"{path}.verify_tls", "expected true or false")
        return Module(**kwargs)

    def text(self, path: str, value: Any, secret: bool = False) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and not secret:
            return str(value)  # a serial number written without quotes
        if not isinstance(value, str) or not value.strip():
            self.error(path, "expected a non-empty string")
            return None
        return value.strip()

    def read_secret_file(self, path: str, value: Any) -> str | None:
        name = self.text(path, value)
        if name is None:
            return None
        file = Path(name).expanduser()
        if not file.is_absolute():
            file = self.base_dir / file
        try:
            content = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            self.error(path, f"cannot read {file}: {reason or exc.__class__.__name__}")
            return None
        if not content:
            self.error(path, f"{file} is empty")
            return None
        return content

    def auth(self, path: str, raw: Any) -> Auth:
        allowed = (
            "token", "token_file", "username", "password", "password_file", "serial", "env",
            "enlighten_login_url", "enlighten_token_url",
        )  # fmt: skip
        values = self.mapping(path, raw, allowed)
        found: dict[str, tuple[str, str]] = {}  # field -> (value, source description)

        def put(field_name: str, value: str | None, source: str) -> None:
            if value is None:
                return
            if field_name in found:
                self.error(path, f"{field_name} given twice ({found[field_name][1]} and {source})")
                return
            found[field_name] = (value, source)

        for key in _CREDENTIAL_FIELDS:
            if key in values:
                put(key, self.text(f"{path}.{key}", values[key], key in _SECRET_FIELDS), key)
        for key in ("token", "password"):
            if f"{key}_file" in values:
                put(key, self.read_secret_file(f"{path}.{key}_file", values[f"{key}_file"]),
                    f"{key}_file {values[f'{key}_file']}")  # fmt: skip
        if "env" in values:
            self.auth_env(f"{path}.env", values["env"], put)
        urls = {}
        for key in ("enlighten_login_url", "enlighten_token_url"):
            if key in values:
                urls[key] = self.url(f"{path}.{key}", values[key])
        if "password" in found and "username" not in found:
            # A password alone logs in nowhere: Enlighten and local digest both need a user.
            self.error(path, "password given without username")
        return Auth(
            **{k: v[0] for k, v in found.items()},
            **urls,
            sources=tuple(f"{k} from {v[1]}" if v[1] != k else k for k, v in found.items()),
        )

    def auth_env(self, path: str, raw: Any, put: Any) -> None:
        values = self.mapping(path, raw, _CREDENTIAL_FIELDS)
        for key, var in values.items():
            var_name = self.text(f"{path}.{key}", var)
            if var_name is None:
                continue
            value = self.environ.get(var_name, "").strip()
            if not value:
                self.error(f"{path}.{key}", f"environment variable {var_name} is not set")
                continue
            put(key, value, f"env {var_name}")

    def url(self, path: str, value: Any) -> str | None:
        text = self.text(path, value)
        if text is not None and not text.startswith(("http://", "https://")):
            self.error(path, "expected an http:// or https:// URL")
            return None
        return text

    def target(
        self,
        path: str,
        name: str,
        raw: Any,
        modules: dict[str, Module],
        auths: dict[str, Auth],
    ) -> TargetEntry | None:
        values = self.mapping(path, raw, ("host", "module", "auth"))
        if not isinstance(raw, dict):
            return None
        host = self.text(f"{path}.host", values["host"]) if "host" in values else None
        if "host" not in values:
            self.error(f"{path}.host", "required")
        elif host is not None and not _HOST_RE.match(host):
            self.error(f"{path}.host", f"expected HOST or HOST:PORT, got {host!r}")
            host = None
        module = self.text(f"{path}.module", values.get("module", DEFAULT_MODULE))
        if module is not None and module not in modules:
            self.error(f"{path}.module", f'unknown module "{module}"')
        auth = self.text(f"{path}.auth", values["auth"]) if "auth" in values else None
        if auth is not None and auth not in auths:
            self.error(f"{path}.auth", f'unknown auth "{auth}"')
        if host is None or module is None:
            return None
        return TargetEntry(name=name, host=host, module=module, auth=auth)
