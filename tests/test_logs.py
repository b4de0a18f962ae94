"""--log.format logfmt|json and --log.level, as Prometheus exporters have them."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SimulatorFactory

SECRET = "eyJ-not-a-real-token-but-secret"


def serve_check(tmp_path: Path, *log_args: str) -> list[str]:
    """Log lines of a `serve` that fails at once on a missing config file's token file."""
    config = tmp_path / "c.yml"
    config.write_text("targets: {t: {host: h}}\n")
    command = [sys.executable, "-m", "envoy_exporter.cli", "probe", "--envoy", "127.0.0.1:9"]
    result = subprocess.run(
        [*command, "--timeout", "0.5", "--token", SECRET, "--log.level", "debug", *log_args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert SECRET not in result.stderr
    return [line for line in result.stderr.splitlines() if not line.startswith("Error:")]


def rfc3339(text: str) -> datetime.datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}([+-]\d\d:\d\d|Z)", text), text
    when = datetime.datetime.fromisoformat(text)
    assert when.tzinfo is not None
    return when


def test_logfmt_is_the_default_with_rfc3339_times(tmp_path: Path) -> None:
    lines = serve_check(tmp_path)
    assert lines, "no log line at debug level"
    for line in lines:
        match = re.match(
            r'time=(\S+) level=(debug|info|warn|error) logger=(\S+) msg=("[^"]*"|\S+)', line
        )
        assert match, line
        rfc3339(match.group(1))


def test_json_lines_carry_the_same_keys(tmp_path: Path) -> None:
    lines = serve_check(tmp_path, "--log.format", "json")
    assert lines
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "msg"} <= set(record)
        rfc3339(record["time"])


@pytest.mark.parametrize("level", ["warn", "error"])
def test_the_level_hides_what_is_below_it(tmp_path: Path, level: str) -> None:
    command = [sys.executable, "-m", "envoy_exporter.cli", "probe", "--envoy", "127.0.0.1:9"]
    result = subprocess.run(
        [*command, "--timeout", "0.5", "--log.level", level, "--log.format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    levels = {json.loads(x)["level"] for x in result.stderr.splitlines() if x.startswith("{")}
    assert levels <= {"warn", "error"} if level == "warn" else levels <= {"error"}


def test_serve_logs_as_asked(simulator: SimulatorFactory, tmp_path: Path) -> None:
    sim = simulator("metered-3phase")
    proc = subprocess.Popen(
        [sys.executable, "-m", "envoy_exporter.cli", "serve", "--envoy", sim.host,
         "--token", sim.token, "--web.listen-address", "127.0.0.1:0", "--log.format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        record = json.loads(proc.stderr.readline())
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    assert record["level"] == "info" and record["msg"].startswith("listening on http://")
    rfc3339(record["time"])
