"""docs/metrics.md, generated from the catalogue: `python -m envoy_exporter.catalogue.docs`."""

from __future__ import annotations

import sys

from . import CATALOGUE
from .codes import UNDOCUMENTED_CODES
from .inverter_status import DEVICE_DATA_NOTE
from .spec import SUBSYSTEMS, MetricSpec

_HEADER = """# Metrics

Generated from the metric catalogue (`envoy_exporter/catalogue/`) by
`python -m envoy_exporter.catalogue.docs > docs/metrics.md`; do not edit by hand
(a test fails when this file is stale).

Units are base units: watts, joules (Wh x 3600), volts, amperes, hertz, celsius, seconds,
and ratios 0-1 for percentages. Counters end in `_total`, info metrics in `_info` (value 1).
A *state set* has one series per known state, 1 for the current one; a state the catalogue
does not know shows as one more series, under the gateway's own word, at 1 (so a state set
never hides what the gateway said). A series only appears when
the gateway reports the value; a part of the data older than 3 of its refresh intervals
disappears, and `enphase_exporter_data_age_seconds{collector}` says how old it is.

`enphase_up` is 1 when the last refresh reached the gateway, the gateway accepted the login,
and at least one part (one updater's data) has data to show: read at that refresh, or read
before and still within its refresh interval. It is 0 when the gateway could not be reached,
refused the credentials (again after a fresh login), or no part has data to show; then only
the gateway's identity is exported. A part failing on a readable gateway leaves `enphase_up`
at 1: `enphase_exporter_collector_success{collector}` is 0 for it, and its values go after 3
of its intervals.
"""


#: which grid energy counters to use where (the dashboards and rules offer both)
_GRID_METERING = """## Grid import and export: phase-balanced or per-phase

On a site whose net-consumption CT measures two or three phases, grid energy can be counted
two ways, which differ whenever one phase imports while another exports:

- **Phase-balanced**: `enphase_grid_import_energy_joules_total` and
  `enphase_grid_export_energy_joules_total`, the phases' net energy summed at each reading.
  Use them where the utility meter sums the phases (Germany, the Netherlands and Belgium
  among others), and for what the house as a whole took from and gave to the grid.
- **Per-phase**: the net-consumption CT's `enphase_ct_phase_energy_delivered_joules_total`
  (import) and `enphase_ct_phase_energy_received_joules_total` (export) summed over the
  phases. Use them where the utility bills each phase's import and export on its own, and
  to see which phase imports or exports. On a single-phase site the two nearly agree and the
  CT's all-phase counters serve; on several phases those are the gateway's own totals, which
  on some firmware are not the sum of the phases.

The phase-balanced counters start at zero whenever the exporter starts: read them through
`increase()` over a time range (it treats the restart as a counter reset), never as raw
values. The recording rules `instance:enphase_grid_import_energy_joules:increase1h` and
`:increase1d` (and their `export` twins) hold both, told apart by the label `metering`
(`phase-balanced`, `per-phase`); the Overview dashboard's *Grid metering* variable picks
one for its grid panels (see `dashboards/README.md`).
"""


def _row(spec: MetricSpec) -> str:
    labels = ", ".join(f"`{label}`" for label in spec.labels) or "-"
    kind = "state set" if spec.kind == "stateset" else spec.kind
    text = spec.help.replace("|", "\\|")
    return f"| `{spec.name}` | {kind} | {spec.unit or '-'} | {labels} | {text} |"


def render_markdown() -> str:
    """The whole of docs/metrics.md."""
    lines = [_HEADER]
    for subsystem, title in SUBSYSTEMS.items():
        specs = [s for s in CATALOGUE if s.subsystem == subsystem]
        if not specs:
            continue
        lines += [
            f"## {title}",
            "",
            "| name | type | unit | labels | help |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [_row(spec) for spec in specs]
        lines.append("")
    device_data = ["## Inverter status from /ivp/pdm/device_data", "", DEVICE_DATA_NOTE, ""]
    sections = [_GRID_METERING, *device_data, *_codes_section(), *_promtool_section()]
    return "\n".join([*lines, *sections])


def _codes_section() -> list[str]:
    """The numeric codes whose meaning no public document gives."""
    lines = [
        "## Undocumented codes",
        "",
        "No public description of the gateway's local API (Enphase's, the unofficial "
        "Enphase-API documentation, the Home Assistant and pyenphase docs) says what these "
        "numbers mean, so they stay gauges with the gateway's number, and no state set "
        "guesses at them. Where the gateway names a code in the same answer "
        "(`admin_state_str`), the name is a state set (`enphase_<device>_admin_state_name`) "
        "and the number is kept beside it for the graphs that already use it.",
        "",
        "| metric | values seen on real gateways |",
        "| --- | --- |",
    ]
    names = [spec.name for spec in CATALOGUE if spec.name in UNDOCUMENTED_CODES]
    lines += [f"| `{name}` | {UNDOCUMENTED_CODES[name]} |" for name in names]
    return [*lines, ""]


#: (what marks a name, promtool's warning, why the name stays as users already graph it)
_PROMTOOL_WARNINGS = (
    (
        "_last_seven_days_",
        'use base unit "seconds" instead of "days"',
        'the unit is joules; "seven days" is the window of the gateway\'s own counter '
        "(`whLastSevenDays`), which promtool's lint reads as a unit",
    ),
    (
        "_counter_",
        "metric name should not include type 'counter'",
        '"counter" names what is counted (gateway counters that went backwards), '
        "not the metric's type; the alert and the Exporter health dashboard read this name",
    ),
)


def _promtool_section() -> list[str]:
    """The warnings `promtool check metrics` prints on /metrics, each explained."""
    lines = [
        "## promtool check metrics",
        "",
        "`promtool check metrics` passes on every simulated gateway's `/metrics` apart from "
        "these warnings, kept on purpose (`tests/test_promtool_metrics.py` checks that every "
        "warning is listed here):",
        "",
        "| metric | warning | why the name stays |",
        "| --- | --- | --- |",
    ]
    for mark, warning, why in _PROMTOOL_WARNINGS:
        names = [spec.name for spec in CATALOGUE if mark in spec.name]
        lines += [f"| `{name}` | {warning} | {why} |" for name in names]
    return [*lines, ""]


def main() -> None:
    sys.stdout.write(render_markdown())


if __name__ == "__main__":
    main()
