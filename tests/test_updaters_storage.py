"""Storage updaters (ensemble, ACB inventory, tariff, generator) on in-memory gateways."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from envoy_exporter.envoy.const import (
    URL_DRY_CONTACT_SETTINGS,
    URL_DRY_CONTACT_STATUS,
    URL_ENSEMBLE_INVENTORY,
    URL_ENSEMBLE_POWER,
    URL_ENSEMBLE_SECCTRL,
    URL_GEN_CONFIG,
    URL_GEN_SCHEDULE,
    URL_INVENTORY,
    URL_PRODUCTION_INVERTERS,
    URL_TARIFF,
    SupportedFeatures,
)
from envoy_exporter.envoy.exceptions import EnvoyDataError
from envoy_exporter.envoy.models.common import CommonProperties
from envoy_exporter.envoy.models.dry_contacts import DryContactStatus
from envoy_exporter.envoy.models.envoy import EnvoyData
from envoy_exporter.envoy.models.tariff import EnvoyStorageMode
from envoy_exporter.envoy.updaters.ensemble import EnvoyEnsembleUpdater
from envoy_exporter.envoy.updaters.generator import (
    URL_GEN_MODE,
    URL_GENERATOR,
    EnvoyGeneratorUpdater,
)
from envoy_exporter.envoy.updaters.inventory import EnvoyInventoryUpdater
from envoy_exporter.envoy.updaters.tariff import EnvoyTariffUpdater

from .storage_fakes import FakeGateway, make
from .test_models_storage import (
    C6CC,
    COLLAR,
    ENCHARGE_V7,
    ENPOWER,
    GEN_CONFIG,
    GEN_SCHEDULE,
    GEN_STATUS,
    RELAY_BARE,
    RELAY_FULL,
    SECCTRL,
    TARIFF,
)

F = SupportedFeatures
HTML = b"<html><body><h1>Not here</h1></body></html>"

ENCHARGE_2 = dict(ENCHARGE_V7, serial_num="900000000002", percentFull=40)
INVENTORY = [
    {"type": "ENCHARGE", "devices": [ENCHARGE_V7, ENCHARGE_2]},
    {"type": "ENPOWER", "devices": [ENPOWER]},
    {"type": "COLLAR", "devices": [COLLAR]},
    {"type": "C6 COMBINER CONTROLLER", "devices": [C6CC]},
    {"type": "C6 RGM", "devices": [{"serial_num": "x"}]},
]
POWER = {
    "devices:": [
        {
            "serial_num": "900000000001",
            "real_power_mw": -50000,
            "apparent_power_mva": 51000,
            "soc": 64,
        },
        {
            "serial_num": "900000000002",
            "real_power_mw": 20000,
            "apparent_power_mva": 21000,
            "soc": 40,
        },
    ]
}
DRY_STATUS = {"dry_contacts": [{"id": "NC1", "status": "closed"}, {"id": "NO2", "status": "open"}]}
DRY_SETTINGS = {"dry_contacts": [RELAY_FULL, RELAY_BARE]}


def ensemble_gateway(**changes: Any) -> FakeGateway:
    answers: dict[str, Any] = {
        URL_ENSEMBLE_INVENTORY: INVENTORY,
        URL_ENSEMBLE_SECCTRL: SECCTRL,
        URL_ENSEMBLE_POWER: POWER,
        URL_DRY_CONTACT_STATUS: DRY_STATUS,
        URL_DRY_CONTACT_SETTINGS: DRY_SETTINGS,
    }
    answers.update(changes)
    return FakeGateway(copy.deepcopy(answers))


# ---------------------------------------------------------------- ensemble


def test_ensemble_identity() -> None:
    assert EnvoyEnsembleUpdater.name == "ensemble"
    assert URL_ENSEMBLE_POWER in EnvoyEnsembleUpdater.endpoints
    assert URL_DRY_CONTACT_SETTINGS in EnvoyEnsembleUpdater.endpoints


def test_ensemble_probe_finds_every_device_type() -> None:
    gateway = ensemble_gateway()
    features = make(EnvoyEnsembleUpdater, gateway).probe(F(0))
    assert features == F.ENCHARGE | F.ENPOWER | F.COLLAR | F.C6CC
    assert gateway.requested == [URL_ENSEMBLE_INVENTORY]


def test_ensemble_probe_skips_old_firmware_without_asking() -> None:
    gateway = ensemble_gateway()
    assert make(EnvoyEnsembleUpdater, gateway, version="4.10.35").probe(F(0)) is None
    assert gateway.requested == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, []),  # newer firmware, no ensemble devices
        (404, {"error": "404 - Not Found"}),
        (200, {"error": "404 - Not Found"}),
        (401, b""),  # early firmware 7 refuses the owner token here
        (200, HTML),
        (200, b'[{"type": "ENCHA'),  # truncated
        (200, [{"type": "SOMETHING ELSE", "devices": []}]),
    ],
)
def test_ensemble_probe_without_devices(status: int, body: Any) -> None:
    gateway = ensemble_gateway()
    gateway.set(URL_ENSEMBLE_INVENTORY, body, status)
    assert make(EnvoyEnsembleUpdater, gateway).probe(F(0)) is None


def test_ensemble_update_reads_everything_found() -> None:
    gateway = ensemble_gateway()
    updater = make(EnvoyEnsembleUpdater, gateway)
    updater.probe(F(0))
    data = EnvoyData()
    updater.update(data)

    assert data.encharge_inventory is not None
    assert sorted(data.encharge_inventory) == ["900000000001", "900000000002"]
    assert data.encharge_inventory["900000000002"].percent_full == 40
    assert data.encharge_power is not None
    assert data.encharge_power["900000000001"].real_power_mw == -50000
    assert data.encharge_aggregate is not None and data.encharge_aggregate.state_of_charge == 52
    assert data.enpower is not None and data.enpower.serial_number == "900000000010"
    assert data.dry_contact_status["NC1"].status is DryContactStatus.CLOSED
    assert data.dry_contact_settings["NC1"].load_name == "Pool pump"
    assert data.collar is not None and data.collar.serial_number == "900000000020"
    assert data.c6cc is not None and data.c6cc.dmir_version == "0.0.6"
    # no ACB reported by production.json: no combined aggregate
    assert data.battery_aggregate is None
    assert data.raw[URL_ENSEMBLE_POWER] == POWER
    assert data.raw[URL_ENSEMBLE_SECCTRL] == SECCTRL


def test_ensemble_combines_acb_only_when_production_reported_some() -> None:
    updater = make(
        EnvoyEnsembleUpdater, ensemble_gateway(), common=CommonProperties(acb_batteries_reported=3)
    )
    updater.probe(F(0))
    data = EnvoyData()
    updater.update(data)
    assert data.battery_aggregate is not None
    assert data.battery_aggregate.available_energy == 2600 + 800


def test_ensemble_battery_only_site_reads_no_controller_endpoints() -> None:
    inventory = [{"type": "ENCHARGE", "devices": [ENCHARGE_V7]}]
    gateway = ensemble_gateway(**{URL_ENSEMBLE_INVENTORY: inventory})
    updater = make(EnvoyEnsembleUpdater, gateway)
    assert updater.probe(F(0)) == F.ENCHARGE
    data = EnvoyData()
    updater.update(data)
    assert URL_DRY_CONTACT_STATUS not in gateway.requested
    assert data.enpower is None and data.dry_contact_status == {} and data.collar is None
    assert data.encharge_power is not None and sorted(data.encharge_power) == [
        "900000000001",
        "900000000002",
    ]


def test_ensemble_collar_with_missing_keys_is_none() -> None:
    partial = {k: v for k, v in COLLAR.items() if k != "collar_state"}
    inventory = [{"type": "COLLAR", "devices": [partial]}]
    updater = make(EnvoyEnsembleUpdater, ensemble_gateway(**{URL_ENSEMBLE_INVENTORY: inventory}))
    assert updater.probe(F(0)) == F.COLLAR
    data = EnvoyData()
    updater.update(data)
    assert data.collar is None


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        (URL_ENSEMBLE_SECCTRL, HTML),
        (URL_ENSEMBLE_SECCTRL, {"agg_soc": 5}),
        (URL_ENSEMBLE_POWER, {"devices": [{"serial_num": "1"}]}),
        (URL_ENSEMBLE_POWER, b'{"devices:": [{"serial'),
        (URL_DRY_CONTACT_STATUS, {"dry_contacts": [{"id": "NC1", "status": "ajar"}]}),
        (URL_DRY_CONTACT_SETTINGS, {"dry_contacts": "none"}),
        (URL_ENSEMBLE_INVENTORY, {"unexpected": "dict"}),
    ],
)
def test_ensemble_malformed_answer_names_the_endpoint(endpoint: str, body: Any) -> None:
    gateway = ensemble_gateway()
    updater = make(EnvoyEnsembleUpdater, gateway)
    updater.probe(F(0))
    gateway.set(endpoint, body)
    with pytest.raises(EnvoyDataError) as caught:
        updater.update(EnvoyData())
    assert caught.value.endpoint == endpoint


# ---------------------------------------------------------------- ACB inventory

ACB_ONE = {
    "serial_num": "121900000001",
    "part_num": "800-00930-r03",
    "admin_state": 2,
    "percentFull": 12,
    "charge_status": "idle",
    "communicating": True,
}
ACB_GONE = {"serial_num": "121900000002", "admin_state": 0}
ACB_NO_STATE = {"serial_num": "121900000003", "percentFull": 9}
ACB_INVENTORY = [
    {"type": "PCU", "devices": [{"serial_num": "p1", "admin_state": 1}]},
    {"type": "ACB", "devices": [ACB_ONE, ACB_GONE, ACB_NO_STATE]},
]
V1_INVERTERS = [
    {
        "serialNumber": "p1",
        "devType": 1,
        "lastReportDate": 1,
        "lastReportWatts": 200,
        "maxReportWatts": 300,
    },
    {
        "serialNumber": "121900000001",
        "devType": 11,
        "lastReportDate": 2,
        "lastReportWatts": -5,
        "maxReportWatts": 270,
    },
]


def test_inventory_probe_needs_acb_discovered_first() -> None:
    gateway = FakeGateway({URL_INVENTORY: ACB_INVENTORY})
    assert make(EnvoyInventoryUpdater, gateway).probe(F.PRODUCTION) is None
    assert gateway.requested == []
    assert make(EnvoyInventoryUpdater, gateway).probe(F.PRODUCTION | F.ACB) == F.ACB


@pytest.mark.parametrize(
    "body",
    [
        [{"type": "ACB", "devices": [ACB_GONE]}],  # decommissioned only
        [{"type": "PCU", "devices": [{"serial_num": "p1"}]}],
        {"error": "nope"},
        HTML,
    ],
)
def test_inventory_probe_without_active_acb(body: Any) -> None:
    gateway = FakeGateway({URL_INVENTORY: body})
    assert make(EnvoyInventoryUpdater, gateway).probe(F.ACB) is None


def test_inventory_update_joins_the_inverters_report() -> None:
    gateway = FakeGateway({URL_INVENTORY: ACB_INVENTORY, URL_PRODUCTION_INVERTERS: V1_INVERTERS})
    updater = make(EnvoyInventoryUpdater, gateway)
    updater.probe(F.ACB)
    data = EnvoyData()
    updater.update(data)
    assert data.acb_inventory is not None
    assert sorted(data.acb_inventory) == ["121900000001", "121900000003"]
    assert data.acb_inventory["121900000001"].last_report_watts == -5
    assert data.acb_inventory["121900000003"].last_report_watts is None
    assert data.raw[URL_PRODUCTION_INVERTERS] == V1_INVERTERS


def test_inventory_update_reuses_a_report_already_read() -> None:
    gateway = FakeGateway({URL_INVENTORY: ACB_INVENTORY})
    updater = make(EnvoyInventoryUpdater, gateway)
    updater.probe(F.ACB)
    data = EnvoyData(raw={URL_PRODUCTION_INVERTERS: V1_INVERTERS})
    updater.update(data)
    assert URL_PRODUCTION_INVERTERS not in gateway.requested
    assert data.acb_inventory is not None
    assert data.acb_inventory["121900000001"].max_report_watts == 270


def test_inventory_update_without_inverters_report_still_lists_acbs() -> None:
    gateway = FakeGateway({URL_INVENTORY: ACB_INVENTORY})
    gateway.set(URL_PRODUCTION_INVERTERS, b"", 401)
    updater = make(EnvoyInventoryUpdater, gateway)
    updater.probe(F.ACB)
    data = EnvoyData()
    updater.update(data)
    assert data.acb_inventory is not None and len(data.acb_inventory) == 2


def test_inventory_update_of_a_non_list_is_a_data_error() -> None:
    gateway = FakeGateway({URL_INVENTORY: ACB_INVENTORY})
    updater = make(EnvoyInventoryUpdater, gateway)
    updater.probe(F.ACB)
    gateway.set(URL_INVENTORY, {"ACB": []})
    with pytest.raises(EnvoyDataError) as caught:
        updater.update(EnvoyData())
    assert caught.value.endpoint == URL_INVENTORY


# ---------------------------------------------------------------- tariff


def test_tariff_probe_and_update() -> None:
    gateway = FakeGateway({URL_TARIFF: {"tariff": TARIFF, "schedule": {"source": "Tariff"}}})
    updater = make(EnvoyTariffUpdater, gateway)
    assert updater.name == "tariff" and updater.endpoints == (URL_TARIFF,)
    assert updater.probe(F(0)) == F.TARIFF
    data = EnvoyData()
    updater.update(data)
    assert data.tariff is not None and data.tariff.storage_settings is not None
    assert data.tariff.storage_settings.mode is EnvoyStorageMode.SAVINGS
    assert data.tariff.currency == {"code": "EUR"}


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, HTML), (401, b"Error: 401"), (404, {"error": "404"}), (200, {}), (200, [])],
)
def test_tariff_probe_without_tariff(status: int, body: Any) -> None:
    gateway = FakeGateway()
    gateway.set(URL_TARIFF, body, status)
    assert make(EnvoyTariffUpdater, gateway).probe(F(0)) is None


def test_tariff_update_of_a_malformed_tariff_names_the_endpoint() -> None:
    gateway = FakeGateway({URL_TARIFF: {"tariff": TARIFF}})
    updater = make(EnvoyTariffUpdater, gateway)
    updater.probe(F(0))
    gateway.set(URL_TARIFF, {"tariff": {"currency": {"code": "EUR"}}})
    with pytest.raises(EnvoyDataError) as caught:
        updater.update(EnvoyData())
    assert caught.value.endpoint == URL_TARIFF


# ---------------------------------------------------------------- generator


def generator_gateway() -> FakeGateway:
    return FakeGateway(
        copy.deepcopy(
            {
                URL_GEN_CONFIG: GEN_CONFIG,
                URL_GENERATOR: GEN_STATUS,
                URL_GEN_SCHEDULE: GEN_SCHEDULE,
                URL_GEN_MODE: {"gen_cmd": "auto", "last_updated_by": "app"},
            }
        )
    )


def test_generator_needs_a_system_controller() -> None:
    gateway = generator_gateway()
    assert make(EnvoyGeneratorUpdater, gateway).probe(F.ENCHARGE) is None
    assert make(EnvoyGeneratorUpdater, gateway, version="4.10.35").probe(F.ENPOWER) is None
    assert gateway.requested == []


@pytest.mark.parametrize("body", [{}, {"err": "404 - Not Found"}, {"max_cont_gen_amps": 1.0}, HTML])
def test_generator_without_configuration(body: Any) -> None:
    gateway = generator_gateway()
    gateway.set(URL_GEN_CONFIG, body)
    assert make(EnvoyGeneratorUpdater, gateway).probe(F.ENPOWER) is None


def test_generator_probe_and_update_read_every_usable_part() -> None:
    gateway = generator_gateway()
    updater = make(EnvoyGeneratorUpdater, gateway)
    assert updater.probe(F.ENPOWER) == F.GENERATOR | F.GENERATOR_SCHEDULE
    data = EnvoyData()
    updater.update(data)
    assert data.generator_config is not None and data.generator_config.manufacturer == "Acme"
    assert data.generator is not None and data.generator.present is True
    assert data.generator_schedule is not None and data.generator_schedule.exercise_day == "Wed"
    assert data.generator_mode is not None and data.generator_mode.gen_cmd == "auto"


def test_generator_schedule_without_exercise_is_not_a_feature() -> None:
    gateway = generator_gateway()
    gateway.set(URL_GEN_SCHEDULE, {k: v for k, v in GEN_SCHEDULE.items() if k != "exercise_config"})
    gateway.set(URL_GEN_MODE, b"", 404)
    updater = make(EnvoyGeneratorUpdater, gateway)
    assert updater.probe(F.ENPOWER) == F.GENERATOR
    gateway.requested.clear()
    data = EnvoyData()
    updater.update(data)
    assert URL_GEN_SCHEDULE not in gateway.requested and URL_GEN_MODE not in gateway.requested
    assert data.generator_schedule is None and data.generator_config is not None


def test_generator_part_turning_bad_leaves_its_field_empty() -> None:
    gateway = generator_gateway()
    updater = make(EnvoyGeneratorUpdater, gateway)
    updater.probe(F.ENPOWER)
    gateway.set(URL_GEN_SCHEDULE, {})
    data = EnvoyData()
    updater.update(data)
    assert data.generator_schedule is None
    assert data.generator_config is not None and data.generator is not None
    assert data.raw[URL_GEN_SCHEDULE] == {}
