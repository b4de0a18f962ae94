"""The built-in simulated gateways: document shapes, physics, writes, options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree

from envoy_exporter.simulator.profiles import PROFILE_NAMES, UnknownProfileError, load_profile
from envoy_exporter.simulator.profiles.base import ProfileSource

# 2026-06-15 00:00 UTC: a summer day, far from the installation date
DAY = 1_781_481_600.0
HOUR = 3600.0


def get(src: ProfileSource, path: str, now: float) -> Any:
    answer = src.answer(path, now)
    assert answer is not None, f"{src.name} does not answer {path}"
    assert answer.status == 200
    assert answer.content_type == "application/json"
    return json.loads(answer.body)


def local(src: ProfileSource, hour: float) -> float:
    """The instant at local `hour` on DAY's local date."""
    return src.model.local_midnight(DAY + 12 * HOUR) + hour * HOUR


@pytest.fixture(params=PROFILE_NAMES)
def source(request: pytest.FixtureRequest) -> ProfileSource:
    return load_profile(request.param)


METERED = [n for n in PROFILE_NAMES if n != "legacy"]
WITH_BATTERIES = ["battery", "large"]


def test_every_route_answers_json_and_info_is_xml(source: ProfileSource) -> None:
    now = local(source, 12)
    for route in source.routes:
        answer = source.answer(route, now)
        assert answer is not None and answer.status == 200, route
        if route == "/info":
            root = ElementTree.fromstring(answer.body)
            assert root.findtext("device/software") == source.firmware
            assert root.findtext("device/sn") == source.serial
            assert root.findtext("device/imeter") == (
                "false" if source.name == "legacy" else "true"
            )
        else:
            json.loads(answer.body)


def test_unknown_paths_and_writes_are_404(source: ProfileSource) -> None:
    assert source.answer("/nope", DAY) is None
    assert source.answer("/ivp/pdm/device_data", DAY) is None
    assert source.write("POST", "/nope", b"{}", DAY) is None
    assert source.write("DELETE", "/admin/lib/tariff", b"{}", DAY) is None


def test_expected_endpoints_per_profile() -> None:
    legacy = set(load_profile("legacy").routes)
    assert {"/info", "/production", "/production.json", "/api/v1/production"} <= legacy
    assert "/ivp/meters" not in legacy
    metered = set(load_profile("metered-3phase").routes)
    assert {"/ivp/meters", "/ivp/meters/readings", "/home", "/ivp/ensemble/inventory"} <= metered
    battery = set(load_profile("battery").routes)
    assert {"/ivp/ensemble/secctrl", "/ivp/ss/dry_contact_settings", "/admin/lib/tariff"} <= battery


def test_legacy_shapes() -> None:
    src = load_profile("legacy")
    assert src.firmware.startswith("D5.")
    doc = get(src, "/production.json", local(src, 12))
    inverters, eim = doc["production"]
    assert inverters["type"] == "inverters" and inverters["activeCount"] == 12
    assert eim["type"] == "eim" and eim["activeCount"] == 0 and eim["wNow"] == 0
    assert "consumption" not in doc
    assert doc["storage"][0]["type"] == "acb"
    assert len(get(src, "/api/v1/production/inverters", DAY)) == 12


@pytest.mark.parametrize("name", METERED)
def test_meters_list_the_cts(name: str) -> None:
    src = load_profile(name)
    meters = get(src, "/ivp/meters", DAY)
    types = [m["measurementType"] for m in meters]
    assert types[:2] == ["production", "net-consumption"]
    mode = {"metered-3phase": "three", "battery": "split", "large": "three"}[name]
    assert {m["phaseMode"] for m in meters} == {mode}
    assert {m["phaseCount"] for m in meters} == {3 if mode == "three" else 2}
    readings = get(src, "/ivp/meters/readings", DAY)
    assert [r["eid"] for r in readings] == [m["eid"] for m in meters]
    assert all(len(r["channels"]) == 3 for r in readings)
    if name in WITH_BATTERIES:
        assert "storage" in types


BATTERY_CAPTURE = "8.2.127_with_3cts_and_battery_split"
THREE_PHASE_CAPTURE = "7.6.175_with_cts_3phase"
ACB_CAPTURE = "8.3.5169_ACB_inventory"
SHAPES = [
    ("legacy", "/api/v1/production", "5.0.62/api_v1_production"),
    ("legacy", "/api/v1/production/inverters", "5.0.62/api_v1_production_inverters"),
    ("metered-3phase", "/ivp/meters", f"{THREE_PHASE_CAPTURE}/ivp_meters"),
    ("metered-3phase", "/ivp/meters/readings", f"{THREE_PHASE_CAPTURE}/ivp_meters_readings"),
    ("metered-3phase", "/production", f"{THREE_PHASE_CAPTURE}/production"),
    ("metered-3phase", "/production.json?details=1", f"{THREE_PHASE_CAPTURE}/production.json"),
    ("metered-3phase", "/home", "7.6.175/home"),
    ("battery", "/ivp/meters", f"{BATTERY_CAPTURE}/ivp_meters"),
    ("battery", "/ivp/meters/readings", f"{BATTERY_CAPTURE}/ivp_meters_readings"),
    ("battery", "/api/v1/production", f"{BATTERY_CAPTURE}/api_v1_production"),
    ("battery", "/ivp/ensemble/inventory", f"{BATTERY_CAPTURE}/ivp_ensemble_inventory"),
    ("battery", "/ivp/ensemble/secctrl", f"{BATTERY_CAPTURE}/ivp_ensemble_secctrl"),
    ("battery", "/ivp/ensemble/power", f"{BATTERY_CAPTURE}/ivp_ensemble_power"),
    ("battery", "/ivp/ensemble/dry_contacts", f"{BATTERY_CAPTURE}/ivp_ensemble_dry_contacts"),
    ("battery", "/ivp/ss/dry_contact_settings", f"{BATTERY_CAPTURE}/ivp_ss_dry_contact_settings"),
    # the battery site has AC Batteries too: production.json's storage entry as theirs
    ("battery", "/production", f"{ACB_CAPTURE}/production.json"),
    ("battery", "/production.json?details=1", f"{ACB_CAPTURE}/production.json_details_1"),
    ("battery", "/api/v1/production/inverters", f"{ACB_CAPTURE}/api_v1_production_inverters"),
    ("large", "/ivp/meters/readings", f"{BATTERY_CAPTURE}/ivp_meters_readings"),
    ("large", "/ivp/ensemble/inventory", f"{BATTERY_CAPTURE}/ivp_ensemble_inventory"),
]


@pytest.mark.parametrize(("name", "path", "capture"), SHAPES)
def test_shapes_match_real_captures_key_for_key(
    name: str, path: str, capture: str, captures_dir: Path
) -> None:
    """Our documents carry exactly the keys a real gateway's carry."""
    src = load_profile(name)
    theirs = json.loads((captures_dir / capture).read_text())
    assert key_paths(get(src, path, local(src, 12))) == key_paths(theirs)


def test_ac_batteries_match_a_real_inventory_and_share_the_battery_schedule(
    captures_dir: Path,
) -> None:
    src = load_profile("battery")
    theirs = json.loads((captures_dir / ACB_CAPTURE / "inventory").read_text())
    ours = get(src, "/inventory.json?deleted=1", local(src, 12))

    def acbs(doc: Any) -> list[Any]:
        return next(section["devices"] for section in doc if section["type"] == "ACB")

    assert key_paths(acbs(ours)) == key_paths(acbs(theirs)) and len(acbs(ours)) == 2
    for hour, state in ((12, "charging"), (20, "discharging")):
        now = local(src, hour)
        (storage,) = get(src, "/production.json", now)["storage"]
        secctrl = get(src, "/ivp/ensemble/secctrl", now)
        assert storage["state"] == state and storage["activeCount"] == 2
        assert storage["percentFull"] == secctrl["ACB_agg_soc"] == secctrl["agg_soc"]
        # secctrl rounds the charge to whole percents first (the real capture differs too)
        assert abs(storage["whNow"] - secctrl["ACB_agg_energy"]) <= 0.01 * 2400
        assert secctrl["ACB_agg_energy"] > 0
        # IQ and AC Batteries together carry the site's battery power
        encharge = sum(d["real_power_mw"] for d in get(src, "/ivp/ensemble/power", now)["devices:"])
        assert abs(encharge / 1000 + storage["wNow"] - src.model.flows(now).battery) < 5


@pytest.mark.parametrize("name", ["battery", "metered-3phase"])
def test_inventory_lists_the_reporting_microinverters(name: str, captures_dir: Path) -> None:
    src = load_profile(name)
    theirs = json.loads((captures_dir / ACB_CAPTURE / "inventory").read_text())

    def pcus(doc: Any) -> list[Any]:
        return next(section["devices"] for section in doc if section["type"] == "PCU")

    for hour, producing in ((12, True), (1, False)):
        now = local(src, hour)
        ours = pcus(get(src, "/inventory.json?deleted=1", now))
        reports = get(src, "/api/v1/production/inverters", now)
        assert [d["serial_num"] for d in ours] == [
            r["serialNumber"] for r in reports if r["devType"] == 1
        ]
        assert {d["producing"] for d in ours} == {producing}
        assert key_paths(ours) <= key_paths(pcus(theirs))


def test_tariff_and_info_match_real_captures(captures_dir: Path) -> None:
    src = load_profile("battery")
    real = captures_dir / BATTERY_CAPTURE
    tariff = json.loads((real / "admin_lib_tariff").read_text())["tariff"]
    ours = get(src, "/admin/lib/tariff", DAY)["tariff"]
    assert set(ours) == set(tariff)
    assert set(ours["storage_settings"]) == set(tariff["storage_settings"])
    assert key_paths(ours["seasons"]) <= key_paths(tariff["seasons"])
    for name, folder in (("legacy", "5.0.62"), ("battery", BATTERY_CAPTURE)):
        answer = load_profile(name).answer("/info", DAY)
        assert answer is not None
        ours_info = ElementTree.fromstring(answer.body)
        real_info = ElementTree.fromstring((captures_dir / folder / "info").read_bytes())
        assert {e.tag for e in ours_info.iter()} == {e.tag for e in real_info.iter()}


def key_paths(doc: Any, prefix: str = "") -> set[str]:
    """Every key path in a document, lists folded onto their elements."""
    if isinstance(doc, dict):
        out = set()
        for key, value in doc.items():
            out |= {f"{prefix}/{key}"} | key_paths(value, f"{prefix}/{key}")
        return out
    if isinstance(doc, list):
        return set().union(*(key_paths(v, prefix + "[]") for v in doc)) if doc else set()
    return set()


@pytest.mark.parametrize("name", METERED)
def test_net_is_consumption_minus_production(name: str) -> None:
    src = load_profile(name)
    for hour in (3, 9.5, 12, 18.25):
        now = local(src, hour)
        doc = get(src, "/production.json?details=1", now)
        prod = doc["production"][1]
        total, net = doc["consumption"]
        assert total["measurementType"] == "total-consumption"
        assert net["measurementType"] == "net-consumption"
        for key in ("wNow", "whLifetime"):
            assert net[key] == pytest.approx(total[key] - prod[key], abs=0.01)
            for p, c, n in zip(prod["lines"], total["lines"], net["lines"], strict=True):
                assert n[key] == pytest.approx(c[key] - p[key], abs=0.01)
        readings = {r["eid"]: r for r in get(src, "/ivp/meters/readings", now)}
        meters = get(src, "/ivp/meters", now)
        net_ct = readings[
            next(m["eid"] for m in meters if m["measurementType"] == "net-consumption")
        ]
        assert net_ct["activePower"] == pytest.approx(net["wNow"], abs=0.01)
        assert net_ct["actEnergyDlvd"] - net_ct["actEnergyRcvd"] == pytest.approx(
            net["whLifetime"], abs=0.01
        )


def test_production_follows_the_sun(source: ProfileSource) -> None:
    night = get(source, "/api/v1/production", local(source, 2))
    noon = get(source, "/api/v1/production", local(source, 12.5))
    assert night["wattsNow"] == 0
    assert noon["wattsNow"] > 100
    inverters = get(source, "/api/v1/production/inverters", local(source, 12.5))
    assert sum(i["lastReportWatts"] for i in inverters) > 100
    assert all(0 <= i["lastReportWatts"] <= i["maxReportWatts"] for i in inverters)


def test_counters_only_grow(source: ProfileSource) -> None:
    paths = ["/api/v1/production", "/production.json?details=1", "/ivp/meters/readings"]
    previous: dict[str, float] = {}
    for step in range(0, 3 * 24 * 4):  # every 15 min for three days
        now = DAY + step * 900.0 + 7
        for path in paths:
            if source.answer(path, now) is None:
                continue
            for key, value in lifetime_counters(get(source, path, now), path).items():
                assert value >= previous.get(key, value), (key, now)
                previous[key] = value
    assert previous


def lifetime_counters(doc: Any, prefix: str) -> dict[str, float]:
    """Every counter that must never decrease (net-consumption Wh may: it exports)."""
    out: dict[str, float] = {}
    if isinstance(doc, dict):
        if doc.get("measurementType") == "net-consumption":
            return out
        for key, value in doc.items():
            name = f"{prefix}/{key}"
            grows = key in {"whLifetime", "wattHoursLifetime", "vahLifetime"} or key.startswith(
                "actEnergy"
            )
            if grows and isinstance(value, int | float):
                out[name] = value
            out.update(lifetime_counters(value, name))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.update(lifetime_counters(value, f"{prefix}[{i}]"))
    return out


def test_same_now_same_answer_and_seed_changes_the_site() -> None:
    a, b = load_profile("battery", seed=4), load_profile("battery", seed=4)
    for path in (
        "/production.json?details=1",
        "/ivp/ensemble/power",
        "/api/v1/production/inverters",
    ):
        assert get(a, path, DAY + 40_000) == get(b, path, DAY + 40_000)
    c = load_profile("battery", seed=5)
    assert c.serial != a.serial
    assert get(c, "/api/v1/production", DAY) != get(a, "/api/v1/production", DAY)
    assert load_profile("legacy", serial="999888777666").serial == "999888777666"


def test_production_equals_integral_and_today_resets_at_midnight() -> None:
    src = load_profile("metered-3phase")
    start, end = local(src, 11), local(src, 11.5)
    w_start = get(src, "/api/v1/production", start)
    w_end = get(src, "/api/v1/production", end)
    # power is held for 5-minute slots: the counter grows by the sum of the slots' power
    slots = [get(src, "/api/v1/production", start + 150 + 300 * i)["wattsNow"] for i in range(6)]
    grown = w_end["wattHoursLifetime"] - w_start["wattHoursLifetime"]
    assert grown == pytest.approx(sum(slots) / 12, abs=3)
    before = get(src, "/api/v1/production", local(src, 23.99))["wattHoursToday"]
    after = get(src, "/api/v1/production", local(src, 24.01))["wattHoursToday"]
    assert before > 1000 and after == 0


def test_inverters_report_every_five_minutes() -> None:
    src = load_profile("metered-3phase")
    now = local(src, 10) + 123
    reports = get(src, "/api/v1/production/inverters", now)
    assert len(reports) == 30
    assert len({r["serialNumber"] for r in reports}) == 30
    assert all(now - 300 < r["lastReportDate"] <= now for r in reports)
    later = get(src, "/api/v1/production/inverters", now + 300)
    assert [r["lastReportDate"] + 300 for r in reports] == [r["lastReportDate"] for r in later]


def test_a_thousand_inverters() -> None:
    src = load_profile("large", inverters=1000)
    now = local(src, 13)
    reports = get(src, "/api/v1/production/inverters", now)
    assert len({r["serialNumber"] for r in reports}) == 1000
    section = get(src, "/production.json", now)["production"][0]
    assert section["activeCount"] == 1000
    assert sum(r["lastReportWatts"] for r in reports) > 0


@pytest.mark.parametrize("name", WITH_BATTERIES)
def test_soc_stays_in_range_and_moves(name: str) -> None:
    src = load_profile(name)
    socs = []
    for half_hour in range(48):
        now = local(src, half_hour / 2)
        soc = get(src, "/ivp/ensemble/secctrl", now)["agg_soc"]
        power = get(src, "/ivp/ensemble/power", now)["devices:"]
        assert 0 <= soc <= 100
        assert all(d["soc"] == soc for d in power)
        socs.append((half_hour / 2, soc, power[0]["real_power_mw"]))
    by_hour = {h: (soc, mw) for h, soc, mw in socs}
    assert by_hour[15.5][0] > by_hour[9.0][0]  # charged during the day
    assert by_hour[8.5][0] < by_hour[20.0][0]  # discharged overnight
    assert by_hour[12.0][1] < 0 < by_hour[22.0][1]  # charging is negative power


def test_relay_write_changes_grid_state() -> None:
    src = load_profile("battery")
    answer = src.write("POST", "/ivp/ensemble/relay", b'{"mains_admin_state": "open"}', DAY)
    assert answer is not None and answer.status == 200
    enpower = get(src, "/ivp/ensemble/inventory", DAY)[1]["devices"][0]
    assert enpower["mains_admin_state"] == "open"
    assert enpower["Enpwr_grid_mode"] == "multimode-offgrid"
    assert get(src, "/ivp/ensemble/status", DAY)["relay"]["mains_oper_state"] == "open"
    bad = src.write("POST", "/ivp/ensemble/relay", b'{"mains_admin_state": "ajar"}', DAY)
    assert bad is not None and bad.status == 400 and b"ajar" in bad.body
    assert get(src, "/ivp/ensemble/inventory", DAY)[1]["devices"][0]["mains_admin_state"] == "open"


def test_tariff_write_stores_storage_settings() -> None:
    src = load_profile("battery")
    doc = get(src, "/admin/lib/tariff", DAY)
    tariff = doc["tariff"]
    tariff["storage_settings"].update(mode="backup", reserved_soc=55, charge_from_grid=True)
    answer = src.write("PUT", "/admin/lib/tariff", json.dumps({"tariff": tariff}).encode(), DAY)
    assert answer is not None and answer.status == 200
    stored = get(src, "/admin/lib/tariff", DAY + 60)
    assert stored["tariff"]["storage_settings"]["mode"] == "backup"
    assert stored["tariff"]["storage_settings"]["reserved_soc"] == 55
    assert stored["tariff"]["storage_settings"]["charge_from_grid"] is True
    assert stored["schedule"]["reserved_soc"] == 55
    assert get(src, "/ivp/ensemble/secctrl", DAY)["configured_backup_soc"] == 55
    for bad in (b"not json", b'{"tariff": 3}', b'{"tariff": {"storage_settings": {"mode": "x"}}}'):
        refused = src.write("PUT", "/admin/lib/tariff", bad, DAY)
        assert refused is not None and refused.status == 400
    assert get(src, "/admin/lib/tariff", DAY)["tariff"]["storage_settings"]["mode"] == "backup"


def test_dry_contact_writes() -> None:
    src = load_profile("battery")
    body = b'{"dry_contacts": {"id": "NO1", "status": "open"}}'
    assert src.write("POST", "/ivp/ensemble/dry_contacts", body, DAY) is not None
    status = {
        c["id"]: c["status"] for c in get(src, "/ivp/ensemble/dry_contacts", DAY)["dry_contacts"]
    }
    assert status == {"NC1": "closed", "NC2": "closed", "NO1": "open", "NO2": "closed"}
    body = b'{"dry_contacts": {"id": "NC2", "load_name": "pool", "soc_low": 25}}'
    assert src.write("POST", "/ivp/ss/dry_contact_settings", body, DAY) is not None
    settings = get(src, "/ivp/ss/dry_contact_settings", DAY)["dry_contacts"]
    nc2 = next(s for s in settings if s["id"] == "NC2")
    assert (nc2["load_name"], nc2["soc_low"]) == ("pool", 25)
    unknown = src.write("POST", "/ivp/ensemble/dry_contacts", b'{"dry_contacts": {"id": "X"}}', DAY)
    assert unknown is not None and unknown.status == 400


def test_unknown_profile_and_option_errors_list_what_exists() -> None:
    with pytest.raises(UnknownProfileError) as err:
        load_profile("nope")
    for name in PROFILE_NAMES:
        assert name in str(err.value)
    with pytest.raises(UnknownProfileError, match="inverters, seed, serial, frozen_at"):
        load_profile("battery", panels=3)
    with pytest.raises(ValueError, match="inverters"):
        load_profile("legacy", inverters=0)


def test_every_profile_has_its_own_serial_and_help_lists_every_profile() -> None:
    from click.testing import CliRunner

    from envoy_exporter.cli.simulate import simulate

    serials = {name: load_profile(name).serial for name in PROFILE_NAMES}
    assert len(set(serials.values())) == len(PROFILE_NAMES), serials
    assert all(len(s) == 12 and s.isdigit() for s in serials.values())
    # another seed is another site of the same kind: another serial
    assert load_profile("battery", seed=2).serial != serials["battery"]
    assert load_profile("battery", serial="122200000001").serial == "122200000001"
    usage = " ".join(CliRunner().invoke(simulate, ["--help"]).output.split())
    for name in PROFILE_NAMES:
        assert name in usage


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_reference_client_reads_the_profile(name: str, simulator: Any) -> None:
    """pyenphase (the oracle), over real sockets, finds what the profile installs."""
    from tests.corpus_oracle import run_reference

    sim = simulator(name)
    result = run_reference(sim)
    assert "error" not in result, result
    data = result["data"]
    assert data["system_production"] is not None
    assert len(data["inverters"]) == {"legacy": 12, "metered-3phase": 30, "battery": 20}.get(
        name, 300
    )
    if name in METERED:
        assert data["system_net_consumption"] is not None
        assert data["ctmeter_production"] is not None
    if name in WITH_BATTERIES:
        assert len(data["encharge_power"]) == (3 if name == "battery" else 10)
        assert data["enpower"] is not None and data["tariff"] is not None
        assert data["ctmeter_storage"] is not None


def test_frozen_at_pins_the_clock() -> None:
    src = load_profile("battery", frozen_at=DAY + 43_200)
    assert get(src, "/ivp/meters/readings", DAY) == get(src, "/ivp/meters/readings", DAY + 999)
    free = load_profile("battery")
    assert get(src, "/api/v1/production", 0) == get(free, "/api/v1/production", DAY + 43_200)
    with pytest.raises(UnknownProfileError, match="frozen_at"):
        load_profile("battery", frozen_at="noon")
