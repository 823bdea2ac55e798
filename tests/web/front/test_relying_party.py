"""The front's relying party against a provider that behaves like Pro Santé Connect, over a
real socket: discovery at its own path, `acr` higher than asked (accepted) or lower (refused),
userinfo as a signed JWT (verified)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Litestar, Request, Response, get, post

from sas_core.serving.server import AsgiServer
from sas_core.sso.relying_party import LoginFailed
from sas_web.front.relying_party import FrontRelyingParty, acr_satisfies

DISCOVERY = "/auth/realms/esante-wallet/.well-known/wallet-openid-configuration"
CLIENT = "sas-front"
KEY = RSAKey.generate_key(2048, parameters={"kid": "psc-1", "alg": "RS256", "use": "sig"})


class FakePsc:
    """What the test's provider answers; `acr` is the level of the next ID token."""

    def __init__(self) -> None:
        self.acr = "eidas2"
        self.nonce = ""
        self.issuer = ""
        self.userinfo_sub = "psc-subject"

    def app(self) -> Litestar:
        @get(DISCOVERY, sync_to_thread=False)
        def discovery() -> dict[str, str]:
            i = self.issuer
            return {
                "issuer": i,
                "authorization_endpoint": f"{i}/auth",
                "token_endpoint": f"{i}/token",
                "userinfo_endpoint": f"{i}/userinfo",
                "jwks_uri": f"{i}/certs",
            }

        @get("/certs", sync_to_thread=False)
        def certs() -> dict[str, Any]:
            return {"keys": [KEY.as_dict(private=False)]}

        @post("/token", status_code=200)
        async def token(request: Request[Any, Any, Any]) -> dict[str, Any]:
            now = int(time.time())
            claims = {
                "iss": self.issuer, "aud": CLIENT, "sub": "psc-subject", "iat": now,
                "exp": now + 60, "nonce": self.nonce, "acr": self.acr,
            }  # fmt: skip
            signed = jwt.encode({"alg": "RS256", "kid": "psc-1"}, claims, KEY)
            return {"access_token": "at", "token_type": "Bearer", "id_token": signed}

        @get("/userinfo", sync_to_thread=False)
        def userinfo() -> Response[bytes]:
            claims = {"iss": self.issuer, "sub": self.userinfo_sub, "SubjectNameID": "810002345678",
                      "email": "claire@sas.example"}  # fmt: skip
            signed = jwt.encode({"alg": "RS256", "kid": "psc-1"}, claims, KEY)
            return Response(signed.encode(), media_type="application/jwt")

        @get("/fhir/metadata", sync_to_thread=False)
        def ready() -> dict[str, str]:
            """What `AsgiServer` waits for before handing the server out."""
            return {}

        # No logging config: the app must not reconfigure the test session's logging.
        return Litestar([discovery, certs, token, userinfo, ready], logging_config=None)


@pytest.fixture
def psc() -> Iterator[FakePsc]:
    fake = FakePsc()
    with AsgiServer(fake.app()) as server:
        fake.issuer = server.root_url
        yield fake


def _login(psc: FakePsc, acr_values: str | None) -> dict[str, Any]:
    party = FrontRelyingParty(
        psc.issuer, CLIENT, "http://127.0.0.1/connexion/retour",
        discovery_path=DISCOVERY, acr_values=acr_values,
    )  # fmt: skip

    async def flow() -> dict[str, Any]:
        url, pending = await party.begin("/")
        asked = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert asked.get("acr_values") == acr_values or acr_values is None
        psc.nonce = pending.nonce
        logged = await party.finish({"code": "c", "state": pending.state}, pending)
        return {**logged.claims, **await party.userinfo(logged.access_token)}

    return anyio.run(flow)


def test_a_higher_level_than_asked_is_accepted_and_jwt_userinfo_is_verified(
    psc: FakePsc,
) -> None:
    claims = _login(psc, "eidas1")
    assert claims["acr"] == "eidas2"
    assert claims["SubjectNameID"] == "810002345678"


def test_a_lower_level_than_asked_is_refused(psc: FakePsc) -> None:
    psc.acr = "eidas1"
    with pytest.raises(LoginFailed, match="below eidas2"):
        _login(psc, "eidas2")


def test_acr_is_a_minimum() -> None:
    assert acr_satisfies("eidas2", "eidas1")
    assert acr_satisfies("eidas1", "eidas1")
    assert not acr_satisfies("eidas1", "eidas2")
    assert not acr_satisfies(None, "eidas1")
    assert not acr_satisfies("made-up", "eidas1")
    assert acr_satisfies(None, None)
