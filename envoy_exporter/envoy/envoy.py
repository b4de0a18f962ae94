"""Envoy: one gateway's client. setup -> authenticate -> probe -> update."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from packaging.version import Version
from urllib3.exceptions import InsecureRequestWarning, LocationParseError
from urllib3.util import parse_url

from .actions import EnvoyActions
from .auth import EnvoyAuth, choose_auth
from .const import (
    ENLIGHTEN_LOGIN_URL,
    ENLIGHTEN_TOKEN_URL,
    MAX_REQUEST_ATTEMPTS,
    MAX_REQUEST_DELAY,
    URL_HOME,
    SupportedFeatures,
)
from .exceptions import (
    EnvoyAnswerTooLarge,
    EnvoyAuthenticationRequired,
    EnvoyError,
    EnvoyHTTPStatusError,
    EnvoyPoorDataQuality,
    EnvoyProbeFailed,
)
from .firmware import EnvoyFirmware
from .http import DEFAULT_TIMEOUT, RequestListener, ResponseStore, Timeout
from .json import json_loads
from .models.common import CommonProperties
from .models.envoy import EnvoyData
from .models.home import EnvoyInterfaceInformation
from .models.meters import CtType, EnvoyPhaseMode
from .reading import PartRead, ReadSession, guarded, merge, read_part
from .retry import retry_policy
from .transport import GatewayHTTP, mount_gateway_adapter
from .updaters import UPDATERS
from .updaters.base import SHAPE_ERRORS, EnvoyUpdater

_LOGGER = logging.getLogger(__name__)


class Envoy(EnvoyActions):
    """Client of one Enphase Envoy (IQ Gateway), synchronous, over one requests.Session."""

    def __init__(
        self,
        host: str,
        client: requests.Session | None = None,
        timeout: Timeout | None = None,
        *,
        verify_ssl: bool = False,
        enlighten_login_url: str = ENLIGHTEN_LOGIN_URL,
        enlighten_token_url: str = ENLIGHTEN_TOKEN_URL,
    ) -> None:
        _check_host(host)
        self._host = host
        self._own_session = client is None
        session = client if client is not None else _own_session()
        # Only this gateway's URLs go through our adapter (TLS context, retries); a session
        # given by the caller keeps its behaviour for every other URL.
        self._adapter = mount_gateway_adapter(session, host, verify_ssl, retry_policy())
        if not verify_ssl:
            _silence_unverified_warning(host)
        self._http = GatewayHTTP(session, timeout or DEFAULT_TIMEOUT, verify_ssl)
        self._enlighten_login_url = enlighten_login_url
        self._enlighten_token_url = enlighten_token_url
        self._firmware = EnvoyFirmware(self._http, host)
        self.auth: EnvoyAuth | None = None
        self.data: EnvoyData | None = None
        #: answers a caller keeps for reuse; consulted by request() for GETs only
        self.response_store: ResponseStore | None = None
        self._common_properties = CommonProperties()
        self._supported_features: SupportedFeatures | None = None
        self._updaters: list[EnvoyUpdater] = []
        self._interface_settings: EnvoyInterfaceInformation | None = None
        self._session: ReadSession | None = None
        self._too_large: dict[str, str] = {}

    # -- life cycle ---------------------------------------------------------------

    def setup(self) -> None:
        """Read the firmware version, serial and part number from /info (no auth needed)."""
        self._firmware.setup()
        self._interface_settings = None

    def close(self) -> None:
        """Close the session, if the Envoy created it (a caller's session stays open)."""
        if self._own_session:
            self._http.session.close()

    def authenticate(
        self, username: str | None = None, password: str | None = None, token: str | None = None
    ) -> None:
        """Set up authentication for the firmware found by setup().

        Firmware < 7: HTTP digest with the local user "envoy" or "installer" (the default;
        a missing password is the factory one). Firmware >= 7: the token, or one obtained
        from Enlighten with username and password; validated with the gateway.
        """
        version = self._require_firmware()
        auth = choose_auth(
            version,
            self._host,
            self._firmware.serial,
            username,
            password,
            token,
            login_url=self._enlighten_login_url,
            token_url=self._enlighten_token_url,
        )
        auth.setup(self._http)
        self.auth = auth

    def set_retry_policy(
        self,
        max_attempts: int = MAX_REQUEST_ATTEMPTS,
        max_delay: float = MAX_REQUEST_DELAY,
        backoff_factor: float = 0.5,
    ) -> None:
        """Change how request() and setup() retry connection failures."""
        policy = retry_policy(max_attempts, max_delay, backoff_factor)
        self._adapter.max_retries = policy
        self._firmware.retry = policy

    def add_request_listener(self, listener: RequestListener) -> Callable[[], None]:
        """Call `listener` with a RequestRecord after every exchange with the gateway.

        Returns a function that removes the listener again.
        """
        self._http.listeners.append(listener)
        return lambda: self._http.listeners.remove(listener)

    # -- requests -----------------------------------------------------------------

    def request(
        self, endpoint: str, data: dict[str, Any] | None = None, method: str | None = None
    ) -> requests.Response:
        """GET an endpoint, or send `data` as JSON (POST unless `method` says otherwise).

        Connection failures are retried (4 tries, 50 s). A 401 renews the gateway session
        once and retries; a second 401 or a 403 raises EnvoyAuthenticationRequired.
        """
        verb = (method or ("POST" if data is not None else "GET")).upper()
        # The caller's store, else the answers of the pass under way (several updaters read
        # production.json: the gateway answers it once per pass).
        store = (self.response_store or self._session) if verb == "GET" else None
        if store is not None and (stored := store.get(endpoint)) is not None:
            return stored
        response = self._authenticated(endpoint, verb, data, retry=True)
        if store is not None and 200 <= response.status_code < 300:
            store.put(endpoint, response)
        return response

    def probe_request(self, endpoint: str) -> requests.Response:
        """GET an endpoint once, without retries (probes must not hang on what is absent)."""
        return self._authenticated(endpoint, "GET", None, retry=False)

    def _authenticated(
        self, endpoint: str, verb: str, data: dict[str, Any] | None, retry: bool
    ) -> requests.Response:
        auth = self.auth
        if auth is None:
            raise EnvoyAuthenticationRequired("authenticate() before making requests")
        url = auth.get_endpoint_url(endpoint)
        extra: dict[str, Any] = {} if data is None else {"json": data}

        def send() -> requests.Response:
            return self._http.send(
                verb, url, endpoint, retry=retry, **auth.request_kwargs(), **extra
            )

        response = send()
        if response.status_code == 401 and self._may_renew() and auth.revalidate(self._http):
            response = send()
        if response.status_code in (401, 403):
            raise EnvoyAuthenticationRequired(
                f"{endpoint}: HTTP {response.status_code}, the gateway refused the credentials"
            )
        return response

    def _json_request(
        self, end_point: str, data: dict[str, Any] | None, method: str | None = None
    ) -> Any:
        response = self.request(end_point, data, method)
        if not 200 <= response.status_code < 300:
            raise EnvoyHTTPStatusError(response.status_code, response.url)
        return json_loads(end_point, response.content)

    def interface_settings(self) -> EnvoyInterfaceInformation | None:
        """The active network interface (from /home, read once until the next setup())."""
        if self._interface_settings is None:
            try:
                home = self._json_request(URL_HOME, None)
                self._interface_settings = EnvoyInterfaceInformation.from_api(home)
            except EnvoyError as err:
                _LOGGER.debug("no interface information from %s: %s", URL_HOME, err)
            except SHAPE_ERRORS as err:
                _LOGGER.debug("unexpected %s answer: %r", URL_HOME, err)
        return self._interface_settings

    # -- probe and update ---------------------------------------------------------

    @property
    def updaters(self) -> list[EnvoyUpdater]:
        """The updaters kept by the last probe(), in run order."""
        return list(self._updaters)

    def probe(self) -> None:
        """Find what the gateway reports: keep each updater whose probe finds a feature."""
        version = self._require_firmware()
        self._common_properties.reset_probe_properties(is_metered=self.is_metered)
        found = SupportedFeatures(0)
        kept: list[EnvoyUpdater] = []
        self._too_large = {}
        with self.reading():
            for klass in UPDATERS:
                updater = klass(version, self._probe_get, self.request, self._common_properties)
                features = guarded(updater, updater.probe, found)
                if features:
                    found |= features
                    kept.append(updater)
        if not found & SupportedFeatures.PRODUCTION:
            raise EnvoyProbeFailed("no solar production data found on the gateway")
        self._updaters = kept
        self._supported_features = found

    def update(self) -> EnvoyData:
        """Read every kept updater's part (probing first if needed) into one EnvoyData.

        The first part that fails raises its error; all-zero production on firmware 3.x
        raises EnvoyPoorDataQuality.
        """
        if self._supported_features is None:
            self.probe()
        parts: list[EnvoyData] = []
        with self.reading() as session:
            for updater in self._updaters:
                read = self.read_part(updater)
                if read.error is not None:
                    raise read.error
                if read.poor_quality:
                    raise EnvoyPoorDataQuality(read.poor_quality)
                parts.append(read.data or EnvoyData())
        data = merge(parts)
        data.raw = session.raw
        self.data = data
        return data

    @contextmanager
    def reading(self) -> Iterator[ReadSession]:
        """A pass over the parts: answers shared (unless a response store is set) and at most
        one session renewal after a 401 until the block ends."""
        self._session = session = ReadSession()
        try:
            yield session
        finally:
            self._session = None

    def read_part(self, updater: EnvoyUpdater) -> PartRead:
        """One updater's part on its own EnvoyData; an error is kept in the result, classified
        (refused, unreachable, not found, bad data, bug), never raised."""
        return read_part(updater, self._session or ReadSession(), self._require_firmware())

    def _probe_get(self, endpoint: str) -> requests.Response:
        session = self._session
        if session is not None and (kept := session.get(endpoint)) is not None:
            return kept
        try:
            response = self.probe_request(endpoint)
        except EnvoyAnswerTooLarge as err:
            self._too_large[endpoint] = err.reason
            raise
        if response.status_code == 200:
            # The caller's store keeps it too: the first read after a probe would otherwise
            # ask the gateway again for answers just as fresh (9 of 28 requests at connect).
            for keep in (session, self.response_store):
                if keep is not None:
                    keep.put(endpoint, response)
        return response

    def _may_renew(self) -> bool:
        session = self._session
        if session is None:
            return True
        renewed, session.renewed = session.renewed, True
        return not renewed

    def _require_firmware(self) -> Version:
        version = self._firmware.version
        if version is None:
            raise EnvoyError("setup() must read the firmware version first")
        return version

    # -- properties -----------------------------------------------------------------

    @property
    def host(self) -> str:
        """The host given at construction (may carry a port)."""
        return self._host

    @property
    def firmware(self) -> Version | None:
        """Firmware version from /info; None before setup()."""
        return self._firmware.version

    @property
    def part_number(self) -> str | None:
        """Part number from /info."""
        return self._firmware.part_number

    @property
    def serial_number(self) -> str | None:
        """Serial number from /info."""
        return self._firmware.serial

    @property
    def is_metered(self) -> bool:
        """The imeter flag of /info."""
        return self._firmware.is_metered

    @property
    def too_large(self) -> dict[str, str]:
        """Endpoints whose answer exceeded the size limit at the last probe, with the reason
        (the updaters reading them were left out)."""
        return dict(self._too_large)

    @property
    def supported_features(self) -> SupportedFeatures:
        """Features found by the last probe(); none before it."""
        return self._supported_features or SupportedFeatures(0)

    @property
    def phase_count(self) -> int:
        """Phases configured for the CT meters."""
        return self._common_properties.phase_count

    @property
    def active_phase_count(self) -> int:
        """Phases actually reported by the production/consumption report."""
        return self._common_properties.active_phase_count

    @property
    def ct_meter_count(self) -> int:
        """Configured current transformers."""
        return self._common_properties.ct_meter_count

    @property
    def consumption_meter_type(self) -> CtType | None:
        """net-consumption, total-consumption or None."""
        return self._common_properties.consumption_meter_type

    @property
    def production_meter_type(self) -> CtType | None:
        """production or None."""
        return self._common_properties.production_meter_type

    @property
    def storage_meter_type(self) -> CtType | None:
        """storage or None."""
        return self._common_properties.storage_meter_type

    @property
    def phase_mode(self) -> EnvoyPhaseMode | None:
        """CT phase mode: single, split or three."""
        return self._common_properties.phase_mode

    @property
    def acb_count(self) -> int:
        """ACB batteries in the storage section of production.json."""
        return self._common_properties.acb_batteries_reported

    @property
    def envoy_model(self) -> str:
        """E.g. "Envoy, phases: 2, phase mode: split, net-consumption CT, production CT"."""
        parts = ["Envoy"]
        if self.phase_count > 1 or self.ct_meter_count > 0:
            parts += [f"phases: {self.phase_count}", f"phase mode: {self.phase_mode}"]
        for ct_type in (
            self.consumption_meter_type,
            self.production_meter_type,
            self.storage_meter_type,
        ):
            if ct_type:
                parts.append(f"{ct_type} CT")
        return ", ".join(parts)


def _check_host(host: str) -> None:
    try:
        parsed = parse_url(f"https://{host}/")
    except LocationParseError as err:
        raise EnvoyError(f"invalid gateway host {host!r}: {err}") from err
    # urllib3 < 2.8 lets a space or a control character through in a host.
    if not parsed.host or parsed.path != "/" or not host.isprintable() or " " in host:
        raise EnvoyError(f"invalid gateway host {host!r}: expected NAME or NAME:PORT")


def _own_session() -> requests.Session:
    session = requests.Session()
    # A gateway is on the local network: no proxy from the environment, and no .netrc
    # credentials that requests would otherwise add to token-authenticated requests.
    session.trust_env = False
    return session


def _silence_unverified_warning(host: str) -> None:
    # Gateways present self-signed certificates: not verifying them is the documented
    # default, so urllib3's per-request warning is noise — for this host only.
    hostname = parse_url(f"https://{host}").host or host
    warnings.filterwarnings(
        "ignore",
        message=f"Unverified HTTPS request is being made to host '{re.escape(hostname)}'",
        category=InsecureRequestWarning,
    )
