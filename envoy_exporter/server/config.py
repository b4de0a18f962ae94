"""The multi-target configuration file (`--config.file`).

Three sections: `modules` (how to collect), `auths` (credentials, from the file itself,
from files or from the environment) and `targets` (name -> host, module, auth). Each target
becomes one TargetConfig, the model the command line builds too, and every value is checked
by that model's table (collector/config.py). Loading is strict: unknown keys, wrong types and
dangling references are all reported at once, each with its path
(`targets.home.auth: unknown auth "x"`), and never with a secret's value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from ..collector.config import (
    CREDENTIAL_SETTINGS,
    MODULE_SETTINGS,
    ConfigError,
    TargetConfig,
    check_settings,
    read_secret_file,
)

__all__ = ["ConfigError", "ExporterConfig", "load_config", "parse_config", "read_yaml"]

DEFAULT_MODULE = "default"
#: deeper than any sane configuration, far below what would exhaust Python's stack
MAX_DEPTH = 50
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_AUTH_KEYS = (*CREDENTIAL_SETTINGS, "token_file", "password_file", "env",
              "enlighten_login_url", "enlighten_token_url")  # fmt: skip


@dataclass(frozen=True)
class Use:
    """Which module and auth a target uses, and where its credentials came from (no values)."""

    module: str
    auth: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ExporterConfig:
    """A validated configuration file: one TargetConfig per target."""

    targets: dict[str, TargetConfig]
    uses: dict[str, Use]
    modules: dict[str, dict[str, Any]]
    path: str = ""

    def summary(self) -> str:
        """A human summary for `--config.check`: names, hosts, sources; never secrets."""
        lines = [f"{self.path or 'config'}: {len(self.targets)} target(s)"]
        for name, target in self.targets.items():
            use = self.uses[name]
            creds = ", ".join(use.sources) or "no credentials"
            lines.append(
                f"  {name}: host {target.host}, module {use.module}, "
                f"auth {use.auth or '-'} ({creds})"
            )
        defaults = {f.name: f.default for f in fields(TargetConfig)}
        for name, values in self.modules.items():
            settings = {key: values.get(key, defaults[key]) for key in MODULE_SETTINGS}
            lines.append(
                f"  module {name}: cache_ttl {settings['cache_ttl']:g}s, busy_budget "
                f"{settings['busy_budget']:g}, timeout {settings['timeout']:g}s, verify_tls "
                f"{str(settings['verify_tls']).lower()}"
            )
        return "\n".join(lines)

    @property
    def secrets(self) -> list[str]:
        return [s for target in self.targets.values() for s in target.secrets]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and nesting deeper than MAX_DEPTH."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # The composer recurses once per level: a deep document would end in a RecursionError.
        if self._depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-untyped-call]
        finally:
            self._depth -= 1


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


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """A YAML file's data; ConfigError in one line naming the file and the problem."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{file}: not UTF-8 text (line {line})"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError([f"{file}: {_yaml_problem(exc)}"]) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    # str(exc) quotes the offending line, which may hold a password: keep only the position.
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return "invalid YAML"


def load_config(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> ExporterConfig:
    """Read and validate a configuration file; raise ConfigError listing every problem."""
    file = Path(path)
    config = parse_config(read_yaml(file), base_dir=file.parent, environ=environ)
    return ExporterConfig(config.targets, config.uses, config.modules, str(file))


def parse_config(
    data: Any, base_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> ExporterConfig:
    """Validate already-parsed YAML data; raise ConfigError listing every problem."""
    ctx = _Context(base_dir or Path.cwd(), os.environ if environ is None else environ)
    if not isinstance(data, dict):
        raise ConfigError(["config: expected a mapping with modules, auths and targets"])
    ctx.unknown_keys("", data, ("modules", "auths", "targets", "state_dir"))
    shared = ctx.check({"state_dir": data.get("state_dir")}, lambda key: key)
    if "state_dir" in shared:
        shared["state_dir"] = ctx.base_dir / shared["state_dir"]
    modules: dict[str, dict[str, Any]] = {DEFAULT_MODULE: {}}
    for name, raw in ctx.section(data, "modules").items():
        modules[name] = ctx.module(f"modules.{name}", raw)
    auths = {
        name: ctx.auth(f"auths.{name}", raw) for name, raw in ctx.section(data, "auths").items()
    }
    targets: dict[str, TargetConfig] = {}
    uses: dict[str, Use] = {}
    raw_targets = ctx.section(data, "targets")
    if not raw_targets and "targets" not in ctx.bad_sections:
        ctx.error("targets", "at least one target is required")
    for name, raw in raw_targets.items():
        found = ctx.target(f"targets.{name}", name, raw, modules, auths, shared)
        if found is not None:
            targets[name], uses[name] = found
    if ctx.errors:
        raise ConfigError(ctx.errors)
    return ExporterConfig(targets, uses, modules)


#: an auth section's checked values and where each came from (kept only while parsing)
_Auth = tuple[dict[str, Any], tuple[str, ...]]


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

    def check(self, values: dict[str, Any], path: Callable[[str], str]) -> dict[str, Any]:
        checked, errors = check_settings(values, path)
        self.errors.extend(errors)
        return checked

    def module(self, path: str, raw: Any) -> dict[str, Any]:
        values = self.mapping(path, raw, MODULE_SETTINGS)
        return self.check(values, lambda key: f"{path}.{key}")

    def auth(self, path: str, raw: Any) -> _Auth:
        values = self.mapping(path, raw, _AUTH_KEYS)
        found: dict[str, tuple[Any, str, str]] = {}  # setting -> (value, source, path)

        def put(key: str, value: Any, source: str, where: str) -> None:
            if key in found:
                self.error(path, f"{key} given twice ({found[key][1]} and {source})")
            else:
                found[key] = (value, source, where)

        for key in (*CREDENTIAL_SETTINGS, "enlighten_login_url", "enlighten_token_url"):
            if key in values:
                put(key, values[key], key, f"{path}.{key}")
        for key in ("token", "password"):
            if f"{key}_file" in values:
                where = f"{path}.{key}_file"
                content = self.secret_file(where, values[f"{key}_file"])
                if content is not None:
                    put(key, content[0], f"{key}_file {values[f'{key}_file']}", where)
                    if key == "token":
                        found["token_file"] = (content[1], "", where)
        if "env" in values:
            self.auth_env(f"{path}.env", values["env"], put)
        checked = self.check({k: v[0] for k, v in found.items()}, lambda k: found[k][2])
        sources = tuple(
            f"{k} from {v[1]}" if v[1] != k else k
            for k, v in found.items()
            if k in checked and v[1]
        )
        return checked, sources

    def secret_file(self, path: str, value: Any) -> tuple[str, Path] | None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, "expected a non-empty string")
            return None
        file = Path(value.strip()).expanduser()
        if not file.is_absolute():
            file = self.base_dir / file
        try:
            return read_secret_file(file), file
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    def auth_env(self, path: str, raw: Any, put: Callable[[str, Any, str, str], None]) -> None:
        values = self.mapping(path, raw, CREDENTIAL_SETTINGS)
        for key, var in values.items():
            if not isinstance(var, str) or not var.strip():
                self.error(f"{path}.{key}", "expected a non-empty string")
                continue
            value = self.environ.get(var.strip(), "").strip()
            if not value:
                self.error(f"{path}.{key}", f"environment variable {var.strip()} is not set")
                continue
            put(key, value, f"env {var.strip()}", f"{path}.{key}")

    def target(
        self,
        path: str,
        name: str,
        raw: Any,
        modules: dict[str, dict[str, Any]],
        auths: dict[str, _Auth],
        shared: dict[str, Any],
    ) -> tuple[TargetConfig, Use] | None:
        values = self.mapping(path, raw, ("host", "module", "auth"))
        if not isinstance(raw, dict):
            return None
        if "host" not in values:
            self.error(f"{path}.host", "required")
        host = self.check({"host": values.get("host")}, lambda key: f"{path}.{key}").get("host")
        module = self.reference(f"{path}.module", values.get("module", DEFAULT_MODULE), modules)
        auth = self.reference(f"{path}.auth", values.get("auth"), auths)
        if host is None or module is None or (auth is None and "auth" in values):
            return None
        credentials, sources = auths[auth] if auth is not None else ({}, ())
        try:
            target = TargetConfig(name=name, host=host, **modules[module], **credentials, **shared)
        except ConfigError as exc:  # not expected: every value was checked above
            self.errors.extend(f"{path}: {error}" for error in exc.errors)
            return None
        return target, Use(module, auth, sources)

    def reference(self, path: str, name: Any, known: Mapping[str, Any]) -> str | None:
        """`name` when it names a known module or auth; None (and an error if given) if not."""
        if name is None:
            return None
        if not isinstance(name, str) or name not in known:
            kind = path.rsplit(".", 1)[-1]
            self.error(path, f'unknown {kind} "{name}"')
            return None
        return name
