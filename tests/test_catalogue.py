"""The metric catalogue: naming rules, fixed names, every numeric model field exported,
generated docs up to date, no transport in the catalogue."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import envoy_exporter.catalogue as catalogue_pkg
import envoy_exporter.envoy.models as models_pkg
from envoy_exporter.catalogue import CATALOGUE
from envoy_exporter.catalogue.docs import render_markdown
from envoy_exporter.catalogue.spec import UNITS, keyed, metric

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^enphase_[a-z0-9_]+$")
LABEL = re.compile(r"^[a-z_][a-z0-9_]*$")
UNIT_SUFFIX = {
    "watts": "_watts",
    "joules": "_joules",
    "volts": "_volts",
    "amperes": "_amperes",
    "hertz": "_hertz",
    "celsius": "_celsius",
    "seconds": "_seconds",
    "ratio": "_ratio",
    "volt_amperes": "_volt_amperes",
}

FIXED: dict[str, tuple[str, ...]] = {
    "enphase_up": (),
    "enphase_info": ("serial", "firmware", "part_number", "model", "host"),
    "enphase_net_consumption_power_watts": (),
    "enphase_production_phase_power_watts": ("phase",),
    "enphase_inverter_power_watts": ("serial",),
    "enphase_inverter_last_report_timestamp_seconds": ("serial",),
    "enphase_ct_power_watts": ("ct",),
    "enphase_ct_energy_delivered_joules_total": ("ct",),
    "enphase_ct_energy_received_joules_total": ("ct",),
    "enphase_ct_metering_status": ("ct", "status"),
    "enphase_ct_status_flag": ("ct", "flag"),
    "enphase_battery_state_of_charge_ratio": (),
    "enphase_encharge_state_of_charge_ratio": ("serial",),
    "enphase_poor_data_quality": (),
    "enphase_supported_feature": ("feature",),
    "enphase_exporter_collector_success": ("collector",),
    "enphase_exporter_requests_total": ("endpoint", "code"),
    "enphase_exporter_refresh_interval_seconds": ("endpoint",),
}
for _flow in ("production", "consumption"):
    FIXED[f"enphase_{_flow}_power_watts"] = ()
    FIXED[f"enphase_{_flow}_energy_joules_total"] = ()
    FIXED[f"enphase_{_flow}_energy_today_joules"] = ()
    FIXED[f"enphase_{_flow}_energy_last_seven_days_joules"] = ()

BY_NAME = {spec.name: spec for spec in CATALOGUE}


def test_names_are_unique_and_follow_prometheus_rules() -> None:
    names = [spec.name for spec in CATALOGUE]
    assert len(names) == len(set(names))
    for spec in CATALOGUE:
        assert NAME.match(spec.name), spec.name
        assert not spec.name.startswith("envoy_")
        assert spec.kind in ("gauge", "counter", "info", "stateset")
        assert spec.name.endswith("_total") == (spec.kind == "counter"), spec.name
        assert spec.name.endswith("_info") == (spec.kind == "info"), spec.name
        base = spec.name.removesuffix("_total")
        if spec.unit:
            assert base.endswith(UNIT_SUFFIX[spec.unit]), spec.name
        assert spec.help and "source:" in spec.help, spec.name
        assert len(set(spec.labels)) == len(spec.labels)
        for label in spec.labels:
            assert LABEL.match(label) and not label.startswith("__"), (spec.name, label)
            assert label not in ("le", "quantile")


def test_percentages_are_ratios_and_energy_is_joules() -> None:
    for spec in CATALOGUE:
        if spec.unit == "ratio" and spec.subsystem != "exporter":
            assert spec.scale == pytest.approx(0.01), spec.name
        if spec.unit == "joules":
            assert spec.scale == 3600.0, spec.name


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_names_and_labels(name: str) -> None:
    assert name in BY_NAME
    assert BY_NAME[name].labels == FIXED[name]


def test_no_unbounded_labels() -> None:
    # Labels name a device, a phase, a CT, a state, an endpoint or a part: never a value
    # that changes by itself (time, power, a free-text message). "reason" takes three values.
    allowed = {
        "serial", "phase", "ct", "status", "flag", "feature", "collector", "endpoint", "code",
        "firmware", "part_number", "model", "state", "id", "mode", "bmu_firmware", "revision",
        "admin_state", "load_name", "type", "grid_action", "micro_grid_action",
        "generator_action", "mid_state", "grid_state", "collar_state", "dmir_version",
        "oper_state", "interface_type", "timezone", "dhcp", "host", "reason", "manufacturer",
    }  # fmt: skip
    for spec in CATALOGUE:
        assert set(spec.labels) <= allowed, (spec.name, set(spec.labels) - allowed)


def _model_classes() -> list[type]:
    classes = []
    for info in pkgutil.iter_modules(models_pkg.__path__):
        module = importlib.import_module(f"{models_pkg.__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == module.__name__
            ):
                classes.append(obj)
    return classes


def _is_numeric(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    text = str(text)
    if re.search(r"\b(dict|list|tuple|set)\[", text):
        return False
    return bool(re.search(r"\b(int|float)\b", text))


def test_every_numeric_model_field_is_exported() -> None:
    covered = {field for spec in CATALOGUE for field in spec.covers}
    numeric = {
        f"{cls.__name__}.{field.name}"
        for cls in _model_classes()
        for field in dataclasses.fields(cls)
        if _is_numeric(field.type)
    }
    assert len(numeric) > 50  # the walk found the models
    missing = sorted(numeric - covered)
    assert missing == [], f"numeric fields with no metric: {missing}"


def test_covers_name_real_fields() -> None:
    real = {
        f"{cls.__name__}.{field.name}"
        for cls in _model_classes()
        for field in dataclasses.fields(cls)
    }
    for spec in CATALOGUE:
        for field in spec.covers:
            assert field in real, (spec.name, field)


def test_docs_are_up_to_date() -> None:
    current = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert current == render_markdown(), (
        "docs/metrics.md is stale: python -m envoy_exporter.catalogue.docs > docs/metrics.md"
    )


def test_docs_list_every_metric() -> None:
    text = render_markdown()
    for spec in CATALOGUE:
        assert f"`{spec.name}`" in text


def test_catalogue_knows_no_transport() -> None:
    for path in Path(catalogue_pkg.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "prometheus_client" not in source, path.name
        assert "opentelemetry" not in source, path.name


def test_every_catalogue_module_adds_its_entries() -> None:
    # No hand-kept list: a module of the package that declares SPECS is in the catalogue.
    for info in pkgutil.iter_modules(catalogue_pkg.__path__):
        module = importlib.import_module(f"{catalogue_pkg.__name__}.{info.name}")
        for spec in getattr(module, "SPECS", ()):
            assert spec in CATALOGUE, spec.name
    assert CATALOGUE[0].name == "enphase_up"


def test_an_entry_with_an_unknown_unit_or_subsystem_is_refused() -> None:
    select = keyed("inverters", ("inverters",))
    common = {"source": "/x", "select": select, "model": "EnvoyInverter", "field": "dc_voltage"}
    with pytest.raises(ValueError, match="unit"):
        metric("enphase_x_furlongs", "x", subsystem="inverters", unit="furlongs", **common)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="subsystem"):
        metric("enphase_x_volts", "x", subsystem="garden", unit="volts", **common)  # type: ignore[arg-type]
    assert {spec.unit for spec in CATALOGUE} - {""} <= set(UNITS)
