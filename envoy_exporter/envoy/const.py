"""Constants of the Envoy client: feature flags, phase names, endpoints and their kinds, limits.

Pure data (the standard library only): the simulator imports this module, and no other of the
client.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag, StrEnum


class SupportedFeatures(IntFlag):
    """What a gateway can report, as found by the updaters' probes."""

    INVERTERS = 1
    METERING = 2
    TOTAL_CONSUMPTION = 4
    NET_CONSUMPTION = 8
    ENCHARGE = 16
    ENPOWER = 32
    PRODUCTION = 64
    TARIFF = 128
    DUALPHASE = 256
    THREEPHASE = 512
    CTMETERS = 1024
    GENERATOR = 2048
    ACB = 4096
    DETAILED_INVERTERS = 8192
    COLLAR = 16384
    C6CC = 32768
    GENERATOR_SCHEDULE = 65536
    #: beyond the spec: production or export limit settings are readable
    LIMITS = 131072
    #: beyond the spec: the inventory gives each microinverter's state
    INVERTER_STATUS = 262144


class PhaseNames(StrEnum):
    """Electricity grid phase names."""

    PHASE_1 = "L1"
    PHASE_2 = "L2"
    PHASE_3 = "L3"


PHASENAMES: list[str] = [PhaseNames.PHASE_1, PhaseNames.PHASE_2, PhaseNames.PHASE_3]

# Every gateway endpoint the project knows, written once. An updater declares the ones it reads
# (`EnvoyUpdater.declared`) with their kind; the simulator serves them under these names.
URL_INFO = "/info"
URL_HOME = "/home"
URL_PRODUCTION = "/production"
URL_PRODUCTION_JSON_PLAIN = "/production.json"
URL_PRODUCTION_JSON = "/production.json?details=1"
URL_PRODUCTION_V1 = "/api/v1/production"
URL_PRODUCTION_INVERTERS = "/api/v1/production/inverters"
URL_DEVICE_DATA = "/ivp/pdm/device_data"
URL_PDM_ENERGY = "/ivp/pdm/energy"
URL_METERS = "/ivp/meters"
URL_METERS_READINGS = "/ivp/meters/readings"
URL_ENSEMBLE_INVENTORY = "/ivp/ensemble/inventory"
URL_ENSEMBLE_STATUS = "/ivp/ensemble/status"
URL_ENSEMBLE_SECCTRL = "/ivp/ensemble/secctrl"
URL_ENSEMBLE_POWER = "/ivp/ensemble/power"
URL_DRY_CONTACT_STATUS = "/ivp/ensemble/dry_contacts"
URL_DRY_CONTACT_SETTINGS = "/ivp/ss/dry_contact_settings"
URL_GRID_RELAY = "/ivp/ensemble/relay"
URL_GENERATOR = "/ivp/ensemble/generator"
URL_TARIFF = "/admin/lib/tariff"
URL_ACB_CONFIG = "/admin/lib/acb_config"
URL_GEN_CONFIG = "/ivp/ss/gen_config"
URL_GEN_SCHEDULE = "/ivp/ss/gen_schedule"
URL_GEN_MODE = "/ivp/ss/gen_mode"
URL_PEL_SETTINGS = "/ivp/ss/pel_settings"
URL_DPEL = "/ivp/ss/dpel"
URL_PV_LIMIT = "/ivp/sc/pvlimit"
URL_INVENTORY_PLAIN = "/inventory.json"
URL_INVENTORY = "/inventory.json?deleted=1"
URL_AUTH_CHECK_JWT = "/auth/check_jwt"


class EndpointKind(StrEnum):
    """What kind of data an endpoint carries: how fresh its values must be.

    The exporter's schedule reads an endpoint at the interval of its kind; under a busy-time
    budget it stretches the least urgent kinds first and never stretches POWER.
    """

    #: power now (production, consumption, net, battery power): changes within seconds
    POWER = "power"
    #: states that change by the minute (battery charge, relays, generator)
    STATE = "state"
    #: device status an alert watches, changed by faults (CT status flags, the ensemble's
    #: devices with the grid relay): read seldom, but often enough to show within 5 minutes
    STATUS = "status"
    #: energy totals another endpoint also carries (production.json once CTs give power)
    ENERGY = "energy"
    #: per-device reports: microinverters report every 5 minutes
    REPORT = "report"
    #: configuration and settings, changed by an installer or the owner
    CONFIG = "config"
    #: what the gateway is: serial, firmware, network
    IDENTITY = "identity"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One gateway endpoint and the kind of data it carries."""

    path: str
    kind: EndpointKind
    #: the kind once CT readings give power now, when that differs (production.json then only
    #: adds energies the CT counters carry)
    kind_with_ct: EndpointKind | None = None


#: read by the client itself (setup(), interface_settings()), not by an updater
CLIENT_ENDPOINTS = (
    Endpoint(URL_INFO, EndpointKind.IDENTITY),
    Endpoint(URL_HOME, EndpointKind.IDENTITY),
)
#: read by no updater yet: `envoy-exporter dump` records them for bug reports and new updaters
RECORDED_ENDPOINTS = (
    Endpoint(URL_PRODUCTION_JSON_PLAIN, EndpointKind.POWER),
    Endpoint(URL_PDM_ENERGY, EndpointKind.REPORT),
    Endpoint(URL_ENSEMBLE_STATUS, EndpointKind.STATE),
    Endpoint(URL_GRID_RELAY, EndpointKind.STATE),
    Endpoint(URL_ACB_CONFIG, EndpointKind.CONFIG),
    Endpoint(URL_INVENTORY_PLAIN, EndpointKind.REPORT),
)

# Enlighten cloud, overridable so that tests can point them at a local fake.
ENLIGHTEN_LOGIN_URL = "https://enlighten.enphaseenergy.com/login/login.json?"
ENLIGHTEN_TOKEN_URL = "https://entrez.enphaseenergy.com/tokens"  # noqa: S105 (a URL)

# Retry policy of the spec: up to 4 tries, or 50 s elapsed at the next try.
MAX_REQUEST_ATTEMPTS = 4
MAX_REQUEST_DELAY = 50.0

# A gateway answer larger than this is refused: the biggest real answer
# (production.json?details=1 of a 3-phase site, inventory of 100+ devices) is under 1 MB.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
