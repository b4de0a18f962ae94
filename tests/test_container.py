"""The container: pinned build, no build tools in the image, and a demo that needs no /tmp.

No container engine runs here: the Dockerfile is read as text, the pins are checked against
the installed dependency closure, and the demo runs with a temporary folder it cannot use.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import requests
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
CONSTRAINTS = ROOT / "constraints.txt"


def _pins() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def _runtime_closure() -> set[str]:
    """Every distribution `pip install envoy-exporter` brings in (no extras)."""
    seen: set[str] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [("envoy-exporter", ())]
    while todo:
        name, extras = todo.pop()
        for raw in metadata.distribution(name).requires or []:
            req = Requirement(raw)
            wanted = (*extras, "")
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in wanted):
                continue
            if canonicalize_name(req.name) not in seen:
                seen.add(canonicalize_name(req.name))
                todo.append((req.name, tuple(req.extras)))
    return seen


def test_constraints_pin_every_runtime_package_within_pyproject_bounds() -> None:
    pins = _pins()
    missing = _runtime_closure() - set(pins)
    assert not missing, f"constraints.txt does not pin {sorted(missing)}"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]
    for raw in wanted:
        req = Requirement(raw)
        pin = pins[canonicalize_name(req.name)]
        assert req.specifier.contains(pin, prereleases=True), f"{req.name}=={pin} is not {req}"


def test_dockerfile_builds_from_the_pins_and_leaves_build_tools_out() -> None:
    _, build, runtime = DOCKERFILE.split("\nFROM ")
    assert "PIP_CONSTRAINT=/src/constraints.txt" in build
    assert re.search(r"COPY [^\n]*constraints\.txt", build)
    assert re.search(r"pip uninstall -y [^\n]*setuptools[^\n]* pip", build)
    assert re.search(r"pip uninstall -y [^\n]*setuptools", runtime)
    assert "--format docker" in DOCKERFILE
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--format docker" in readme and "HEALTHCHECK" in readme


def test_demo_starts_without_a_writable_temporary_folder() -> None:
    """A read-only root with no /tmp: the simulator's certificate never touches a file."""
    # /proc takes no new files, not even from root: every temporary file fails there.
    entry = (
        "import tempfile; tempfile.tempdir = '/proc'; from envoy_exporter.cli import main; main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", entry, "demo", "--web.listen-address", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": "/proc"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on " in line, proc.communicate(timeout=30)[1]
        url = line.split("listening on ", 1)[1].strip()
        metrics = requests.get(url + "metrics", timeout=60)
        assert metrics.status_code == 200 and "enphase_up" in metrics.text
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_without_memfd_a_missing_temporary_folder_is_one_line_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fallback where memfd is missing: the error says what to give, no traceback text."""
    import ssl
    import tempfile

    from envoy_exporter.simulator.certs import load_through_folder, self_signed_pem

    monkeypatch.setattr(tempfile, "tempdir", "/proc")  # takes no new files, even from root
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with pytest.raises(OSError) as err:
        load_through_folder(context, *self_signed_pem("127.0.0.1"))
    message = str(err.value)
    assert "TMPDIR" in message and "/proc" in message and "\n" not in message
