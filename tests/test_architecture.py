"""The one-way data flow of docs/architecture.md, checked on the imports of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "envoy_exporter"

# package folder -> top-level parts of envoy_exporter it must never import
FORBIDDEN = {
    "envoy": {"simulator", "collector", "catalogue", "outputs", "server", "cli"},
    "simulator": {"envoy", "collector", "catalogue", "outputs", "server", "cli"},
    "collector": {"catalogue", "outputs", "server", "cli", "simulator"},
    "catalogue": {"outputs", "server", "cli", "simulator"},
    "outputs": {"server", "cli", "simulator"},
    "server": {"cli"},
}
#: the one module of a forbidden part a folder may import: the client's pure-data declarations
#: (endpoint paths and kinds), so that the simulator serves the paths the client reads
ALLOWED = {"simulator": {"envoy_exporter.envoy.const"}}
#: the standard library modules that declarations module may import (it must stay pure data)
PURE_DATA = {"__future__", "dataclasses", "enum"}
TRANSPORTS = ("prometheus_client", "opentelemetry", "requests", "urllib3")


def _imports(path: Path) -> set[str]:
    """Absolute dotted names of everything a module imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_no_module_reaches_back_up(folder: str) -> None:
    offences = []
    for path in _modules(folder):
        for name in _imports(path):
            parts = name.split(".")
            if name in ALLOWED.get(folder, ()):
                continue
            if parts[0] == "envoy_exporter" and len(parts) > 1 and parts[1] in FORBIDDEN[folder]:
                offences.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if parts[0] == "pyenphase":
                offences.append(f"{path.relative_to(PACKAGE)} imports the reference library")
    assert not offences, "\n".join(offences)


def test_the_declarations_module_is_pure_data() -> None:
    for allowed in ALLOWED.values():
        for name in allowed:
            path = PACKAGE.parent.joinpath(*name.split(".")).with_suffix(".py")
            assert _imports(path) <= PURE_DATA, f"{name} imports {_imports(path) - PURE_DATA}"


def test_the_simulator_serves_the_declared_paths() -> None:
    # the allowance is used: a route written as a literal again would go unnoticed otherwise
    names = _imports(PACKAGE / "simulator" / "profiles" / "routes.py")
    assert "envoy_exporter.envoy.const" in names


def test_catalogue_knows_no_transport() -> None:
    offences = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _modules("catalogue")
        for name in _imports(path)
        if name.split(".")[0] in TRANSPORTS
    ]
    assert not offences, "\n".join(offences)


def test_the_check_sees_imports() -> None:
    # The scanner must resolve relative imports, or the tests above could never fail.
    names = _imports(PACKAGE / "catalogue" / "system.py")
    assert "envoy_exporter.catalogue.spec" in names
