"""The alert and recording rules: promtool checks them and runs their unit tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "alerts" / "envoy.rules.yml"
RULE_TESTS = sorted((ROOT / "alerts" / "tests").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "runbook.md"

# Alerts on a one-off event (a counter stepping back) have nothing to flap on.
EVENT_ALERTS = {"EnvoyLifetimeCounterWentBackwards"}
# Alerts about the exporter itself: no gateway to name.
EXPORTER_ALERTS = {"EnvoyExporterDown", "EnvoyExporterAbsent"}
# The gateway's address and serial, looked up in enphase_info by the alert's job and instance.
IDENTITY = (
    '{{ $labels.instance }}{{ with printf "enphase_info{job=%q,instance=%q}" $labels.job '
    "$labels.instance | query }}{{ with first . }} ({{ .Labels.host }}, serial "
    "{{ .Labels.serial }}){{ end }}{{ end }}"
)
# What a homeowner should not read: metric names, label jargon, the exporter's inner words,
# a bare value, and durations (they drift from `for:`; Alertmanager says since when).
JARGON = re.compile(
    r"enphase_|\(value|\bjob\b|\bpart\b|refresh interval"
    r"|\b\d+ ?(?:s|m|h|d|seconds?|minutes?|hours?|days?)\b",
    re.IGNORECASE,
)
SEVERITIES = {"critical", "warning", "info"}
RECORD_NAME = re.compile(r"^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$")
ALERT_NAME = re.compile(r"^[A-Z][a-z]+(?:[A-Z][A-Za-z0-9]*)+$")

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not found on PATH: install the Debian package 'prometheus' "
    "(scripts/test does this) to check and unit-test the rules",
)


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=120, check=False
    )


@needs_promtool
@pytest.mark.prometheus
def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


@needs_promtool
@pytest.mark.prometheus
@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests(test_file: Path) -> None:
    result = _promtool("test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rule_tests_exist() -> None:
    assert RULE_TESTS, "alerts/tests/*.yml is empty"
    for path in RULE_TESTS:
        doc = yaml.safe_load(path.read_text())
        assert doc["rule_files"] == ["../envoy.rules.yml"], path.name


def _alert_cases() -> dict[str, list[bool]]:
    """For each alert name, whether each of its test cases expects it to fire."""
    cases: dict[str, list[bool]] = {}
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                cases.setdefault(case["alertname"], []).append(bool(case["exp_alerts"]))
    return cases


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    cases = _alert_cases()
    for alert in _alerts():
        name = alert["alert"]
        assert True in cases.get(name, []), f"{name}: no promtool case where it fires"
        assert False in cases.get(name, []), f"{name}: no promtool case where it stays quiet"
    unknown = set(cases) - {alert["alert"] for alert in _alerts()}
    assert not unknown, f"promtool tests name alerts that do not exist: {unknown}"


def test_every_recording_rule_is_tested() -> None:
    tested = set()
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            tested.update(case["expr"] for case in test.get("promql_expr_test", []))
    for rule in _rules():
        if "record" in rule:
            assert rule["record"] in tested, f"{rule['record']}: no promql_expr_test"


def test_alert_conventions() -> None:
    alerts = _alerts()
    assert len(alerts) >= 12
    for alert in alerts:
        name = alert["alert"]
        assert ALERT_NAME.match(name), f"{name}: alert names are CamelCase"
        assert alert["labels"]["severity"] in SEVERITIES, name
        annotations = alert["annotations"]
        assert annotations["summary"].strip() and annotations["description"].strip(), name
        if name != "EnvoyExporterAbsent":  # no series, no labels: nothing to name
            assert "$value" in annotations["description"] or "$labels" in annotations["summary"], (
                f"{name}: the annotations should say which gateway and what value"
            )
        if name not in EVENT_ALERTS:
            assert "for" in alert, f"{name}: needs a for: clause against flapping"


def test_recording_rule_names() -> None:
    records = [rule["record"] for rule in _rules() if "record" in rule]
    assert "instance:enphase_production_energy_joules:increase1d" in records
    for name in records:
        assert RECORD_NAME.match(name), f"{name}: recording rules are level:metric:operations"


def test_rules_keep_job_and_instance() -> None:
    # An aggregation that drops job/instance would merge every gateway of a fleet.
    for rule in _rules():
        for match in re.finditer(r"\bby \(([^)]*)\)", rule["expr"]):
            labels = {label.strip() for label in match.group(1).split(",")}
            assert {"job", "instance"} <= labels, f"{rule.get('alert') or rule['record']}"


def test_every_alert_links_its_runbook_section() -> None:
    runbook = RUNBOOK.read_text()
    headings = set(re.findall(r"^## (\w+)$", runbook, re.MULTILINE))
    for alert in _alerts():
        name = alert["alert"]
        assert alert["annotations"].get("runbook_url") == f"docs/runbook.md#{name.lower()}", name
        assert name in headings, f"{name}: no section in docs/runbook.md"
    assert headings == {alert["alert"] for alert in _alerts()}, "runbook sections without alert"
    for section in re.split(r"^## ", runbook, flags=re.MULTILINE)[1:]:
        name = section.split(chr(10), 1)[0]
        for part in ("What it means", "What to check", "How to fix"):
            assert f"**{part}.**" in section, f"{name}: the runbook section lacks {part!r}"


def test_alert_texts_speak_to_the_homeowner() -> None:
    for alert in _alerts():
        name = alert["alert"]
        for key in ("summary", "description"):
            text = alert["annotations"][key]
            found = JARGON.search(re.sub(r"\{\{.*?\}\}", "", text))
            assert found is None, f"{name} {key}: {found.group(0)!r} in {text!r}"
            assert "{{ $value }}" not in text, f"{name} {key}: a bare value, without its unit"


def test_gateway_alerts_name_the_gateway() -> None:
    for alert in _alerts():
        name = alert["alert"]
        if name not in EXPORTER_ALERTS:
            assert IDENTITY in alert["annotations"]["summary"], f"{name}: summary lacks identity"
