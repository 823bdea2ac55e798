"""The `pro-sante-connect` login: the platform's realm as a relying party of an upstream
provider, over real sockets. Pro Santé Connect is not reachable here, so a second instance of
the realm (local login, its own database) plays it, and its national id claim is mapped."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.accounts.regulators import add_regulator
from sas_core.serving.server import AsgiServer, ServerTls
from sas_core.storage import create_engine_for, upgrade
from sas_web import DevelopmentVendor, create_app
from sas_web.oidc import OidcClient, OidcProvider, OidcSettings, parse_clients
from tests.web.conftest import Pki
from tests.web.sso_support import DEV_PASSWORD, Browser, pkce, query_of

CALLBACK = "https://vendor.example/callback"
UPSTREAM_SECRET = "platform-at-psc-secret-0123"
NATIONAL_ID = "810002345678"


def person(engine: Engine, national_id: str) -> Regulator:
    return add_regulator(
        engine,
        family="Durand",
        given="Paul",
        email="paul.durand@sas.example",
        territory="SAS-33",
        national_id=national_id,
    )


@pytest.fixture
def upstream(tmp_path: Path, pki: Pki) -> Iterator[tuple[AsgiServer, OidcProvider, Engine]]:
    """The stand-in for Pro Santé Connect, on `localhost` (cookies do not mix with the
    platform's on 127.0.0.1, as two real hosts' would not)."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'psc.sqlite3'}")
    upgrade(engine)
    provider = OidcProvider(
        engine,
        {},
        OidcSettings(login="local", development=True, dev_password=SecretStr(DEV_PASSWORD)),
    )
    app = create_app(identity=DevelopmentVendor(), engine=engine, oidc=provider)
    server = AsgiServer(app, host="localhost", tls=ServerTls(pki.server_chain, pki.server_chain))
    with server:
        yield server, provider, engine
    engine.dispose()


@pytest.fixture
def platform(
    engine: Engine, pki: Pki, upstream: tuple[AsgiServer, OidcProvider, Engine]
) -> Iterator[AsgiServer]:
    up_server, up_provider, _ = upstream
    settings = OidcSettings(
        login="pro-sante-connect",
        upstream_issuer=f"{up_server.root_url}/realms/sas",
        upstream_client_id="sas-platform",
        upstream_client_secret=SecretStr(UPSTREAM_SECRET),
        upstream_scopes="openid email profile",
        upstream_id_claim="idnps",
        upstream_ca_bundle=pki.ca_file,
    )
    provider = OidcProvider(
        engine, parse_clients({"acme": {"redirect_uris": [CALLBACK]}}), settings
    )
    app = create_app(identity=DevelopmentVendor(), engine=engine, oidc=provider)
    with AsgiServer(app, tls=ServerTls(pki.server_chain, pki.server_chain)) as server:
        up_provider.clients["sas-platform"] = OidcClient(
            "sas-platform",
            "SAS platform",
            (f"{server.root_url}/realms/sas/broker/psc/endpoint",),
            UPSTREAM_SECRET,
        )
        yield server


def start(browser: Browser, platform: AsgiServer) -> str:
    """A vendor's authorization request at the platform; returns where the browser lands."""
    _, challenge = pkce()
    answer = browser.get(
        f"{platform.root_url}/realms/sas/protocol/openid-connect/auth",
        params={
            "client_id": "acme",
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid profile",
            "state": "vendor-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 302
    return str(answer.headers["location"])


def test_upstream_identity_is_mapped_to_the_regulator_by_national_id(
    platform: AsgiServer,
    upstream: tuple[AsgiServer, OidcProvider, Engine],
    engine: Engine,
    pki: Pki,
) -> None:
    up_server, _, up_engine = upstream
    regulator = person(engine, NATIONAL_ID)
    person(up_engine, NATIONAL_ID)  # the same professional, known upstream
    browser = Browser(ssl.create_default_context(cafile=str(pki.ca_file)))
    to_upstream = start(browser, platform)
    assert to_upstream.startswith(f"{up_server.root_url}/realms/sas/protocol/openid-connect/auth")
    assert query_of(to_upstream)["code_challenge_method"] == "S256"
    login = browser.follow(browser.get(to_upstream))
    back_at_upstream = browser.log_in(login, "paul.durand@sas.example")
    to_platform = browser.follow(back_at_upstream)
    assert "/realms/sas/broker/psc/endpoint?code=" in to_platform.headers["location"]
    resumed = browser.follow(to_platform)
    assert resumed.status_code == 302, resumed.text
    issued = browser.follow(resumed)
    location = issued.headers["location"]
    assert location.startswith(CALLBACK)
    assert query_of(location)["state"] == "vendor-state"
    # The platform session is the regulator's: a second request is silent.
    again = start(browser, platform)
    assert again.startswith(CALLBACK) and "code=" in again
    assert regulator.national_id == NATIONAL_ID
    browser.close()


def test_an_upstream_identity_that_is_no_regulator_is_refused(
    platform: AsgiServer,
    upstream: tuple[AsgiServer, OidcProvider, Engine],
    engine: Engine,
    pki: Pki,
) -> None:
    _, _, up_engine = upstream
    person(engine, NATIONAL_ID)
    person(up_engine, "810009999999")  # somebody else at the upstream provider
    browser = Browser(ssl.create_default_context(cafile=str(pki.ca_file)))
    login = browser.follow(browser.get(start(browser, platform)))
    to_platform = browser.follow(browser.log_in(login, "paul.durand@sas.example"))
    refused = browser.follow(to_platform)
    assert refused.status_code == 403
    assert "SAS_SESSION" not in {
        c.name for c in browser.http.cookies.jar if c.port == str(platform.port)
    }
    browser.close()


def test_the_upstream_clients_kept_are_a_few_not_one_per_host_asked(engine: Engine) -> None:
    """The issuer comes from the Host header, and a loopback (or portless allowed) name allows
    any port: one client kept per issuer ever asked would let requests grow memory unbounded."""
    settings = OidcSettings(
        login="pro-sante-connect",
        upstream_issuer="https://psc.example",
        upstream_client_id="sas-platform",
        upstream_client_secret=SecretStr(UPSTREAM_SECRET),
    )
    provider = OidcProvider(engine, {}, settings)
    first_issuer = "https://localhost:1/realms/sas"
    first = provider._relying_party(first_issuer)
    assert provider._relying_party(first_issuer) is first  # kept while in use
    for port in range(2, 200):
        provider._relying_party(f"https://localhost:{port}/realms/sas")
    assert provider._relying_party(first_issuer) is not first  # long since dropped
