"""A real Prometheus scrapes the exporter, which reads two simulated sites through /probe;
every dashboard query must be valid and return data where the site has the feature, and
every alerting and recording rule must evaluate without error.

Needs the Debian `prometheus` binary (scripts/test installs it); skipped without it.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .test_dashboards import GRID_METERING, dashboard_queries, substitute

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "alerts" / "envoy.rules.yml"
FLEET_CONFIG = ROOT / "deploy" / "prometheus" / "fleet.yml"
SITES = ("battery", "metered-3phase")
# The battery site again, through an expired token: a reachable gateway the exporter cannot
# read, for the authentication alert.
LOCKED_OUT = "locked-out"
PROMETHEUS = shutil.which("prometheus")
SCRAPES_WANTED = 4
DEADLINE = 120.0

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        PROMETHEUS is None,
        reason="prometheus not found on PATH: install the Debian package 'prometheus' "
        "(scripts/test does this) for the end-to-end dashboard and rule test",
    ),
]

# What a metric needs before a query on it can return data, by pattern on the metric's name
# (recording rules with their level and operation): the first pattern that matches decides.
# Each entry is a list of alternatives ("A B": feature A or feature B), all of which must
# hold. Metrics matching no pattern are always expected.
#
# MOVED is no gateway feature: the site's lifetime production counter grew during the test.
# It comes from production.json, which the exporter reads every few minutes only, and
# ratios of daily energies are undefined while it stands still.
MOVED = "PRODUCTION_COUNTER_MOVED"
FEATURES: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = tuple(
    (pattern, tuple(frozenset(alternatives.split()) for alternatives in needs))
    for pattern, *needs in (
        (r"^enphase_(production|consumption|net_consumption|ct)_phase_", "DUALPHASE THREEPHASE"),
        (r":enphase_self_\w+:ratio1d$", "NET_CONSUMPTION", MOVED),
        (r":enphase_self_\w+:ratio$", "NET_CONSUMPTION"),
        (r"^enphase_(consumption|net_consumption)_", "NET_CONSUMPTION TOTAL_CONSUMPTION"),
        (r":enphase_consumption_", "NET_CONSUMPTION TOTAL_CONSUMPTION"),
        (r"enphase_ct_energy_(delivered|received)_joules", "CTMETERS"),
        (r"enphase_grid_(import|export)_energy_joules", "NET_CONSUMPTION"),
        (r"^enphase_ct_", "CTMETERS"),
        (
            r"^enphase_inverter_(producing|communicating|provisioned|operating|status_flag)$",
            "INVERTER_STATUS",
        ),
        (r"^enphase_inverter_", "INVERTERS"),
        (r"^enphase_encharge_", "ENCHARGE"),
        (r"^enphase_enpower_", "ENPOWER"),
        (r"^enphase_storage_", "TARIFF"),
        (r"^enphase_(acb|battery)_", "ACB"),
        (r"enphase_production_", "PRODUCTION"),
    )
)
METRIC = re.compile(r"\b(?:[a-z_]+:)?enphase_[a-z0-9_]+(?::[a-z0-9_]+)?\b")


def _met(metric: str, features: set[str]) -> bool:
    for pattern, needs in FEATURES:
        if re.search(pattern, metric):
            return all(alternatives & features for alternatives in needs)
    return True


def required(expr: str, features: set[str]) -> bool:
    """Whether the site's features promise data for this query.

    A query combining alternatives with `or` (IQ Battery or AC Battery, say) needs one
    alternative's metrics; any other query needs all of its metrics."""
    met = [_met(match.group(0), features) for match in METRIC.finditer(expr)]
    return any(met) if " or " in expr else all(met)


# -- processes ------------------------------------------------------------------------------


class DaylightSource:
    """A simulator source seen at the same local time of day, noon, whatever the real time.

    The simulated sun follows the clock: at night production, exports and every ratio built
    on them are legitimately empty. Shifting `now` back by under a day keeps the site's
    counters growing in real time while the sun is up.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        offset = int(getattr(getattr(inner, "identity", None), "utc_offset", 0))
        self._shift = (time.time() + offset - 12 * 3600) % 86400

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def answer(self, path: str, now: float) -> Any:
        return self._inner.answer(path, now - self._shift)

    def write(self, method: str, path: str, body: bytes, now: float) -> Any:
        return self._inner.write(method, path, body, now - self._shift)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return json.loads(answer.read())


def _wait_for(what: str, check: Callable[[], bool], deadline: float) -> None:
    """Poll `check` until it holds; fail with `what` at the deadline."""
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


def _start_exporter(stack: ExitStack, tmp_path: Path, sims: dict[str, Any]) -> str:
    hosts = {name: sim.host for name, sim in sims.items()}
    tokens = {name: sim.token for name, sim in sims.items()}
    hosts[LOCKED_OUT] = sims["battery"].host
    tokens[LOCKED_OUT] = sims["battery"].make_token(expires_in=-60.0)
    address, _proc = run_exporter(stack, tmp_path, hosts, tokens)
    return address


def run_exporter(
    stack: ExitStack,
    tmp_path: Path,
    hosts: dict[str, str],
    tokens: dict[str, str],
    listen: str = "127.0.0.1:0",
) -> tuple[str, subprocess.Popen[str]]:
    """`envoy-exporter serve` for these targets (name -> host, name -> token), refreshing
    every second; its address ("127.0.0.1:PORT") and process."""
    config = {
        "modules": {"fast": {"cache_ttl": 1.0}},
        "auths": {name: {"token": token} for name, token in tokens.items()},
        "targets": {
            name: {"host": host, "auth": name, "module": "fast"} for name, host in hosts.items()
        },
    }
    path = tmp_path / "exporter.yml"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    exe = Path(sys.executable).with_name("envoy-exporter")
    log = (tmp_path / "exporter.log").open("a")
    stack.callback(log.close)
    proc = subprocess.Popen(
        [str(exe), "serve", "--config.file", str(path), "--web.listen-address", listen],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    stack.callback(_stop, proc)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on https?://([\w.]+:\d+)", line)
    assert match, (
        f"exporter did not start: {line!r}, log: {(tmp_path / 'exporter.log').read_text()}"
    )
    return match.group(1), proc


def _stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _prometheus_config(
    tmp_path: Path,
    exporter: str,
    targets: tuple[str, ...] = (*SITES, LOCKED_OUT),
    rules: dict[str, Any] | None = None,
    scrape_interval: str = "2s",
) -> dict[str, Any]:
    """deploy/prometheus/fleet.yml, pointed at this exporter and these targets, scraping fast,
    with `rules` (alerts/envoy.rules.yml by default) evaluated every second."""
    config: dict[str, Any] = yaml.safe_load(FLEET_CONFIG.read_text())
    config.pop("alerting")  # no Alertmanager here (tests/test_alerts_e2e.py sets its own)
    config["global"] = {
        "scrape_interval": scrape_interval,
        "scrape_timeout": scrape_interval,
        "evaluation_interval": "1s",
    }
    rules = rules or yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        group.pop("interval", None)  # the global 1 s, not a minute
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    config["rule_files"] = [str(tmp_path / "rules.yml")]
    for job in config["scrape_configs"]:
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        if job.get("metrics_path") == "/probe":
            job["static_configs"] = [{"targets": list(targets)}]
            job["relabel_configs"][-1]["replacement"] = exporter
        else:
            job["static_configs"] = [{"targets": [exporter]}]
    return config


def _write_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _start_prometheus(stack: ExitStack, tmp_path: Path, config: Path) -> str:
    assert PROMETHEUS is not None
    command = [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}"]
    return start_daemon(stack, tmp_path / "prometheus.log", [*command, "--log.level=warn"])


def start_daemon(stack: ExitStack, log_path: Path, command: list[str]) -> str:
    """Start `command --web.listen-address=...` on a free local port; its URL once /-/ready
    answers."""
    for _attempt in range(3):
        address = f"127.0.0.1:{_free_port()}"
        log = log_path.open("a")
        stack.callback(log.close)
        proc = subprocess.Popen(
            [*command, f"--web.listen-address={address}"], stdout=log, stderr=subprocess.STDOUT
        )
        stack.callback(_stop, proc)
        url = f"http://{address}"
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=2).close()
                return url
            except OSError:
                time.sleep(0.1)
        # Lost the port to another process between choosing and binding it: try another.
    pytest.fail(f"{command[0]} did not start: {log_path.read_text()}")


@dataclass
class Stack:
    url: str
    features: dict[str, set[str]]

    def query(self, expr: str, at: float | None = None) -> dict[str, Any]:
        """The answer to `expr` now, or at the Unix time `at`."""
        params = urllib.parse.urlencode({"query": expr, **({} if at is None else {"time": at})})
        try:
            answer: dict[str, Any] = _get(f"{self.url}/api/v1/query?{params}")
        except urllib.error.HTTPError as exc:
            answer = json.loads(exc.read())
        return answer

    def vector(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        answer = self.query(expr, at)
        assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result


def _scrapes_done(stack: Stack) -> bool:
    counts = stack.vector('count_over_time(enphase_up{job="envoy"}[10m])')
    per_site = {r["metric"]["instance"]: float(r["value"][1]) for r in counts}
    return all(per_site.get(site, 0) >= SCRAPES_WANTED for site in SITES)


def _ct_counters_moved(stack: Stack) -> bool:
    # increase() of every CT counter has two different samples to work with.
    moved = stack.vector(
        'increase(enphase_ct_energy_delivered_joules_total{job="envoy", ct="production"}[10m]) > 0'
    )
    return {r["metric"]["instance"] for r in moved} >= set(SITES)


def _rules_evaluated_after(stack: Stack, moment: float) -> bool:
    groups = _get(f"{stack.url}/api/v1/rules")["data"]["groups"]
    return all(_epoch(group["lastEvaluation"]) > moment for group in groups)


def _epoch(stamp: str) -> float:
    # RFC 3339 with nanoseconds: "2026-11-25T15:12:01.123456789Z"
    from datetime import datetime

    head, _, frac = stamp.rstrip("Z").partition(".")
    base = datetime.fromisoformat(head + "+00:00").timestamp()
    return base + float(f"0.{frac or 0}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from envoy_exporter.simulator.profiles import load_profile
    from envoy_exporter.simulator.server import SimulatedEnvoy

    tmp_path = tmp_path_factory.mktemp("prometheus-e2e")
    with ExitStack() as exits:
        sims = {
            name: exits.enter_context(
                SimulatedEnvoy(DaylightSource(load_profile(name)), listen="127.0.0.1:0")
            )
            for name in SITES
        }
        exporter = _start_exporter(exits, tmp_path, sims)
        config = _write_config(tmp_path, _prometheus_config(tmp_path, exporter))
        url = _start_prometheus(exits, tmp_path, config)
        running = Stack(url, {})
        deadline = time.monotonic() + DEADLINE
        _wait_for(
            f"{SCRAPES_WANTED} scrapes of each site", lambda: _scrapes_done(running), deadline
        )
        _wait_for("CT counters to move", lambda: _ct_counters_moved(running), deadline)
        moved_at = time.time()
        _wait_for(
            "a rule evaluation after that",
            lambda: _rules_evaluated_after(running, moved_at),
            deadline,
        )
        for result in running.vector(f'enphase_supported_feature{{instance!="{LOCKED_OUT}"}} == 1'):
            site = result["metric"]["instance"]
            running.features.setdefault(site, set()).add(result["metric"]["feature"])
        moved = 'increase(enphase_production_energy_joules_total{job="envoy"}[10m]) > 0'
        for result in running.vector(moved):
            running.features.setdefault(result["metric"]["instance"], set()).add(MOVED)
        yield running


def test_every_site_is_scraped_through_probe(stack: Stack) -> None:
    targets = _get(f"{stack.url}/api/v1/targets")["data"]["activeTargets"]
    probed = {t["labels"]["instance"]: t for t in targets if t["labels"]["job"] == "envoy"}
    assert set(probed) == {*SITES, LOCKED_OUT}
    for site, target in probed.items():
        assert target["health"] == "up", f"{site}: {target['lastError']}"
        assert f"target={site}" in target["scrapeUrl"]
    assert set(stack.features) == set(SITES)
    assert {"ENCHARGE", "ENPOWER", "CTMETERS"} <= stack.features["battery"]
    assert {"THREEPHASE", "CTMETERS"} <= stack.features["metered-3phase"]


def test_every_rule_is_healthy(stack: Stack) -> None:
    groups = _get(f"{stack.url}/api/v1/rules")["data"]["groups"]
    loaded = {rule["name"]: rule for group in groups for rule in group["rules"]}
    expected = {
        rule.get("alert") or rule["record"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
    }
    assert set(loaded) == expected
    for name, rule in loaded.items():
        assert rule["health"] == "ok", f"{name}: {rule.get('lastError')}"


def test_recording_rules_produce_the_daily_figures(stack: Stack) -> None:
    for site in SITES:
        for rule in ("production_energy_joules", "consumption_energy_joules"):
            result = stack.vector(f'instance:enphase_{rule}:increase1d{{instance="{site}"}}')
            assert len(result) == 1 and float(result[0]["value"][1]) >= 0, (site, rule)
        result = stack.vector(
            f'instance:enphase_ct_energy_delivered_joules:increase1d{{instance="{site}", '
            'ct="production"}'
        )
        assert len(result) == 1 and float(result[0]["value"][1]) > 0, site


def test_recording_rules_count_the_grid_both_ways(stack: Stack) -> None:
    for site in SITES:
        for side in ("import", "export"):
            for window in ("1h", "1d"):
                rule = f"instance:enphase_grid_{side}_energy_joules:increase{window}"
                result = stack.vector(f'{rule}{{instance="{site}"}} >= 0')
                ways = {r["metric"]["metering"] for r in result}
                assert ways == set(GRID_METERING), (site, rule, ways)
        median = stack.vector(f'instance:enphase_inverter_power_watts:median{{instance="{site}"}}')
        assert len(median) == 1 and float(median[0]["value"][1]) > 0, site


def test_grid_metering_variable_picks_its_way(stack: Stack) -> None:
    # The panel's answer for each choice is that way's own count, at one instant: a swapped
    # or missing label would pass the "has data" test above.
    (expr,) = [e for _, panel, e in dashboard_queries() if panel == "Grid export today"]
    at = time.time()
    for site in SITES:
        where = f'instance="{site}"'
        counters = {
            "phase-balanced": f"enphase_grid_export_energy_joules_total{{{where}}}",
            "per-phase": "enphase_ct_phase_energy_received_joules_total"
            f'{{{where}, ct="net-consumption"}}',
        }
        for way, counter in counters.items():
            (panel,) = stack.vector(substitute(expr, instance=site, grid_metering=way), at)
            (own,) = stack.vector(f"sum by (instance) (increase({counter}[1h])) / 3.6e6", at)
            assert float(panel["value"][1]) == pytest.approx(float(own["value"][1])), (site, way)


def _alert_exprs() -> dict[str, str]:
    return {
        rule["alert"]: rule["expr"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def test_alert_conditions_are_quiet_on_healthy_sites(stack: Stack) -> None:
    # The simulated sites are healthy: an alert condition that holds there (even before its
    # `for:` elapses) reads a metric wrongly.
    for name, expr in _alert_exprs().items():
        noisy = [r["metric"] for r in stack.vector(expr) if r["metric"].get("instance") in SITES]
        assert noisy == [], name


@pytest.mark.parametrize("site", SITES)
def test_every_metric_an_alert_reads_exists(stack: Stack, site: str) -> None:
    # An alert on a misspelt or vanished metric is silent forever: where the site has the
    # feature, every metric the alert reads must be there.
    missing = []
    for name, expr in _alert_exprs().items():
        for metric in sorted({m.group(0) for m in METRIC.finditer(expr)}):
            expected = required(metric, stack.features[site])
            if expected and not stack.vector(f'count({metric}{{instance="{site}"}})'):
                missing.append(f"{name}: {metric}")
    assert not missing, f"{site}:\n" + "\n".join(missing)


def test_locked_out_gateway_raises_the_authentication_condition(stack: Stack) -> None:
    exprs = _alert_exprs()

    def instances(alert: str) -> set[str]:
        return {r["metric"].get("instance", "") for r in stack.vector(exprs[alert])}

    _wait_for(
        "the authentication condition",
        lambda: LOCKED_OUT in instances("EnvoyExporterCannotAuthenticate"),
        time.monotonic() + 60,
    )
    assert instances("EnvoyExporterCannotAuthenticate") == {LOCKED_OUT}
    # One alert for one cause: the locked-out gateway is not also "down".
    assert instances("EnvoyGatewayDown") == set()


@pytest.mark.parametrize("site", SITES)
def test_every_dashboard_query_is_valid_and_has_data(stack: Stack, site: str) -> None:
    features = stack.features[site]
    invalid, empty, checked = [], [], 0
    for dashboard, panel, expr in dashboard_queries():
        # a query on the grid_metering variable must have data with each of its choices
        for metering in GRID_METERING if "$grid_metering" in expr else GRID_METERING[:1]:
            answer = stack.query(substitute(expr, instance=site, grid_metering=metering))
            where = f"{dashboard} / {panel} ({metering}): {expr}"
            if answer["status"] != "success":
                invalid.append(f"{where}\n    {answer.get('error')}")
                continue
            if required(expr, features):
                checked += 1
                if not answer["data"]["result"]:
                    empty.append(where)
    assert not invalid, "invalid queries:\n" + "\n".join(invalid)
    assert not empty, f"no data on the {site} site:\n" + "\n".join(empty)
    assert checked >= len(dashboard_queries()) // 2, "the feature table excuses most queries"


def test_only_absent_hardware_excuses_a_query(stack: Stack) -> None:
    # Between them the two sites have every kind of hardware, AC Batteries included: every
    # query is checked for data on at least one of them (or waits on the slow production
    # counter).
    excuses = {MOVED}
    unchecked = [
        f"{dashboard} / {panel}: {expr}"
        for dashboard, panel, expr in dashboard_queries()
        if not any(required(expr, stack.features[site] | excuses) for site in SITES)
    ]
    assert not unchecked, "queries no site checks:\n" + "\n".join(unchecked)


def test_the_demo_site_has_data_for_every_panel(stack: Stack) -> None:
    # `envoy-exporter demo` serves the battery profile alone: its features must promise data
    # for every query (checked above), so that no panel of the demo is empty.
    demo = stack.features["battery"] | {MOVED}
    unchecked = [
        f"{dashboard} / {panel}: {expr}"
        for dashboard, panel, expr in dashboard_queries()
        if not required(expr, demo)
    ]
    assert not unchecked, "panels empty in the demo:\n" + "\n".join(unchecked)


def test_feature_table_reads_or_as_alternatives() -> None:
    either = "avg(enphase_encharge_state_of_charge_ratio) or avg(enphase_acb_power_watts)"
    assert required(either, {"ENCHARGE"})
    assert not required("enphase_acb_power_watts", {"ENCHARGE"})
    assert required("enphase_exporter_requests_total", set())
    assert not required("enphase_ct_phase_voltage_volts", {"CTMETERS"})
    assert required("enphase_ct_phase_voltage_volts", {"CTMETERS", "THREEPHASE"})
    ratio = "instance:enphase_self_consumption:ratio1d"
    assert not required(ratio, {"NET_CONSUMPTION"})
    assert required(ratio, {"NET_CONSUMPTION", MOVED})
    assert required("instance:enphase_self_consumption:ratio", {"NET_CONSUMPTION"})
