"""The realm's sessions on a shared workstation, over a real HTTPS socket: RP-initiated logout,
the idle timeout, login throttling, and an issuer never taken from an arbitrary Host."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.serving.server import AsgiServer, ServerTls
from sas_web import DevelopmentVendor, create_app
from sas_web.oidc import OidcProvider
from tests.web.conftest import Pki
from tests.web.sso_support import DEV_PASSWORD, Browser, pkce, query_of
from tests.web.test_oidc_provider import (
    CALLBACK,
    CLIENTS,
    PUBLIC,
    authorize,
    dev_settings,
    issuer_of,
    log_in_and_get_code,
    redeem,
    trust,
)

LOGIN = "/realms/sas/login-actions/authenticate"


class Clock:
    """The realm's clock, moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


Realm = Callable[..., AsgiServer]


@pytest.fixture
def realm(engine: Engine, pki: Pki, clock: Clock) -> Iterator[Realm]:
    """Starts the realm with these settings (`dev_settings` plus changes) on the test's clock."""
    servers: list[AsgiServer] = []

    def start(**settings: Any) -> AsgiServer:
        provider = OidcProvider(engine, CLIENTS, dev_settings(**settings), clock=clock)
        app = create_app(identity=DevelopmentVendor(), engine=engine, oidc=provider)
        server = AsgiServer(app, tls=ServerTls(pki.server_chain, pki.server_chain))
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def browser(pki: Pki) -> Iterator[Browser]:
    b = Browser(trust(pki))
    yield b
    b.close()


def silent(browser: Browser, server: AsgiServer) -> dict[str, str]:
    """`prompt=none`: a code while the session lives, `login_required` once it is gone."""
    _, challenge = pkce()
    answer = authorize(
        browser, server, prompt="none", code_challenge=challenge, code_challenge_method="S256"
    )
    assert answer.status_code == 302
    return query_of(answer.headers["location"])


# -- logout --------------------------------------------------------------------------------------


def id_token_of(browser: Browser, server: AsgiServer, pki: Pki, regulator: Regulator) -> str:
    verifier, challenge = pkce()
    code = log_in_and_get_code(browser, server, regulator.email, challenge)
    token: str = redeem(server, pki, code, verifier).json()["id_token"]
    return token


def test_logout_ends_the_session_and_returns_to_the_vendor(
    realm: Realm, pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    server = realm()
    issuer = issuer_of(server)
    doc = browser.get(f"{issuer}/.well-known/openid-configuration").json()
    assert doc["end_session_endpoint"] == f"{issuer}/protocol/openid-connect/logout"
    id_token = id_token_of(browser, server, pki, regulator)
    session_cookie = browser.http.cookies["SAS_SESSION"]

    out = browser.get(
        doc["end_session_endpoint"],
        params={"id_token_hint": id_token, "post_logout_redirect_uri": CALLBACK, "state": "s-9"},
    )
    assert out.status_code == 302
    assert out.headers["location"] == f"{CALLBACK}?state=s-9"
    cleared = out.headers["set-cookie"].lower()
    assert cleared.startswith("sas_session=") and "max-age=0" in cleared
    assert "SAS_SESSION" not in browser.http.cookies
    assert silent(browser, server)["error"] == "login_required"
    # The session is gone on the server too: its old cookie opens nothing.
    with httpx.Client(verify=trust(pki), cookies={"SAS_SESSION": session_cookie}) as stale:
        answer = stale.get(f"{issuer}/account", follow_redirects=False)
        assert answer.status_code == 302 and LOGIN in answer.headers["location"]


def test_logout_redirects_only_to_a_registered_uri(
    realm: Realm, pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    server = realm()
    id_token = id_token_of(browser, server, pki, regulator)
    url = f"{issuer_of(server)}/protocol/openid-connect/logout"
    elsewhere = browser.get(
        url, params={"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example/"}
    )
    assert elsewhere.status_code == 400 and "location" not in elsewhere.headers
    forged = browser.get(url, params={"id_token_hint": id_token[:-4] + "AAAA"})
    assert forged.status_code == 400
    # Neither ended the session.
    assert "code" in silent(browser, server)


def test_logout_without_a_hint_asks_first(
    realm: Realm, pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    """A bare link (an image, a forged link) must not log the regulator out."""
    server = realm()
    _, challenge = pkce()
    log_in_and_get_code(browser, server, regulator.email, challenge)
    url = f"{issuer_of(server)}/protocol/openid-connect/logout"
    asked = browser.get(url, params={"client_id": PUBLIC, "post_logout_redirect_uri": CALLBACK})
    assert asked.status_code == 200
    assert "method='post'" in asked.text and CALLBACK in asked.text
    assert "code" in silent(browser, server)
    confirmed = browser.post(url, data={"client_id": PUBLIC, "post_logout_redirect_uri": CALLBACK})
    assert confirmed.status_code == 302 and confirmed.headers["location"] == CALLBACK
    assert silent(browser, server)["error"] == "login_required"


def test_a_vendors_back_channel_post_with_a_hint_ends_the_regulators_sessions(
    realm: Realm, pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    """A cross-site POST carries no SameSite=Lax cookie: the hint's subject decides."""
    server = realm()
    id_token = id_token_of(browser, server, pki, regulator)
    answer = httpx.post(
        f"{issuer_of(server)}/protocol/openid-connect/logout",
        data={"id_token_hint": id_token},
        verify=trust(pki),
    )
    assert answer.status_code == 200 and "déconnecté" in answer.text
    assert silent(browser, server)["error"] == "login_required"


# -- idle timeout --------------------------------------------------------------------------------


def test_an_idle_session_ends_and_a_used_one_lives_on(
    realm: Realm, browser: Browser, clock: Clock, regulator: Regulator
) -> None:
    server = realm()  # default: 30 min idle, 10 h absolute
    _, challenge = pkce()
    log_in_and_get_code(browser, server, regulator.email, challenge)
    for _ in range(3):  # an hour and a half of use, a hop every 29 minutes
        clock.advance(minutes=29)
        assert "code" in silent(browser, server)
    clock.advance(minutes=31)
    assert silent(browser, server)["error"] == "login_required"


def test_use_never_extends_a_session_past_its_absolute_lifetime(
    realm: Realm, browser: Browser, clock: Clock, regulator: Regulator
) -> None:
    server = realm(session_ttl_s=3600, session_idle_s=1800)
    _, challenge = pkce()
    log_in_and_get_code(browser, server, regulator.email, challenge)
    clock.advance(minutes=25)
    assert "code" in silent(browser, server)
    clock.advance(minutes=25)
    assert "code" in silent(browser, server)
    clock.advance(minutes=11)  # 61 min after login, 11 min after its last use
    assert silent(browser, server)["error"] == "login_required"


# -- login throttling ----------------------------------------------------------------------------


def log_in(client: httpx.Client, server: AsgiServer, email: str, password: str) -> httpx.Response:
    return client.post(f"{server.root_url}{LOGIN}", data={"email": email, "password": password})


def test_after_five_failures_even_the_right_password_waits(
    realm: Realm, browser: Browser, clock: Clock, regulator: Regulator
) -> None:
    server = realm()
    for _ in range(5):
        assert log_in(browser.http, server, regulator.email, "guess").status_code == 401
    refused = log_in(browser.http, server, regulator.email, DEV_PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "Trop de tentatives" in refused.text and "Too many login attempts" in refused.text
    assert refused.headers["content-type"] == "text/html; charset=utf-8"
    assert "SAS_SESSION" not in browser.http.cookies
    # The e-mail's case changes nothing.
    assert log_in(browser.http, server, regulator.email.upper(), DEV_PASSWORD).status_code == 429

    clock.advance(seconds=61)
    assert log_in(browser.http, server, regulator.email, "guess").status_code == 401
    clock.advance(seconds=61)  # the sixth failure doubled the delay
    again = log_in(browser.http, server, regulator.email, DEV_PASSWORD)
    assert again.status_code == 429 and again.headers["retry-after"] == "59"
    clock.advance(seconds=60)
    assert log_in(browser.http, server, regulator.email, DEV_PASSWORD).status_code == 302
    # A success clears the account's count.
    assert log_in(browser.http, server, regulator.email, "guess").status_code == 401


def test_one_address_spraying_many_accounts_is_throttled_too(
    realm: Realm, pki: Pki, clock: Clock, regulator: Regulator
) -> None:
    server = realm()
    with httpx.Client(verify=trust(pki)) as spray:
        for n in range(20):
            assert log_in(spray, server, f"user{n}@sas.example", "guess").status_code == 401
        assert log_in(spray, server, regulator.email, DEV_PASSWORD).status_code == 429
    # Another workstation (another address) is not held back by that one.
    other = httpx.HTTPTransport(verify=trust(pki), local_address="127.0.0.2")
    with httpx.Client(transport=other) as workstation:
        assert log_in(workstation, server, regulator.email, DEV_PASSWORD).status_code == 302
    clock.advance(seconds=61)
    with httpx.Client(verify=trust(pki)) as spray:
        assert log_in(spray, server, regulator.email, DEV_PASSWORD).status_code == 302


# -- hosts ---------------------------------------------------------------------------------------


def discovery(server: AsgiServer, pki: Pki, host: str) -> httpx.Response:
    return httpx.get(
        f"{server.root_url}/realms/sas/.well-known/openid-configuration",
        headers={"Host": host},
        verify=trust(pki),
    )


def test_an_unknown_host_is_refused_not_reflected(realm: Realm, pki: Pki) -> None:
    server = realm()
    refused = discovery(server, pki, "evil.example")
    assert refused.status_code == 400
    assert "evil" not in refused.text
    login = httpx.get(
        f"{server.root_url}/realms/sas/account",
        headers={"Host": "evil.example"},
        verify=trust(pki),
    )
    assert login.status_code == 400 and "location" not in login.headers
    # Loopback stays served (development, health checks): it sends a browser nowhere else.
    assert discovery(server, pki, f"localhost:{server.port}").json()["issuer"] == (
        f"https://localhost:{server.port}/realms/sas"
    )


def test_allowed_hosts_give_their_own_issuer(realm: Realm, pki: Pki) -> None:
    server = realm(allowed_hosts=("sso.sas.example",))
    doc = discovery(server, pki, f"sso.sas.example:{server.port}").json()
    assert doc["issuer"] == f"https://sso.sas.example:{server.port}/realms/sas"
    assert discovery(server, pki, "sso.sas.example.evil.example").status_code == 400


def test_a_configured_issuer_is_the_only_one(realm: Realm, pki: Pki) -> None:
    server = realm(issuer="https://sso.sas.example/realms/sas")
    assert discovery(server, pki, "sso.sas.example").json()["issuer"] == (
        "https://sso.sas.example/realms/sas"
    )
    assert discovery(server, pki, "evil.example").status_code == 400


# -- pages ---------------------------------------------------------------------------------------


def test_pages_escape_what_the_request_says(realm: Realm, pki: Pki) -> None:
    """Templates are autoescaped: a crafted `return_to` or `state` stays an attribute value."""
    server = realm()
    crafted = "x'><script>alert(1)</script>"
    login = httpx.get(f"{server.root_url}{LOGIN}", params={"return_to": crafted}, verify=trust(pki))
    logout = httpx.get(
        f"{issuer_of(server)}/protocol/openid-connect/logout",
        params={"client_id": PUBLIC, "state": crafted},
        verify=trust(pki),
    )
    for page in (login, logout):
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "value='x&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'" in page.text
