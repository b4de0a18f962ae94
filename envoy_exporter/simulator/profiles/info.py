"""/info (the unauthenticated XML every gateway serves) and /home."""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

# the firmware packages a gateway lists in /info: name, part number
_PACKAGES = (
    ("rootfs", "500-00001-r01"),
    ("kernel", "500-00011-r01"),
    ("boot", "590-00018-r01"),
    ("app", "500-00002-r01"),
    ("devimg", "500-00004-r01"),
    ("geo", "500-00008-r01"),
    ("backbone", "500-00010-r01"),
    ("meter", "500-00013-r01"),
    ("agf", "500-00012-r01"),
    ("security", "500-00016-r01"),
)


@dataclass(frozen=True)
class Identity:
    """What a gateway says about itself."""

    serial: str
    firmware: str  # "D7.6.175"
    part_number: str
    metered: bool
    timezone: str = "UTC"
    utc_offset: int = 0
    build_time: int = 1_690_000_000

    @property
    def app_version(self) -> str:
        """The firmware as the app package's zero-padded version: D7.6.175 -> 07.06.175."""
        parts = self.firmware.lstrip("DR").split(".")
        return ".".join([f"{int(parts[0]):02d}", f"{int(parts[1]):02d}", *parts[2:]])

    @property
    def major(self) -> int:
        return int(self.firmware.lstrip("DR").split(".")[0])


def info_xml(ident: Identity, now: float) -> bytes:
    """/info."""
    rows = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<envoy_info>",
        f"  <time>{int(now)}</time>",
        "  <device>",
        f"    <sn>{escape(ident.serial)}</sn>",
        f"    <pn>{escape(ident.part_number)}</pn>",
        f"    <software>{escape(ident.firmware)}</software>",
        "    <euaid>4c8675</euaid>",
        "    <seqnum>0</seqnum>",
        "    <apiver>1</apiver>",
        f"    <imeter>{'true' if ident.metered else 'false'}</imeter>",
        "  </device>",
    ]
    # token authentication came with firmware 7
    if ident.major >= 7:
        rows.append("  <web-tokens>true</web-tokens>")
    for name, pn in _PACKAGES:
        version = ident.app_version if name == "app" else "02.00.00"
        rows += [
            f"  <package name='{name}'>",
            f"    <pn>{pn}</pn>",
            f"    <version>{version}</version>",
            f"    <build>{zlib.crc32(f'{name}{ident.firmware}'.encode()) % 0xFFFFFF:06x}</build>",
            "  </package>",
        ]
    rows += [
        "  <build_info>",
        f"    <build_id>release-{escape(ident.app_version)}</build_id>",
        f"    <build_time_gmt>{ident.build_time}</build_time_gmt>",
    ]
    # firmware 7 and newer also name their release
    if ident.major >= 7:
        rows += [
            "    <release_ver>02.00.4238</release_ver>",
            "    <release_stage>700-GA</release_stage>",
        ]
    rows += [
        "  </build_info>",
        "</envoy_info>",
        "",
    ]
    return "\n".join(rows).encode()


def home_doc(ident: Identity, now: float, inverters: int, batteries: int) -> dict[str, Any]:
    """/home: network and device-communication summary."""
    level = 5 if inverters else 0
    local = time.gmtime(now + ident.utc_offset)
    return {
        "software_build_epoch": ident.build_time,
        "timezone": ident.timezone,
        "current_date": time.strftime("%m/%d/%Y", local),
        "current_time": time.strftime("%H:%M", local),
        "network": {
            "web_comm": True,
            "ever_reported_to_enlighten": True,
            "last_enlighten_report_time": int(now) - int(now) % 900,
            "primary_interface": "eth0",
            "interfaces": [
                {
                    "type": "ethernet",
                    "interface": "eth0",
                    "mac": "00:1D:C0:00:00:01",
                    "dhcp": True,
                    "ip": "192.168.1.50",
                    "signal_strength": 1,
                    "signal_strength_max": 1,
                    "carrier": True,
                },
                {
                    "signal_strength": 0,
                    "signal_strength_max": 0,
                    "type": "wifi",
                    "interface": "wlan0",
                    "mac": "60:E8:5B:00:00:02",
                    "dhcp": True,
                    "ip": None,
                    "carrier": False,
                    "supported": True,
                    "present": True,
                    "configured": False,
                    "status": "connecting",
                },
            ],
        },
        "tariff": "single_rate",
        "comm": {
            "num": inverters + batteries,
            "level": level,
            "pcu": {"num": inverters, "level": level},
            "acb": {"num": 0, "level": 0},
            "nsrb": {"num": 1 if batteries else 0, "level": 5 if batteries else 0},
            "esub": {"num": 0, "level": 0},
            "encharge": [
                {
                    "num": batteries,
                    "level": 5 if batteries else 0,
                    "level_24g": 0,
                    "level_subg": 0,
                }
            ],
        },
        "wireless_connection": [
            {"signal_strength": 0, "signal_strength_max": 0, "type": "BLE", "connected": True}
        ],
    }
