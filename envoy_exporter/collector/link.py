"""A target's connection life, as one explicit state: the stage reached (connect: /info, log
in, probe, ready) and the deadlines of the checks that send it back (a new firmware, devices
added, a token near its expiry)."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..envoy.auth import EnvoyTokenAuth
from ..envoy.const import ENLIGHTEN_LOGIN_URL, ENLIGHTEN_TOKEN_URL, URL_PRODUCTION_INVERTERS
from ..envoy.envoy import Envoy
from ..envoy.exceptions import (
    ENLIGHTEN_REASONS,
    EnlightenError,
    EnvoyAuthenticationError,
    EnvoyAuthenticationRequired,
    EnvoyError,
)
from .config import TargetConfig
from .parts import token_expiry
from .stats import RequestStats
from .token_store import TokenStore

_LOGGER = logging.getLogger(__name__)

# The gateway or Enlighten refused the credentials, the token expired, or none could be had.
AUTH_ERRORS = (EnvoyAuthenticationError, EnvoyAuthenticationRequired)
REFUSED = ("401", "403")
#: /info is read again this often (and after every unreadable refresh) to notice a new firmware
INFO_CHECK_INTERVAL = 3600.0
# A full probe reads the slow endpoints (production.json 2-5 s, /home ~6 s): hourly /info checks
# catch firmware changes and a 404 catches a vanished endpoint, so the periodic probe, for
# devices an installer adds, is daily.
REPROBE_INTERVAL = 86400.0
#: a token this close to its expiry is replaced from Enlighten (when credentials are known)
TOKEN_REFRESH_MARGIN = 3600.0
TOKEN_RETRY_DELAY = 300.0
#: tries per request: the exporter reads again at the next refresh anyway, and a scrape
#: should not hang for the client's default 50 s of retries
REQUEST_ATTEMPTS = 2
#: probes in a row when probe requests get lost
PROBE_ATTEMPTS = 3


class Stage(enum.Enum):
    """How far the connection got. Any failure before READY starts over at CONNECT."""

    CONNECT = "connect"  # no client: read /info next
    LOGIN = "login"  # /info read: authenticate next
    PROBE = "probe"  # logged in: find the parts next
    READY = "ready"  # parts may be read


@dataclass
class Deadlines:
    """Monotonic times at which a READY link goes back a stage; 0 means at the next refresh."""

    info: float = 0.0  # read /info again: a new firmware or serial starts over
    probe: float = 0.0  # probe again: devices added, an endpoint vanished
    token_retry: float = 0.0  # earliest retry of a failed token renewal


class Link:
    """Owns the Envoy client of one target and moves it through the stages."""

    def __init__(
        self,
        config: TargetConfig,
        stats: RequestStats,
        on_connect: Callable[[Envoy], None],
        on_probe: Callable[[Envoy], None],
    ) -> None:
        self.config = config
        self.stage = Stage.CONNECT
        self.due = Deadlines()
        self.envoy: Envoy | None = None
        #: whether the credentials failed at the last login or probe; None when unknown
        self.auth_failed: bool | None = None
        self._stats = stats
        self._on_connect = on_connect
        self._on_probe = on_probe
        self._seen_updaters: set[str] = set()
        self._probe_refused = False
        #: the configured token last logged in with (a token file's content changes)
        self._given_token: str | None = None
        # Enlighten limits logins: a token it gave is kept across restarts where asked.
        keep = config.state_dir is not None and config.username and config.password
        self._tokens = TokenStore(config.state_dir) if keep and config.state_dir else None
        self._kept_token: str | None = None
        #: Enlighten failures by kind (EnlightenError.reason), since start
        self.enlighten_failures: dict[str, int] = dict.fromkeys(ENLIGHTEN_REASONS, 0)

    @property
    def name(self) -> str:
        return self.config.name

    def ready(self, now: float, wall: float) -> Envoy:
        """Take the link to READY, running the checks whose deadline passed; raises the
        EnvoyError of a failing step. A failure to connect, log in or probe starts over at
        CONNECT (the client closed); a failed /info check stays READY and checks again."""
        was_ready = self.stage is Stage.READY
        if was_ready and now >= self.due.info:
            self._reread_info(now)
        if self.stage is Stage.READY and now >= self.due.probe:
            self.stage = Stage.PROBE
        try:
            if self.stage is Stage.CONNECT:
                self._connect(now)
            if self.stage is Stage.LOGIN:
                self._login(fresh=False)
            if self.stage is Stage.PROBE:
                self._probe(now)
        except EnvoyError as err:
            # Unreachable before a login: nothing is known of the credentials, and the
            # gateway-down alert, not the authentication one, should speak.
            self.auth_failed = True if isinstance(err, AUTH_ERRORS) else None
            self.drop()
            raise
        envoy = self.envoy
        assert envoy is not None
        if was_ready and self.config.current_token() != self._given_token:
            _LOGGER.info("target %s: the token file changed, using its new token", self.name)
            self.login_again(fresh=False)
        if was_ready:  # a login of this very refresh is fresh enough
            self._renew_token(envoy, now, wall)
        return envoy

    def login_again(self, *, fresh: bool = True) -> None:
        """Log in once more (after a refused read: a new token when credentials are known).
        Raises when refused; the link then starts over."""
        try:
            self._login(fresh=fresh)
        except EnvoyError as err:
            self.auth_failed = True if isinstance(err, AUTH_ERRORS) else None
            self.drop()
            raise

    def ping_info(self, now: float) -> bool:
        """Read /info (no login needed) now: whether the gateway answered; a new firmware or serial
        means another gateway, and the link starts over."""
        try:
            self._reread_info(now)
        except EnvoyError:
            return False
        return True

    def _reread_info(self, now: float) -> None:
        envoy = self.envoy
        assert envoy is not None
        before = (str(envoy.firmware), envoy.serial_number)
        self.due.info = now  # until /info answers: again at the next refresh
        envoy.setup()
        self.due.info = now + INFO_CHECK_INTERVAL
        after = (str(envoy.firmware), envoy.serial_number)
        if after != before:
            _LOGGER.info(
                "target %s: gateway changed (%s -> %s), probing again", self.name, before, after
            )
            self.drop()

    def suspect(self, now: float) -> None:
        """The refresh read nothing: check /info at the next one."""
        self.due.info = now

    def vanished(self, now: float) -> None:
        """An endpoint answered 404: the gateway may have changed, probe at the next refresh."""
        self.due.probe = now

    def drop(self) -> None:
        """Close the client: the next refresh starts over at CONNECT."""
        if self.envoy is not None:
            self.envoy.close()
            self.envoy = None
        self.stage = Stage.CONNECT

    # -- the steps ------------------------------------------------------------------------

    def _connect(self, now: float) -> None:
        cfg = self.config
        envoy = Envoy(
            cfg.host,
            timeout=cfg.timeout,
            verify_ssl=cfg.verify_tls,
            enlighten_login_url=cfg.enlighten_login_url or ENLIGHTEN_LOGIN_URL,
            enlighten_token_url=cfg.enlighten_token_url or ENLIGHTEN_TOKEN_URL,
        )
        envoy.set_retry_policy(max_attempts=REQUEST_ATTEMPTS, max_delay=cfg.timeout)
        self._on_connect(envoy)
        self.envoy = envoy
        envoy.setup()
        self.due.info = now + INFO_CHECK_INTERVAL
        self.stage = Stage.LOGIN

    def _login(self, *, fresh: bool) -> None:
        cfg = self.config
        envoy = self.envoy
        assert envoy is not None
        given = cfg.current_token()
        token = None if fresh and cfg.username and cfg.password else given
        saved = None if fresh or token else self._saved_token(envoy)
        try:
            self._authenticate(envoy, token or saved)
        except EnvoyAuthenticationError:
            if saved is None:
                raise
            # The gateway no longer takes the saved token: ask Enlighten for a new one.
            self._authenticate(envoy, None)
        self._keep_token(envoy)
        self._given_token = given
        if self.stage is Stage.LOGIN:
            self.stage = Stage.PROBE

    def _authenticate(self, envoy: Envoy, token: str | None) -> None:
        try:
            envoy.authenticate(self.config.username, self.config.password, token)
        except EnlightenError as err:
            self.enlighten_failures[err.reason] = self.enlighten_failures.get(err.reason, 0) + 1
            raise

    def _saved_token(self, envoy: Envoy) -> str | None:
        serial = envoy.serial_number or self.config.serial
        if self._tokens is None or not serial or not self.config.username:
            return None
        self._kept_token = self._tokens.load(serial, self.config.username)
        return self._kept_token

    def _keep_token(self, envoy: Envoy) -> None:
        """Save a token Enlighten gave (not a configured one) in the state directory."""
        auth, serial, username = envoy.auth, envoy.serial_number, self.config.username
        if self._tokens is None or not isinstance(auth, EnvoyTokenAuth) or not serial:
            return
        try:
            token = auth.token
        except EnvoyError:
            return
        if token not in (self._kept_token, self.config.current_token()) and username:
            self._tokens.save(serial, username, token)
            self._kept_token = token

    def _probe(self, now: float) -> None:
        envoy = self.envoy
        assert envoy is not None
        refused_before = self._stats.count(URL_PRODUCTION_INVERTERS, REFUSED)
        # A probe request lost on the way (the probe does not retry) would hide a feature
        # until the next probe: probe again at once, a few times at most.
        for _ in range(PROBE_ATTEMPTS):
            errors_before = self._stats.transport_errors
            envoy.probe()
            if self._stats.transport_errors == errors_before:
                break
        updaters = envoy.updaters
        names = {u.name for u in updaters}
        # Every account may read the inverters (an owner token, the `envoy` digest user): a
        # refusal there is the credentials', not a missing feature. The probe only drops the
        # part (firmware < 7 serves production without a login, so the gateway stays up).
        refused = self._stats.count(URL_PRODUCTION_INVERTERS, REFUSED) > refused_before
        self._probe_refused = refused and not any(
            URL_PRODUCTION_INVERTERS in u.endpoints for u in updaters
        )
        if self._probe_refused:
            _LOGGER.warning(
                "target %s: the gateway refuses the credentials for %s",
                self.name,
                URL_PRODUCTION_INVERTERS,
            )
        # A part lost since an earlier probe (an endpoint answering 404 while the gateway
        # boots) is looked for again at the next hourly /info check; otherwise daily.
        missing = bool(self._seen_updaters - names)
        self._seen_updaters |= names
        self.due.probe = now + (INFO_CHECK_INTERVAL if missing else REPROBE_INTERVAL)
        self._on_probe(envoy)
        self.stage = Stage.READY

    def note_reads(self, refused: bool, read_any: bool) -> None:
        """What a refresh's reads say of the credentials: refused after a fresh login, or
        accepted (a part was read): the probe's verdict on the inverters stands."""
        if refused or read_any:
            self.auth_failed = refused or self._probe_refused

    def _renew_token(self, envoy: Envoy, now: float, wall: float) -> None:
        expiry = token_expiry(envoy)
        cfg = self.config
        remaining = None if expiry is None else expiry - wall
        if remaining is None or remaining > TOKEN_REFRESH_MARGIN or now < self.due.token_retry:
            return
        if not (cfg.username and cfg.password):
            return  # nothing to renew it with: the expiry metric tells the user
        try:
            self._authenticate(envoy, None)
            self._keep_token(envoy)
            _LOGGER.info("target %s: token renewed from Enlighten", self.name)
        except EnvoyError as err:
            _LOGGER.warning("target %s: token renewal failed: %s", self.name, err)
            self.due.token_retry = now + TOKEN_RETRY_DELAY
