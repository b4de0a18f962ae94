"""What is known of the gateway's numeric codes: the state names the gateway gives beside some,
and the codes nobody documents. docs/metrics.md lists both (`docs.py`).

No public document of the gateway's local API (Enphase's own, the unofficial Enphase-API
documentation, the Home Assistant and pyenphase docs) gives the meaning of these numbers.
Where the gateway names a code in the same answer (`admin_state_str` beside `admin_state`),
the name is exported as a state set; elsewhere the number stays a gauge and is listed here.
"""

from __future__ import annotations

#: admin_state_str names seen on real gateways (the capture corpus and the public examples),
#: by device: the known states of each `enphase_<device>_admin_state_name` state set. A name
#: not listed still shows, as one more state at 1.
ADMIN_STATE_NAMES: dict[str, tuple[str, ...]] = {
    "encharge": ("ENCHG_STATE_READY", "ENCMN_MDE_ENCHARGE_READY"),
    "enpower": ("ENPWR_STATE_OPER_CLOSED", "ENPWR_STATE_OPER_GEN_CLOSE"),
    "collar": ("ENCMN_MDE_ON_GRID",),
    "c6cc": ("ENCMN_C6_CC_READY",),
}

#: the note every gauge of an undocumented code carries in its HELP
UNDOCUMENTED = "code undocumented, see docs/metrics.md"

#: metric -> what is known of its values (from real gateways' answers)
UNDOCUMENTED_CODES: dict[str, str] = {
    "enphase_encharge_led_status": "12, 13, 14 and 17 seen on batteries working normally; "
    "the colours and patterns they stand for are not published",
    "enphase_encharge_admin_state": "6 seen (`ENCHG_STATE_READY`), 63 behind an IQ Meter "
    "Collar (`ENCMN_MDE_ENCHARGE_READY`): read `enphase_encharge_admin_state_name`",
    "enphase_enpower_admin_state": "24 (`ENPWR_STATE_OPER_CLOSED`), 30 "
    "(`ENPWR_STATE_OPER_GEN_CLOSE`): read `enphase_enpower_admin_state_name`",
    "enphase_collar_admin_state": "88 seen (`ENCMN_MDE_ON_GRID`): read "
    "`enphase_collar_admin_state_name`",
    "enphase_c6cc_admin_state": "82 seen (`ENCMN_C6_CC_READY`): read "
    "`enphase_c6cc_admin_state_name`",
    "enphase_collar_control_error": "0 seen, presumably no error",
    "enphase_generator_admin_mode": "0 and 2 seen (2 with a generator running)",
    "enphase_dry_contact_black_start": "5 and 10000 seen; neither its unit nor its meaning is "
    "published",
    "enphase_generator_type": "0 and 1 seen, on gateways with and without a generator alike; "
    "the configured type in words is the `type` label of `enphase_generator_config_info`",
}
