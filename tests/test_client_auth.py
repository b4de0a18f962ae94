"""Client authentication against the simulated gateway and its fake Enlighten."""

from __future__ import annotations

import time

import pytest

from envoy_exporter.envoy import Envoy, EnvoyLegacyAuth, EnvoyTokenAuth, SupportedFeatures
from envoy_exporter.envoy.auth import default_local_password, token_claims
from envoy_exporter.envoy.exceptions import (
    EnlightenCredentialsRefused,
    EnlightenUnexpectedAnswer,
    EnlightenUnreachable,
    EnvoyAuthenticationError,
    EnvoyAuthenticationRequired,
)
from envoy_exporter.simulator.auth import SessionStore
from envoy_exporter.simulator.server import SimulatedEnvoy
from envoy_exporter.simulator.source import Answer


def client(sim: SimulatedEnvoy) -> Envoy:
    envoy = Envoy(
        sim.host,
        enlighten_login_url=sim.enlighten_login_url,
        enlighten_token_url=sim.enlighten_token_url,
    )
    envoy.setup()
    return envoy


def paths(sim: SimulatedEnvoy, path: str) -> int:
    return sum(1 for r in sim.request_log if r.path == path)


def test_given_token_is_validated_once_and_used(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(token=sim.token)
    assert isinstance(envoy.auth, EnvoyTokenAuth)
    assert envoy.auth.token == sim.token
    assert envoy.auth.token_type == "owner"
    assert envoy.auth.expire_timestamp > time.time() + 300 * 24 * 3600
    assert envoy.update().system_production is not None
    envoy.close()


def test_token_from_enlighten(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(username=sim.cloud_username, password=sim.cloud_password)
    assert isinstance(envoy.auth, EnvoyTokenAuth)
    assert envoy.auth.token != sim.token
    assert envoy.auth.token_type == "owner"
    assert envoy.request("/ivp/meters").status_code == 200
    envoy.close()


def test_wrong_enlighten_password(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    with pytest.raises(EnvoyAuthenticationError) as caught:
        envoy.authenticate(username=sim.cloud_username, password="not-the-password")
    assert "not-the-password" not in str(caught.value)
    envoy.close()


def test_unreachable_enlighten_is_an_authentication_error(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = Envoy(sim.host, enlighten_login_url="http://127.0.0.1:1/login")
    envoy.set_retry_policy(max_attempts=1)
    envoy.setup()
    with pytest.raises(EnvoyAuthenticationError, match="Enlighten"):
        envoy.authenticate(username="someone", password="secret")
    envoy.close()


def test_no_credentials_at_all(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    with pytest.raises(EnvoyAuthenticationRequired):
        envoy.authenticate()
    envoy.close()


def test_expired_token_without_credentials_is_refused(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    with pytest.raises(EnvoyAuthenticationError, match="expired"):
        envoy.authenticate(token=sim.make_token(expires_in=-60))
    envoy.close()


def test_expired_token_with_credentials_is_renewed(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    old = sim.make_token(expires_in=-60)
    envoy.authenticate(username=sim.cloud_username, password=sim.cloud_password, token=old)
    assert isinstance(envoy.auth, EnvoyTokenAuth)
    assert envoy.auth.token != old
    assert envoy.auth.expire_timestamp > time.time()
    envoy.close()


def test_token_refused_by_the_gateway(simulator) -> None:
    sim = simulator("metered-3phase")
    other = simulator("battery")  # a token signed for another gateway
    envoy = client(sim)
    with pytest.raises(EnvoyAuthenticationError, match="check_jwt"):
        envoy.authenticate(token=other.token)
    envoy.close()


def test_garbage_token_is_refused_without_printing_it(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    with pytest.raises(EnvoyAuthenticationError) as caught:
        envoy.authenticate(token="not.a.jwt-secret")
    assert "jwt-secret" not in str(caught.value)
    envoy.close()


@pytest.mark.parametrize(
    "token",
    [
        "secret-without-dots",  # not three parts
        "a.secret.b.c",
        "a.!!secret!!.c",  # not base64url
        "a.c2VjcmV0.c",  # base64 of "secret": not JSON
        "a.WyJzZWNyZXQiXQ.c",  # a JSON list, not an object of claims
    ],
)
def test_unreadable_token_claims_are_one_clear_error(token: str) -> None:
    with pytest.raises(EnvoyAuthenticationError, match="not a readable JWT") as caught:
        token_claims(token)
    assert "secret" not in str(caught.value)


def test_token_claims_read_the_payload(simulator) -> None:
    sim = simulator("battery")
    claims = token_claims(sim.make_token("installer"))
    assert claims["enphaseUser"] == "installer"
    assert claims["exp"] > time.time()


def test_installer_token_type(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(token=sim.make_token("installer", 3600))
    assert isinstance(envoy.auth, EnvoyTokenAuth)
    assert envoy.auth.token_type == "installer"
    envoy.close()


def test_session_cookie_is_reused_instead_of_the_token(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(token=sim.token)
    assert isinstance(envoy.auth, EnvoyTokenAuth)
    assert "sessionId" in envoy.auth.cookies
    for _ in range(3):
        envoy.update()
    assert paths(sim, "/auth/check_jwt") == 1
    assert len(sim.request_log) > 10
    assert all(r.status != 401 for r in sim.request_log)
    envoy.close()


def test_401_revalidates_once_then_retries(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(token=sim.token)
    sim.sessions = SessionStore()  # the gateway forgets its sessions (a reboot)
    assert envoy.request("/ivp/meters").status_code == 200
    assert paths(sim, "/auth/check_jwt") == 2
    statuses = [r.status for r in sim.request_log if r.path == "/ivp/meters"]
    assert statuses == [401, 200]
    envoy.close()


def test_401_after_revalidation_raises(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(token=sim.token)
    sim.sessions = SessionStore()
    # The gateway no longer accepts this token either (e.g. it was revoked).
    sim.tokens = type(sim.tokens)(sim.serial)
    with pytest.raises(EnvoyAuthenticationRequired):
        envoy.request("/ivp/meters")
    assert paths(sim, "/auth/check_jwt") == 2
    envoy.close()


def test_refused_token_is_renewed_from_enlighten_when_credentials_are_known(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(username=sim.cloud_username, password=sim.cloud_password)
    assert isinstance(envoy.auth, EnvoyTokenAuth)
    first = envoy.auth.token
    sim.sessions = SessionStore()
    # The gateway forgets its sessions and the token goes bad: a fresh one is needed.
    sim.tokens = type(sim.tokens)(sim.serial)
    sim.enlighten.tokens = sim.tokens
    assert envoy.request("/ivp/meters").status_code == 200
    assert envoy.auth.token != first
    envoy.close()


def test_request_before_authenticate(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    with pytest.raises(EnvoyAuthenticationRequired):
        envoy.request("/ivp/meters")
    envoy.close()


# -- firmware < 7: digest ------------------------------------------------------------------


def test_digest_with_the_envoy_user(simulator) -> None:
    sim = simulator("legacy")
    envoy = client(sim)
    envoy.authenticate(username="envoy", password=sim.local_users["envoy"])
    assert isinstance(envoy.auth, EnvoyLegacyAuth)
    assert envoy.update().system_production is not None
    assert any(r.status == 401 for r in sim.request_log)  # the challenge was answered
    envoy.close()


def test_digest_envoy_user_default_password_is_the_serial_tail(simulator) -> None:
    sim = simulator("legacy")
    envoy = client(sim)
    envoy.authenticate(username="envoy")
    assert envoy.update().system_production is not None
    envoy.close()


def test_digest_installer(simulator) -> None:
    sim = simulator("legacy")
    envoy = client(sim)
    envoy.authenticate(username="installer", password=sim.local_users["installer"])
    assert envoy.request("/api/v1/production/inverters").status_code == 200
    envoy.close()


def test_digest_wrong_password(simulator) -> None:
    sim = simulator("legacy")
    envoy = client(sim)
    envoy.authenticate(username="envoy", password="wrong")
    # /api/v1/production/inverters is behind digest on these gateways.
    with pytest.raises(EnvoyAuthenticationRequired, match="inverters"):
        envoy.request("/api/v1/production/inverters")
    statuses = [r.status for r in sim.request_log if r.path == "/api/v1/production/inverters"]
    assert statuses == [401, 401]  # the challenge, then the refused answer to it
    envoy.close()


def test_installer_default_password_matches_the_published_scheme() -> None:
    envoy_utils = pytest.importorskip("envoy_utils.envoy_utils")
    for serial in ("121426016034", "122112123456", "202312345678"):
        expected = envoy_utils.EnvoyUtils.get_password(serial, "installer")
        assert default_local_password(serial, "installer") == expected
    assert default_local_password("121426016034", "envoy") == "016034"


def test_permission_401s_in_a_cycle_renew_the_session_only_once(simulator) -> None:
    # An owner token on endpoints this account may not read: 401 however fresh the session.
    sim = simulator("metered-3phase")
    envoy = client(sim)
    envoy.authenticate(token=sim.token)
    original = sim.source.answer
    refused = ("/ivp/meters", "/admin/lib/tariff", "/ivp/ensemble/inventory")

    def answer(path: str, now: float) -> Answer | None:
        if path in refused:
            return Answer(401, b'{"status": 401}')
        return original(path, now)

    sim.source.answer = answer
    envoy.probe()
    assert paths(sim, "/auth/check_jwt") == 2  # authenticate + one renewal in the cycle
    assert envoy.supported_features & SupportedFeatures.PRODUCTION
    envoy.close()


# -- Enlighten failures, told apart -------------------------------------------------------


def test_enlighten_failures_say_which_kind(simulator) -> None:
    sim = simulator("metered-3phase")
    envoy = client(sim)
    with pytest.raises(EnlightenCredentialsRefused, match="username or password") as refused:
        envoy.authenticate(username=sim.cloud_username, password="not-the-password")
    assert refused.value.reason == "refused"
    assert "not-the-password" not in str(refused.value)
    sim.enlighten.changed_flow = True
    with pytest.raises(EnlightenUnexpectedAnswer) as unexpected:
        envoy.authenticate(username=sim.cloud_username, password=sim.cloud_password)
    assert unexpected.value.reason == "unexpected"
    assert sim.enlighten.logins == 2
    envoy.close()
    gone = Envoy(sim.host, enlighten_login_url="http://127.0.0.1:1/login")
    gone.set_retry_policy(max_attempts=1)
    gone.setup()
    with pytest.raises(EnlightenUnreachable) as unreachable:
        gone.authenticate(username=sim.cloud_username, password=sim.cloud_password)
    assert unreachable.value.reason == "unreachable"
    gone.close()


def test_a_token_for_another_gateway_is_refused_as_such(simulator) -> None:
    sim = simulator("metered-3phase")
    auth = EnvoyTokenAuth(
        sim.host,
        cloud_username=sim.cloud_username,
        cloud_password=sim.cloud_password,
        envoy_serial="999999999999",
        login_url=sim.enlighten_login_url,
        token_url=sim.enlighten_token_url,
    )
    with pytest.raises(EnlightenCredentialsRefused, match="999999999999"):
        auth.refresh()
