"""The realm `sas` over a real HTTPS socket: discovery, code flow with PKCE, tokens, userinfo,
key rotation, silent authorization and `prompt=none`."""

from __future__ import annotations

import asyncio
import secrets
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from sas_core.accounts.models import Regulator
from sas_core.serving.server import AsgiServer, ServerTls
from sas_core.storage.realm import RealmStore
from sas_web import DevelopmentVendor, create_app
from sas_web.oidc import OidcProvider, OidcSettings, parse_clients
from sas_web.oidc.grants import IdTokens
from tests.web.conftest import Pki
from tests.web.sso_support import DEV_PASSWORD, Browser, pkce, query_of

PUBLIC = "public-vendor"
CONFIDENTIAL = "acme"
SECRET = "acme-secret-0123456789"
CALLBACK = "https://vendor.example/callback"


def dev_settings(**changes: Any) -> OidcSettings:
    values: dict[str, Any] = {
        "login": "local",
        "development": True,
        "dev_password": SecretStr(DEV_PASSWORD),
    }
    values.update(changes)
    return OidcSettings(**values)


CLIENTS = parse_clients(
    {
        PUBLIC: {"redirect_uris": [CALLBACK]},
        CONFIDENTIAL: {"secret": SECRET, "redirect_uris": [CALLBACK]},
    }
)


@pytest.fixture
def realm(engine: Engine, pki: Pki) -> Iterator[tuple[AsgiServer, OidcProvider]]:
    provider = OidcProvider(engine, CLIENTS, dev_settings())
    app = create_app(identity=DevelopmentVendor(), engine=engine, oidc=provider)
    with AsgiServer(app, tls=ServerTls(pki.server_chain, pki.server_chain)) as server:
        yield server, provider


@pytest.fixture
def browser(pki: Pki) -> Iterator[Browser]:
    b = Browser(trust(pki))
    yield b
    b.close()


def trust(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca_file))


def issuer_of(server: AsgiServer) -> str:
    return f"{server.root_url}/realms/sas"


def authorize(
    browser: Browser, server: AsgiServer, client: str = PUBLIC, **params: str
) -> httpx.Response:
    query = {
        "client_id": client,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid email profile",
        "state": "st-1",
        "nonce": secrets.token_urlsafe(8),
        **params,
    }
    return browser.get(f"{issuer_of(server)}/protocol/openid-connect/auth", params=query)


def log_in_and_get_code(
    browser: Browser, server: AsgiServer, email: str, challenge: str, **params: str
) -> str:
    answer = authorize(
        browser, server, code_challenge=challenge, code_challenge_method="S256", **params
    )
    assert answer.status_code == 302
    if "/login-actions/authenticate" in answer.headers["location"]:
        back = browser.log_in(browser.follow(answer), email)
        assert back.status_code == 302
        assert "SAS_SESSION" in browser.http.cookies
        issued = browser.follow(back)
    else:  # already logged in: the realm answers silently
        issued = answer
    assert issued.status_code == 302
    location = issued.headers["location"]
    assert location.startswith(CALLBACK)
    q = query_of(location)
    assert q["state"] == "st-1"
    return q["code"]


def redeem(
    server: AsgiServer, pki: Pki, code: str, verifier: str, client: str = PUBLIC, **extra: Any
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    if client == PUBLIC:
        data["client_id"] = PUBLIC
    return httpx.post(
        f"{issuer_of(server)}/protocol/openid-connect/token",
        data=data,
        verify=trust(pki),
        **extra,
    )


def test_discovery_document(realm: tuple[AsgiServer, OidcProvider], pki: Pki) -> None:
    server, _ = realm
    doc = httpx.get(
        f"{issuer_of(server)}/.well-known/openid-configuration", verify=trust(pki)
    ).json()
    issuer = issuer_of(server)
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/protocol/openid-connect/auth"
    assert doc["token_endpoint"] == f"{issuer}/protocol/openid-connect/token"
    assert doc["jwks_uri"] == f"{issuer}/protocol/openid-connect/certs"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


def test_code_flow_with_pkce_gives_a_signed_id_token(
    realm: tuple[AsgiServer, OidcProvider], pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    server, _ = realm
    verifier, challenge = pkce()
    code = log_in_and_get_code(browser, server, regulator.email, challenge, nonce="n-1")
    answer = redeem(server, pki, code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    jwks = httpx.get(f"{issuer_of(server)}/protocol/openid-connect/certs", verify=trust(pki)).json()
    assert all("d" not in k for k in jwks["keys"])
    decoded = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert decoded.header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = decoded.claims
    assert claims["iss"] == issuer_of(server)
    assert claims["aud"] in (PUBLIC, [PUBLIC])
    assert claims["nonce"] == "n-1"
    assert claims["sub"] == str(regulator.id)
    assert claims["idnps"] == regulator.national_id
    assert claims["email"] == regulator.email
    assert (claims["given_name"], claims["family_name"]) == ("Claire", "Martin")


def test_public_client_must_use_pkce_s256(
    realm: tuple[AsgiServer, OidcProvider], browser: Browser
) -> None:
    server, _ = realm
    without = authorize(browser, server)
    assert without.status_code == 302
    assert query_of(without.headers["location"])["error"] == "invalid_request"
    _, challenge = pkce()
    plain = authorize(browser, server, code_challenge=challenge, code_challenge_method="plain")
    assert query_of(plain.headers["location"])["error"] == "invalid_request"


def test_wrong_verifier_refused_and_code_single_use(
    realm: tuple[AsgiServer, OidcProvider], pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    server, _ = realm
    verifier, challenge = pkce()
    code = log_in_and_get_code(browser, server, regulator.email, challenge)
    wrong = redeem(server, pki, code, pkce()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # A code presented with a wrong verifier is spent: it may have been stolen.
    assert redeem(server, pki, code, verifier).status_code == 400

    code = log_in_and_get_code(browser, server, regulator.email, challenge)
    assert redeem(server, pki, code, verifier).status_code == 200
    again = redeem(server, pki, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_confidential_client_authenticates_with_its_secret(
    realm: tuple[AsgiServer, OidcProvider], pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    server, _ = realm
    verifier, challenge = pkce()
    answer = authorize(
        browser, server, CONFIDENTIAL, code_challenge=challenge, code_challenge_method="S256"
    )
    issued = browser.follow(browser.log_in(browser.follow(answer), regulator.email))
    code = query_of(issued.headers["location"])["code"]
    bad = redeem(server, pki, code, verifier, CONFIDENTIAL, auth=(CONFIDENTIAL, "wrong-secret"))
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"
    issued = authorize(
        browser, server, CONFIDENTIAL, code_challenge=challenge, code_challenge_method="S256"
    )
    code = query_of(issued.headers["location"])["code"]
    good = redeem(server, pki, code, verifier, CONFIDENTIAL, auth=(CONFIDENTIAL, SECRET))
    assert good.status_code == 200, good.text


def test_silent_with_a_session_and_login_required_without(
    realm: tuple[AsgiServer, OidcProvider], browser: Browser, pki: Pki, regulator: Regulator
) -> None:
    server, _ = realm
    _, challenge = pkce()
    none = authorize(
        browser, server, prompt="none", code_challenge=challenge, code_challenge_method="S256"
    )
    assert none.status_code == 302
    q = query_of(none.headers["location"])
    assert (q["error"], q["state"]) == ("login_required", "st-1")

    log_in_and_get_code(browser, server, regulator.email, challenge)
    silent = authorize(
        browser, server, prompt="none", code_challenge=challenge, code_challenge_method="S256"
    )
    assert silent.status_code == 302
    assert "code" in query_of(silent.headers["location"])


def test_wrong_password_and_unknown_regulator_refused(
    realm: tuple[AsgiServer, OidcProvider], browser: Browser, regulator: Regulator
) -> None:
    server, _ = realm
    _, challenge = pkce()
    page = browser.follow(
        authorize(browser, server, code_challenge=challenge, code_challenge_method="S256")
    )
    assert browser.log_in(page, regulator.email, "not-the-password").status_code == 401
    assert browser.log_in(page, "nobody@sas.example").status_code == 401
    assert "SAS_SESSION" not in browser.http.cookies


def test_userinfo_with_and_without_a_valid_token(
    realm: tuple[AsgiServer, OidcProvider], pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    server, _ = realm
    verifier, challenge = pkce()
    code = log_in_and_get_code(browser, server, regulator.email, challenge)
    token = redeem(server, pki, code, verifier).json()["access_token"]
    url = f"{issuer_of(server)}/protocol/openid-connect/userinfo"
    ok = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=trust(pki))
    assert ok.status_code == 200
    assert ok.json()["sub"] == str(regulator.id)
    assert ok.json()["idnps"] == regulator.national_id
    missing = httpx.get(url, verify=trust(pki))
    assert missing.status_code == 401
    assert "Bearer" in missing.headers["www-authenticate"]
    forged = httpx.get(
        url, headers={"Authorization": f"Bearer {token[:-4]}AAAA"}, verify=trust(pki)
    )
    assert forged.status_code == 401


def test_rotation_keeps_old_tokens_verifiable(
    realm: tuple[AsgiServer, OidcProvider], pki: Pki, browser: Browser, regulator: Regulator
) -> None:
    server, provider = realm
    verifier, challenge = pkce()
    code = log_in_and_get_code(browser, server, regulator.email, challenge)
    old = redeem(server, pki, code, verifier).json()
    old_kid = jwt.decode(old["id_token"], provider.keys.published()).header["kid"]

    new_kid = provider.keys.rotate()
    assert new_kid != old_kid
    jwks = httpx.get(f"{issuer_of(server)}/protocol/openid-connect/certs", verify=trust(pki)).json()
    assert {k["kid"] for k in jwks["keys"]} == {old_kid, new_kid}
    keys = KeySet.import_key_set(jwks)
    jwt.decode(old["id_token"], keys, algorithms=["RS256"])
    userinfo = httpx.get(
        f"{issuer_of(server)}/protocol/openid-connect/userinfo",
        headers={"Authorization": f"Bearer {old['access_token']}"},
        verify=trust(pki),
    )
    assert userinfo.status_code == 200

    code = log_in_and_get_code(browser, server, regulator.email, challenge)
    fresh = redeem(server, pki, code, verifier).json()
    assert jwt.decode(fresh["id_token"], keys, algorithms=["RS256"]).header["kid"] == new_kid


def test_local_login_refused_outside_development(engine: Engine) -> None:
    with pytest.raises(ValueError, match="DEVELOPMENT"):
        OidcProvider(engine, CLIENTS, OidcSettings(login="local"))
    with pytest.raises(ValueError, match="UPSTREAM_ISSUER"):
        OidcProvider(engine, CLIENTS, OidcSettings(login="pro-sante-connect"))


def test_prompt_login_asks_again_once_then_issues_a_code(
    realm: tuple[AsgiServer, OidcProvider], browser: Browser, regulator: Regulator
) -> None:
    """`prompt=login` forces a login even with a session, and the login then completes."""
    server, _ = realm
    _, challenge = pkce()
    log_in_and_get_code(browser, server, regulator.email, challenge)
    forced = authorize(
        browser, server, prompt="login", code_challenge=challenge, code_challenge_method="S256"
    )
    assert "/login-actions/authenticate" in forced.headers["location"]
    back = browser.log_in(browser.follow(forced), regulator.email)
    issued = browser.follow(back)
    assert issued.status_code == 302
    assert issued.headers["location"].startswith(CALLBACK)
    assert "code" in query_of(issued.headers["location"])


def test_the_authorization_checks_its_nonce_off_the_event_loop(
    realm: tuple[AsgiServer, OidcProvider], browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nonce lookup is a database query: on the event loop it would stall every request."""
    server, _ = realm
    where: list[str] = []
    looked_up = RealmStore.nonce_used

    def spy(self: RealmStore, client_id: str, nonce: str) -> bool:
        try:
            asyncio.get_running_loop()
            where.append("event loop")
        except RuntimeError:
            where.append("worker thread")
        return looked_up(self, client_id, nonce)

    monkeypatch.setattr(RealmStore, "nonce_used", spy)
    _, challenge = pkce()
    answer = authorize(browser, server, code_challenge=challenge, code_challenge_method="S256")
    assert answer.status_code == 302
    assert where == ["worker thread"]


def test_an_id_token_signed_across_a_key_rotation_still_verifies(
    realm: tuple[AsgiServer, OidcProvider],
    pki: Pki,
    browser: Browser,
    regulator: Regulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another instance may rotate the key between the header (its `kid`) and the signature:
    the token must be signed by the key its header names."""
    server, provider = realm
    verifier, challenge = pkce()
    code = log_in_and_get_code(browser, server, regulator.email, challenge)
    header_of = IdTokens.get_encode_header

    def then_rotate(self: IdTokens, client: Any) -> dict[str, str]:
        header: dict[str, str] = header_of(self, client)
        provider.keys.rotate()
        return header

    monkeypatch.setattr(IdTokens, "get_encode_header", then_rotate)
    tokens = redeem(server, pki, code, verifier).json()
    jwks = httpx.get(f"{issuer_of(server)}/protocol/openid-connect/certs", verify=trust(pki)).json()
    jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
