"""deploy/alertmanager/: amtool accepts the configuration, routes each severity of the rules to
its receiver, and the inhibit rules name alerts that exist. tests/test_alerts_e2e.py runs it
in a real Alertmanager."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
RULES = ROOT / "alerts" / "envoy.rules.yml"
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None,
    reason="amtool not found on PATH: install the Debian package 'prometheus-alertmanager' "
    "(scripts/test does this) to check the Alertmanager configuration",
)


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert AMTOOL is not None
    return subprocess.run([AMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def _alerts() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text())
    return {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}


@needs_amtool
def test_amtool_check_config() -> None:
    result = _amtool("check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_amtool
@pytest.mark.parametrize("severity", ["critical", "warning", "info"])
def test_each_severity_has_its_receiver(severity: str) -> None:
    result = _amtool(
        "config", "routes", "test", f"--config.file={CONFIG}",
        "alertname=EnvoyGatewayDown", "job=envoy", "instance=home", f"severity={severity}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == severity


def test_every_severity_of_the_rules_is_routed() -> None:
    routed = {
        match
        for route in yaml.safe_load(CONFIG.read_text())["route"]["routes"]
        for match in re.findall(r'severity="(\w+)"', " ".join(route["matchers"]))
    }
    assert {alert["labels"]["severity"] for alert in _alerts().values()} <= routed


def test_inhibit_rules_name_existing_alerts() -> None:
    names = set(_alerts())
    rules = yaml.safe_load(CONFIG.read_text())["inhibit_rules"]
    assert rules
    for rule in rules:
        for matcher in (*rule["source_matchers"], *rule["target_matchers"]):
            match = re.fullmatch(r'alertname=~?"([\w|]+)"', matcher)
            assert match, matcher
            unknown = set(match.group(1).split("|")) - names
            assert not unknown, f"{matcher}: no such alert in {RULES.name}"
        # The rules keep job and instance on every alert (tests/test_rules.py): nothing else
        # is sure to be on both sides.
        assert set(rule.get("equal", [])) <= {"job", "instance"}, rule


def test_the_prometheus_examples_send_their_alerts_to_alertmanager() -> None:
    for path in sorted((ROOT / "deploy" / "prometheus").glob("*.yml")):
        config = yaml.safe_load(path.read_text())
        if "scrape_configs" in config:
            managers = config["alerting"]["alertmanagers"]
            assert managers[0]["static_configs"][0]["targets"], path.name
