"""`envoy-exporter simulate --profile NAME` serves a gateway our client reads end to end."""

from __future__ import annotations

import subprocess
import sys

import pytest

from envoy_exporter.envoy import Envoy, SupportedFeatures
from envoy_exporter.simulator.profiles import PROFILE_NAMES

# What each profile must show to the client once read.
EXPECTED_FEATURES = {
    "legacy": SupportedFeatures.PRODUCTION | SupportedFeatures.INVERTERS,
    "metered-3phase": SupportedFeatures.PRODUCTION
    | SupportedFeatures.INVERTERS
    | SupportedFeatures.CTMETERS
    | SupportedFeatures.NET_CONSUMPTION
    | SupportedFeatures.THREEPHASE
    | SupportedFeatures.INVERTER_STATUS,
    "battery": SupportedFeatures.PRODUCTION
    | SupportedFeatures.INVERTERS
    | SupportedFeatures.INVERTER_STATUS
    | SupportedFeatures.CTMETERS
    | SupportedFeatures.ENCHARGE
    | SupportedFeatures.ENPOWER
    | SupportedFeatures.TARIFF,
    "large": SupportedFeatures.PRODUCTION
    | SupportedFeatures.INVERTERS
    | SupportedFeatures.CTMETERS
    | SupportedFeatures.ENCHARGE
    | SupportedFeatures.THREEPHASE,
}


def _start(profile: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    command = [sys.executable, "-m", "envoy_exporter.cli", "simulate"]
    command += ["--profile", profile, "--listen", "127.0.0.1:0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    printed: dict[str, str] = {}
    while "token" not in printed and "digest user envoy" not in printed:
        line = proc.stdout.readline()
        assert line, f"simulate --profile {profile} exited before printing its credentials"
        key, _, value = line.strip().partition(": ")
        if key == "digest user":
            user, _, password = value.partition(" / ")
            key, value = f"digest user {user}", password
        printed[key] = value
    return proc, printed


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_simulated_profile_is_read_end_to_end(profile: str) -> None:
    proc, printed = _start(profile)
    try:
        envoy = Envoy(printed["host"])
        envoy.setup()
        if "token" in printed:
            envoy.authenticate(token=printed["token"])
        else:
            envoy.authenticate(username="envoy", password=printed["digest user envoy"])
        data = envoy.update()
        envoy.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert envoy.serial_number == printed["serial"]
    assert EXPECTED_FEATURES[profile] in envoy.supported_features
    assert data.system_production is not None
    assert data.system_production.watt_hours_lifetime > 0
    assert data.inverters
