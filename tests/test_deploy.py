"""deploy/: every YAML file parses, manifests carry what Kubernetes needs, scrape configs pass
`promtool check config`, the exporter config examples pass the exporter's own validation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROMETHEUS_CONFIGS = sorted((DEPLOY / "prometheus").glob("*.yml"))
SCRAPE_CONFIGS = [p for p in PROMETHEUS_CONFIGS if p.name != "envoy.rules.yml"]
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
SYSTEMD_UNIT = DEPLOY / "systemd" / "envoy-exporter.service"
EXPORTER_PORT = 9433
# The environment variables the example exporter configurations read credentials from.
EXAMPLE_ENV = (
    "ENVOY_TOKEN_HOME", "ENLIGHTEN_USERNAME", "ENLIGHTEN_PASSWORD", "ENVOY_PASSWORD_BARN",
    "ENVOY_TOKEN_SITE_A", "ENVOY_TOKEN_SITE_B",
)  # fmt: skip

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not found on PATH: install the Debian package 'prometheus' "
    "(scripts/test does this) to check the scrape configurations",
)

# kind -> paths (dotted) that must be present
REQUIRED: dict[str, tuple[str, ...]] = {
    "Secret": ("metadata.name", "metadata.namespace"),
    "ConfigMap": ("metadata.name", "data"),
    "Deployment": ("spec.selector.matchLabels", "spec.template.spec.containers"),
    "StatefulSet": (
        "spec.selector.matchLabels",
        "spec.serviceName",
        "spec.template.spec.containers",
    ),
    "Service": ("spec.selector", "spec.ports"),
    "ServiceMonitor": ("spec.selector.matchLabels", "spec.endpoints"),
}
API_VERSIONS = {
    "Secret": "v1",
    "ConfigMap": "v1",
    "Service": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
}


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path, doc))
    return docs


def _get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for key in dotted.split("."):
        assert isinstance(value, dict) and key in value, f"missing {dotted}"
        value = value[key]
    return value


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in _documents() if doc["kind"] == kind]


def test_every_yaml_file_parses() -> None:
    files = [*DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml")]
    assert len(files) >= 6
    for path in files:
        docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
        assert docs, f"{path} is empty"


def test_manifests_kinds_and_required_fields() -> None:
    kinds = {doc["kind"] for _, doc in _documents()}
    assert {"Deployment", "Service", "ServiceMonitor", "Secret", "StatefulSet"} <= kinds
    for path, doc in _documents():
        kind = doc["kind"]
        assert kind in REQUIRED, f"{path.name}: unexpected kind {kind}"
        assert doc["apiVersion"] == API_VERSIONS[kind], f"{path.name}: {kind} apiVersion"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"])
        for field in REQUIRED[kind]:
            assert _get(doc, field), f"{path.name}: {kind} {field} is empty"


def test_selectors_match_pod_labels_and_ports() -> None:
    for path, doc in _documents():
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        pod_labels = doc["spec"]["template"]["metadata"]["labels"]
        selector = doc["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items(), path.name
        container = doc["spec"]["template"]["spec"]["containers"][0]
        assert container["args"][0] == "serve"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"metrics": EXPORTER_PORT}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["port"] == "metrics"
        services = [d for p, d in _documents() if p == path and d["kind"] == "Service"]
        assert services, f"{path.name}: no Service for the pods"
        for service in services:
            assert service["spec"]["selector"].items() <= pod_labels.items()
            assert service["spec"]["ports"][0]["targetPort"] == "metrics"
        monitors = [d for p, d in _documents() if p == path and d["kind"] == "ServiceMonitor"]
        assert monitors, f"{path.name}: no ServiceMonitor"
        service_labels = services[0]["metadata"]["labels"]
        for monitor in monitors:
            assert monitor["spec"]["selector"]["matchLabels"].items() <= service_labels.items()
            assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


def test_secrets_are_mounted_or_referenced() -> None:
    secrets = {doc["metadata"]["name"] for doc in _by_kind("Secret")}
    used: set[str] = set()
    for path, doc in _documents():
        text = yaml.safe_dump(doc)
        used.update(name for name in secrets if f"secretName: {name}" in text)
        used.update(name for name in secrets if f"name: {name}" in text and doc["kind"] != "Secret")
        if path.name == "fleet-scrape-config.yaml":
            used.add(doc["metadata"]["name"])  # referenced by the Prometheus resource
    assert secrets <= used, f"Secrets nobody uses: {secrets - used}"


def test_fleet_replicas_match_hashmod_modulus() -> None:
    (statefulset,) = _by_kind("StatefulSet")
    replicas = statefulset["spec"]["replicas"]
    assert replicas > 1
    for job in [*_fleet_jobs(), *_jobs(DEPLOY / "prometheus" / "fleet-sharded.yml")]:
        hashmods = [r for r in job["relabel_configs"] if r.get("action") == "hashmod"]
        assert [r["modulus"] for r in hashmods] == [replicas]
        assert job["metrics_path"] == "/probe"
        targets = [r for r in job["relabel_configs"] if r.get("target_label") == "__param_target"]
        assert targets and targets[0]["source_labels"] == ["__address__"]
        address = [r for r in job["relabel_configs"] if r.get("target_label") == "__address__"]
        name = statefulset["metadata"]["name"]
        service = statefulset["spec"]["serviceName"]
        assert address[-1]["replacement"].startswith(f"{name}-$1.{service}.")


def _jobs(path: Path) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = yaml.safe_load(path.read_text())["scrape_configs"]
    return jobs


def _fleet_jobs() -> list[dict[str, Any]]:
    (secret,) = [
        d for d in _by_kind("Secret") if d["metadata"]["name"] == "envoy-exporter-scrape-config"
    ]
    jobs: list[dict[str, Any]] = yaml.safe_load(secret["stringData"]["envoy-fleet.yml"])
    return jobs


def test_probe_jobs_relabel_target_into_param_and_instance() -> None:
    for path in SCRAPE_CONFIGS:
        for job in _jobs(path):
            if job.get("metrics_path") != "/probe":
                continue
            relabels = job["relabel_configs"]
            assert relabels[0] == {
                "source_labels": ["__address__"],
                "target_label": "__param_target",
            }
            assert relabels[1] == {"source_labels": ["__param_target"], "target_label": "instance"}
            assert relabels[-1]["target_label"] == "__address__", path.name


@needs_promtool
@pytest.mark.prometheus
@pytest.mark.parametrize("config", SCRAPE_CONFIGS, ids=lambda p: p.name)
def test_promtool_check_config(config: Path) -> None:
    assert PROMTOOL is not None
    result = subprocess.run(
        [PROMTOOL, "check", "config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
@pytest.mark.prometheus
def test_promtool_check_operator_scrape_config(tmp_path: Path) -> None:
    assert PROMTOOL is not None
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"scrape_configs": _fleet_jobs()}))
    result = subprocess.run(
        [PROMTOOL, "check", "config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _exporter_configs() -> list[tuple[str, dict[str, Any]]]:
    configs = [
        ("exporter-config.yml", yaml.safe_load((DEPLOY / "exporter-config.yml").read_text()))
    ]
    (configmap,) = _by_kind("ConfigMap")
    configs.append(("fleet.yaml ConfigMap", yaml.safe_load(configmap["data"]["config.yml"])))
    return configs


def test_exporter_config_examples_validate() -> None:
    config_module = pytest.importorskip("envoy_exporter.server.config")
    environ = dict.fromkeys(EXAMPLE_ENV, "placeholder-value")
    for where, data in _exporter_configs():
        config = config_module.parse_config(data, environ=environ)
        assert config.targets, where


def test_config_check_accepts_the_example(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("envoy-exporter")
    env = {"PATH": os.environ.get("PATH", ""), **dict.fromkeys(EXAMPLE_ENV, "placeholder-value")}
    config = DEPLOY / "exporter-config.yml"
    result = subprocess.run(
        [str(exe), "serve", "--config.file", str(config), "--config.check"],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for target in ("home", "cabin", "barn"):
        assert f"  {target}: host" in result.stdout
    assert "placeholder-value" not in result.stdout + result.stderr


def test_fleet_targets_are_the_configured_names() -> None:
    (configmap,) = _by_kind("ConfigMap")
    configured = set(yaml.safe_load(configmap["data"]["config.yml"])["targets"])
    (job,) = _fleet_jobs()
    assert set(job["static_configs"][0]["targets"]) == configured


def test_systemd_unit_structure() -> None:
    text = SYSTEMD_UNIT.read_text()
    sections = re.findall(r"^\[(\w+)\]$", text, flags=re.M)
    assert sections == ["Unit", "Service", "Install"]
    assert "LoadCredential=token:" in text and "--token-file %d/token" in text
    assert "DynamicUser=yes" in text
    assert f":{EXPORTER_PORT}" in text
    assert "--token " not in text, "a token on the command line shows in ps"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    # verify wants the ExecStart binary to exist: point it at this venv's entry point.
    exe = Path(ROOT / ".venv" / "bin" / "envoy-exporter")
    if not exe.exists():
        pytest.skip("no .venv/bin/envoy-exporter to stand in for the installed binary")
    unit = tmp_path / "envoy-exporter.service"
    unit.write_text(
        SYSTEMD_UNIT.read_text().replace("/opt/envoy-exporter/bin/envoy-exporter", str(exe))
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if str(unit) in line or "envoy-exporter.service" in line
    ]
    assert not problems, "\n".join(problems)
